"""The official WGAN-GP DCGANs, layer by layer: MNIST (``gan_mnist.py``, DIM = 64) and CIFAR-10
(``gan_cifar.py``, DIM = 128).

Generator: ``z (128) -> Linear 4*4*4DIM -> ReLU -> (4DIM, 4, 4) -> Deconv5x5/2 2DIM -> ReLU ->
crop to 7x7 -> Deconv5x5/2 DIM -> ReLU -> Deconv5x5/2 1 -> tanh``: ``(N, 128) -> (N, 1, 28, 28)``.
Critic: ``Conv5x5/2 DIM -> LReLU(0.2) -> Conv5x5/2 2DIM -> LReLU -> Conv5x5/2 4DIM -> LReLU ->
Linear -> 1``, no normalisation (the WGAN-GP mode of the official code).
CIFAR-10: generator ``Linear 4*4*4DIM -> BN -> ReLU -> Deconv 2DIM -> BN -> ReLU -> Deconv DIM ->
BN -> ReLU -> Deconv 3 -> tanh`` (N, 128) -> (N, 3, 32, 32); critic as MNIST's with 3 input
channels (no normalisation in WGAN-GP mode).
Initialisation as tflib: He-style uniform for (de)convolutions with the fan terms divided by the
stride squared, Glorot uniform for linear layers, zero biases. One deliberate difference: pixels
are in [-1, 1] here, so the generator ends in tanh where the official [0, 1] code has a sigmoid.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from wgangp.nets.layers import activation


def uniform_(module: nn.Module, stdev: float) -> None:
    bound = stdev * math.sqrt(3.0)
    nn.init.uniform_(module.weight, -bound, bound)
    nn.init.zeros_(module.bias)


def linear(n_in: int, n_out: int) -> nn.Linear:
    lin = nn.Linear(n_in, n_out)
    uniform_(lin, math.sqrt(2.0 / (n_in + n_out)))                      # tflib 'glorot'
    return lin


def conv(n_in: int, n_out: int, k: int = 5, stride: int = 2) -> nn.Conv2d:
    c = nn.Conv2d(n_in, n_out, k, stride=stride, padding=k // 2)
    fan_in, fan_out = n_in * k * k, n_out * k * k / stride ** 2
    uniform_(c, math.sqrt(4.0 / (fan_in + fan_out)))                    # tflib he_init
    return c


def deconv(n_in: int, n_out: int, k: int = 5) -> nn.ConvTranspose2d:
    """Stride-2 transposed conv doubling H and W (TF 'SAME')."""
    c = nn.ConvTranspose2d(n_in, n_out, k, stride=2, padding=k // 2, output_padding=1)
    fan_in, fan_out = n_in * k * k / 4, n_out * k * k
    bound = math.sqrt(4.0 / (fan_in + fan_out)) * math.sqrt(3.0)
    nn.init.uniform_(c.weight, -bound, bound)
    nn.init.zeros_(c.bias)
    return c


@dataclass
class ImageSizes:
    """Sizes of every image network here: noise length, base width (DIM), critic activation."""
    noise_dim: int = 128
    dim: int = 64
    activation: str = "relu"


class MNISTGenerator(nn.Module):
    """``(N, noise_dim) -> (N, 1, 28, 28)`` in [-1, 1]."""

    def __init__(self, s: ImageSizes):
        super().__init__()
        self.dim = s.dim
        self.fc = linear(s.noise_dim, 4 * 4 * 4 * s.dim)
        self.up1 = deconv(4 * s.dim, 2 * s.dim)
        self.up2 = deconv(2 * s.dim, s.dim)
        self.up3 = deconv(s.dim, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = torch.relu(self.fc(z)).view(-1, 4 * self.dim, 4, 4)
        x = torch.relu(self.up1(x))[:, :, :7, :7]
        x = torch.relu(self.up2(x))
        return torch.tanh(self.up3(x))


class DCGANCritic(nn.Module):
    """``(N, C, 28 or 32, same) -> (N, 1)``: three stride-2 5x5 convs with LeakyReLU(0.2), Linear."""

    def __init__(self, s: ImageSizes, in_channels: int = 1, size: int = 28):
        super().__init__()
        side = -(-(-(-size // 2) // 2) // 2)          # three stride-2 'SAME' convs: ceil(size / 8)
        self.net = nn.Sequential(
            conv(in_channels, s.dim), activation(s.activation, 0.2),
            conv(s.dim, 2 * s.dim), activation(s.activation, 0.2),
            conv(2 * s.dim, 4 * s.dim), activation(s.activation, 0.2),
            nn.Flatten(), linear(side * side * 4 * s.dim, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class CIFARGenerator(nn.Module):
    """``(N, noise_dim) -> (N, 3, 32, 32)`` in [-1, 1] (BatchNorm after every layer but the last)."""

    def __init__(self, s: ImageSizes):
        super().__init__()
        self.dim = s.dim
        self.fc = linear(s.noise_dim, 4 * 4 * 4 * s.dim)
        self.bn0 = nn.BatchNorm1d(4 * 4 * 4 * s.dim)
        self.up = nn.Sequential(deconv(4 * s.dim, 2 * s.dim), nn.BatchNorm2d(2 * s.dim), nn.ReLU(),
                                deconv(2 * s.dim, s.dim), nn.BatchNorm2d(s.dim), nn.ReLU(),
                                deconv(s.dim, 3), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.up(torch.relu(self.bn0(self.fc(z))).view(-1, 4 * self.dim, 4, 4))
