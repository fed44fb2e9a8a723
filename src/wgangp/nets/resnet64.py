"""The official 64x64 networks of ``gan_64x64.py``: the "good" ResNet and DCGAN-64 (DIM = 64).

In WGAN-GP mode the official code swaps every critic BatchNorm for a LayerNorm over (C, H, W)
with per-channel scale and offset (:class:`ChannelLayerNorm`), so the critic stays per-sample.

Good ResNet. Generator: ``z (128) -> Linear 4*4*8DIM -> 4 up-blocks (8,8)->(8,4)->(4,2)->(2,1) DIM
-> BN -> ReLU -> Conv3x3 3 -> tanh``. Critic: ``Conv3x3 DIM -> 4 down-blocks (1,2)->(2,4)->(4,8)
->(8,8) DIM -> Linear 4*4*8DIM -> 1``. A block is ``N-ReLU-Conv1-N-ReLU-Conv2`` + 1x1 shortcut,
where up-blocks upsample (nearest) before Conv1 and in the shortcut, down-blocks mean-pool after
Conv2 and before the shortcut conv; Conv1 has no bias.
DCGAN-64. Generator: ``Linear 4*4*8DIM -> BN-ReLU -> Deconv5x5/2 x 4 (BN-ReLU between) -> tanh``;
critic: ``Conv5x5/2 DIM -> LReLU -> 3 x (Conv5x5/2 -> LN -> LReLU) -> Linear -> 1``, all weights
uniform with std 0.02 (the official ``set_weights_stdev(0.02)``).
"""
from __future__ import annotations

import math

import torch
from torch import nn

from wgangp.nets.dcgan import conv as conv_s2
from wgangp.nets.dcgan import ImageSizes, deconv, linear
from wgangp.nets.layers import activation
from wgangp.nets.resnet import conv, mean_pool, upsample


class ChannelLayerNorm(nn.Module):
    """Normalise each sample over (C, H, W); scale and offset per channel (tflib ``Layernorm``)."""

    def __init__(self, channels: int, eps: float = 1e-5):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(channels, 1, 1))
        self.bias = nn.Parameter(torch.zeros(channels, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        var, mean = torch.var_mean(x, dim=(1, 2, 3), keepdim=True, unbiased=False)
        return (x - mean) * torch.rsqrt(var + self.eps) * self.weight + self.bias




class Block64(nn.Module):
    def __init__(self, n_in: int, n_out: int, resample: str, critic: bool, act: str):
        super().__init__()
        norm = ChannelLayerNorm if critic else nn.BatchNorm2d
        self.resample = resample
        mid = n_out if resample == "up" else n_in
        self.n1, self.n2 = norm(n_in), norm(mid)
        self.a1, self.a2 = (activation(act), activation(act)) if critic else (nn.ReLU(), nn.ReLU())
        self.conv1 = conv(n_in, mid, 3)
        self.conv1.bias = None                      # the official Conv1 has biases=False
        self.conv2 = conv(mid, n_out, 3)
        self.shortcut = conv(n_in, n_out, 1, he_init=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.a1(self.n1(x))
        if self.resample == "up":
            h, sc = upsample(h), self.shortcut(upsample(x))
        else:
            sc = self.shortcut(mean_pool(x))
        h = self.conv2(self.a2(self.n2(self.conv1(h))))
        return sc + (mean_pool(h) if self.resample == "down" else h)


class GoodGenerator(nn.Module):
    """``(N, noise_dim) -> (N, 3, 64, 64)``."""

    def __init__(self, s: ImageSizes):
        super().__init__()
        d = s.dim
        self.d = d
        self.fc = linear(s.noise_dim, 4 * 4 * 8 * d)
        self.blocks = nn.Sequential(*[Block64(a * d, b * d, "up", False, s.activation)
                                      for a, b in ((8, 8), (8, 4), (4, 2), (2, 1))])
        self.out = nn.Sequential(nn.BatchNorm2d(d), nn.ReLU(), conv(d, 3, 3), nn.Tanh())

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.out(self.blocks(self.fc(z).view(-1, 8 * self.d, 4, 4)))


class GoodCritic(nn.Module):
    """``(N, 3, 64, 64) -> (N, 1)``."""

    def __init__(self, s: ImageSizes):
        super().__init__()
        d = s.dim
        self.inp = conv(3, d, 3, he_init=False)
        self.blocks = nn.Sequential(*[Block64(a * d, b * d, "down", True, s.activation)
                                      for a, b in ((1, 2), (2, 4), (4, 8), (8, 8))])
        self.head = linear(4 * 4 * 8 * d, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.inp(x)).flatten(1))


def _stdev_002_(module: nn.Module) -> nn.Module:
    bound = 0.02 * math.sqrt(3.0)
    for m in module.modules():
        if isinstance(m, (nn.Linear, nn.Conv2d, nn.ConvTranspose2d)):
            nn.init.uniform_(m.weight, -bound, bound)
    return module


class DCGAN64Generator(nn.Module):
    """``(N, noise_dim) -> (N, 3, 64, 64)``."""

    def __init__(self, s: ImageSizes):
        super().__init__()
        d = s.dim
        self.d = d
        self.fc = linear(s.noise_dim, 4 * 4 * 8 * d)
        layers: list[nn.Module] = [nn.BatchNorm2d(8 * d), nn.ReLU()]
        for a, b in ((8, 4), (4, 2), (2, 1)):
            layers += [deconv(a * d, b * d), nn.BatchNorm2d(b * d), nn.ReLU()]
        layers += [deconv(d, 3), nn.Tanh()]
        self.net = nn.Sequential(*layers)
        _stdev_002_(self)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.net(self.fc(z).view(-1, 8 * self.d, 4, 4))


class DCGAN64Critic(nn.Module):
    """``(N, 3, 64, 64) -> (N, 1)``."""

    def __init__(self, s: ImageSizes):
        super().__init__()
        d = s.dim
        layers: list[nn.Module] = [conv_s2(3, d), activation(s.activation, 0.2)]
        for a, b in ((1, 2), (2, 4), (4, 8)):
            layers += [conv_s2(a * d, b * d), ChannelLayerNorm(b * d), activation(s.activation, 0.2)]
        layers += [nn.Flatten(), linear(4 * 4 * 8 * d, 1)]
        self.net = _stdev_002_(nn.Sequential(*layers))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
