"""The official WGAN-GP CIFAR-10 ResNet (``gan_cifar_resnet.py``, unconditional), layer by layer.

Generator: ``z (128) -> Linear 4*4*DIM -> (DIM, 4, 4) -> 3 x ResBlock(up) -> BN -> ReLU ->
Conv3x3 3 -> tanh``: ``(N, 128) -> (N, 3, 32, 32)``. An up-block is ``BN-ReLU-[nearest 2x
upsample, Conv3x3]-BN-ReLU-Conv3x3`` with a 1x1 conv on the upsampled input as shortcut.
Critic: optimised first block (``Conv3x3-ReLU-Conv3x3-meanpool`` + ``meanpool-Conv1x1``
shortcut), one down-block (``ReLU-Conv3x3-ReLU-Conv3x3-meanpool`` + ``Conv1x1-meanpool``), two
plain blocks (identity shortcut), ReLU, global mean, Linear -> 1; no normalisation anywhere in
the critic, so it is free of batch coupling and the gradient penalty is per sample.
Initialisation as tflib: uniform with std ``sqrt(4 / (fan_in + fan_out))`` (he_init) for the
residual convs, ``sqrt(2 / (fan_in + fan_out))`` for shortcuts and the output conv (he_init=False),
Glorot for linear layers, zero biases.
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from wgangp.nets.conditional import CondBatchNorm2d
from wgangp.nets.dcgan import ImageSizes, linear
from wgangp.nets.layers import activation


def conv(n_in: int, n_out: int, k: int, he_init: bool = True) -> nn.Conv2d:
    c = nn.Conv2d(n_in, n_out, k, padding=k // 2)
    fan_in, fan_out = n_in * k * k, n_out * k * k
    bound = math.sqrt((4.0 if he_init else 2.0) / (fan_in + fan_out)) * math.sqrt(3.0)
    nn.init.uniform_(c.weight, -bound, bound)
    nn.init.zeros_(c.bias)
    return c


def mean_pool(x: torch.Tensor) -> torch.Tensor:
    """2x2 mean pooling, as the official sum of the four strided slices / 4."""
    return F.avg_pool2d(x, 2)


def upsample(x: torch.Tensor) -> torch.Tensor:
    """Nearest-neighbour 2x (the official concat x4 + depth_to_space)."""
    return F.interpolate(x, scale_factor=2, mode="nearest")




class UpBlock(nn.Module):
    """``n_classes > 0``: conditional BatchNorm (per-class gamma / beta), the official AC-GAN generator."""

    def __init__(self, dim: int, n_classes: int = 0):
        super().__init__()
        self.conditional = n_classes > 0
        if self.conditional:
            self.bn1, self.bn2 = CondBatchNorm2d(dim, n_classes), CondBatchNorm2d(dim, n_classes)
        else:
            self.bn1, self.bn2 = nn.BatchNorm2d(dim), nn.BatchNorm2d(dim)
        self.conv1, self.conv2 = conv(dim, dim, 3), conv(dim, dim, 3)
        self.shortcut = conv(dim, dim, 1, he_init=False)

    def forward(self, x: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        n1, n2 = ((lambda t: self.bn1(t, labels)), (lambda t: self.bn2(t, labels))) if self.conditional \
            else (self.bn1, self.bn2)
        h = self.conv1(upsample(torch.relu(n1(x))))
        h = self.conv2(torch.relu(n2(h)))
        return self.shortcut(upsample(x)) + h


class CriticBlock(nn.Module):
    """``down=True``: ReLU-Conv-ReLU-Conv-meanpool, shortcut Conv1x1-meanpool; else identity shortcut."""

    def __init__(self, dim: int, down: bool, act: str):
        super().__init__()
        self.down = down
        self.act1, self.act2 = activation(act), activation(act)
        self.conv1, self.conv2 = conv(dim, dim, 3), conv(dim, dim, 3)
        self.shortcut = conv(dim, dim, 1, he_init=False) if down else None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv2(self.act2(self.conv1(self.act1(x))))
        if self.down:
            return mean_pool(self.shortcut(x)) + mean_pool(h)
        return x + h


class CIFARResNetGenerator(nn.Module):
    """``(N, noise_dim) -> (N, 3, 32, 32)`` in [-1, 1]."""

    def __init__(self, s: ImageSizes, n_classes: int = 0):
        super().__init__()
        self.dim = s.dim
        self.fc = linear(s.noise_dim, 4 * 4 * s.dim)
        self.blocks = nn.ModuleList([UpBlock(s.dim, n_classes) for _ in range(3)])
        self.bn = nn.BatchNorm2d(s.dim)                  # unconditional even in the AC-GAN, as the official
        self.out = conv(s.dim, 3, 3, he_init=False)

    def forward(self, z: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
        x = self.fc(z).view(-1, self.dim, 4, 4)
        for block in self.blocks:
            x = block(x, labels)
        return torch.tanh(self.out(torch.relu(self.bn(x))))


class CIFARResNetCritic(nn.Module):
    """``(N, 3, 32, 32) -> (N, 1)``."""

    def __init__(self, s: ImageSizes):
        super().__init__()
        d = s.dim
        self.first1, self.first2 = conv(3, d, 3), conv(d, d, 3)
        self.first_act = activation(s.activation)
        self.first_shortcut = conv(3, d, 1, he_init=False)
        self.blocks = nn.Sequential(CriticBlock(d, True, s.activation), CriticBlock(d, False, s.activation),
                                    CriticBlock(d, False, s.activation))
        self.act = activation(s.activation)
        self.head = linear(d, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = mean_pool(self.first2(self.first_act(self.first1(x)))) + self.first_shortcut(mean_pool(x))
        h = self.act(self.blocks(h)).mean(dim=(2, 3))
        return self.head(h)
