"""The official 101-layer 64x64 ResNet of ``gan_64x64.py`` (``ResnetGenerator`` /
``ResnetDiscriminator``, DIM = 64), layer by layer.

Bottleneck block (``in -> out``): ``ReLU -> Conv1x1 in/2 -> ReLU -> Conv3x3 out/2 -> ReLU ->
Conv1x1 out (no bias) -> Norm``, output ``shortcut + 0.3 * branch``. The 3x3 conv is a stride-2
conv for ``down`` and a stride-2 transposed conv for ``up``; the shortcut is the identity when
nothing changes, else a 1x1 conv (stride 2 for ``down``, a sub-pixel 1x1 conv -- 4x channels then
pixel shuffle -- for ``up``). Norm is BatchNorm in the generator and, as the official WGAN-GP mode,
a per-sample LayerNorm over (C, H, W) in the critic.

Generator: ``z (128) -> Linear 4*4*8DIM -> 6 blocks @4x4 (8DIM) -> up 4DIM -> 6 @8x8 -> up 2DIM ->
6 @16x16 -> up DIM -> 6 @32x32 -> up DIM/2 -> 5 @64x64 -> Conv1x1 3 -> tanh(x / 5)``.
Critic: ``Conv1x1 DIM/2 -> 5 @64x64 -> down DIM -> 6 @32x32 -> down 2DIM -> 6 -> down 4DIM -> 6
-> down 8DIM -> 6 @4x4 -> Linear 4*4*8DIM -> 1, divided by 5``. 33 blocks of 3 convs plus the
input/output layers: 101 layers each. Initialisation as tflib (uniform; He for the block convs,
Glorot-like ``sqrt(2 / (fan_in + fan_out))`` for shortcuts and the 1x1 in/out convs; the stride
divides the fan on the strided side). One difference from TF: its 'SAME' padding of a stride-2
3x3 conv pads only after; here it pads one pixel on both sides (same output size).
"""
from __future__ import annotations

import math

import torch
from torch import nn
from torch.nn import functional as F

from wgangp.nets.dcgan import ImageSizes, linear
from wgangp.nets.layers import activation
from wgangp.nets.resnet64 import ChannelLayerNorm

RESIDUAL_SCALE = 0.3
OUTPUT_SCALE = 5.0


def _conv(n_in: int, n_out: int, k: int, stride: int = 1, he_init: bool = True, bias: bool = True,
          transposed: bool = False) -> nn.Module:
    if transposed:
        c = nn.ConvTranspose2d(n_in, n_out, k, stride=2, padding=k // 2, output_padding=1, bias=bias)
        fan_in, fan_out = n_in * k * k / 4, n_out * k * k
    else:
        c = nn.Conv2d(n_in, n_out, k, stride=stride, padding=k // 2, bias=bias)
        fan_in, fan_out = n_in * k * k, n_out * k * k / stride ** 2
    bound = math.sqrt((4.0 if he_init else 2.0) / (fan_in + fan_out)) * math.sqrt(3.0)
    nn.init.uniform_(c.weight, -bound, bound)
    if bias:
        nn.init.zeros_(c.bias)
    return c


class SubpixelShortcut(nn.Module):
    """1x1 conv to ``4 * n_out`` channels, then pixel shuffle: ``(N, in, H, W) -> (N, out, 2H, 2W)``."""

    def __init__(self, n_in: int, n_out: int):
        super().__init__()
        self.conv = _conv(n_in, 4 * n_out, 1, he_init=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.pixel_shuffle(self.conv(x), 2)


class Bottleneck(nn.Module):
    """``shortcut(x) + 0.3 * Norm(Conv1x1(act(Conv3x3(act(Conv1x1(act(x)))))))``."""

    def __init__(self, n_in: int, n_out: int, resample: str | None, critic: bool, act: str):
        super().__init__()
        if resample == "up":
            self.shortcut: nn.Module = SubpixelShortcut(n_in, n_out)
        elif resample == "down" or n_in != n_out:
            self.shortcut = _conv(n_in, n_out, 1, stride=2 if resample == "down" else 1, he_init=False)
        else:
            self.shortcut = nn.Identity()
        acts = [activation(act) if critic else nn.ReLU() for _ in range(3)]
        self.branch = nn.Sequential(
            acts[0], _conv(n_in, n_in // 2, 1),
            acts[1], _conv(n_in // 2, n_out // 2, 3, stride=2 if resample == "down" else 1,
                           transposed=resample == "up"),
            acts[2], _conv(n_out // 2, n_out, 1, bias=False),
            ChannelLayerNorm(n_out) if critic else nn.BatchNorm2d(n_out))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.shortcut(x) + RESIDUAL_SCALE * self.branch(x)


def _stage(n_in: int, n_out: int, resample: str | None, repeats: int, critic: bool, act: str,
           resample_first: bool) -> list[nn.Module]:
    """``repeats`` plain blocks at ``n_in`` then one resampling block, or the reverse order."""
    move = [Bottleneck(n_in, n_out, resample, critic, act)]
    width = n_out if resample_first else n_in
    plain = [Bottleneck(width, width, None, critic, act) for _ in range(repeats)]
    return move + plain if resample_first else plain + move


class ResNet101Generator(nn.Module):
    """``(N, noise_dim) -> (N, 3, 64, 64)`` in (-1, 1)."""

    def __init__(self, s: ImageSizes):
        super().__init__()
        d = s.dim
        if d % 4:
            raise ValueError(f"resnet101-64 needs model.dim divisible by 4 (got {d})")
        self.d = d
        self.fc = linear(s.noise_dim, 4 * 4 * 8 * d)
        blocks = [Bottleneck(8 * d, 8 * d, None, False, "relu") for _ in range(6)]
        for a, b in ((8, 4), (4, 2), (2, 1)):
            blocks += _stage(a * d, b * d, "up", 6, False, "relu", resample_first=True)
        blocks += _stage(d, d // 2, "up", 5, False, "relu", resample_first=True)
        self.blocks = nn.Sequential(*blocks)
        self.out = _conv(d // 2, 3, 1, he_init=False)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.blocks(self.fc(z).view(-1, 8 * self.d, 4, 4))
        return torch.tanh(self.out(h) / OUTPUT_SCALE)


class ResNet101Critic(nn.Module):
    """``(N, 3, 64, 64) -> (N, 1)``; per-sample (LayerNorm), so the penalty stays per sample."""

    def __init__(self, s: ImageSizes):
        super().__init__()
        d = s.dim
        if d % 4:
            raise ValueError(f"resnet101-64 needs model.dim divisible by 4 (got {d})")
        self.inp = _conv(3, d // 2, 1, he_init=False)
        blocks = [Bottleneck(d // 2, d // 2, None, True, s.activation) for _ in range(5)]
        blocks += [Bottleneck(d // 2, d, "down", True, s.activation)]
        for a, b in ((1, 2), (2, 4), (4, 8)):
            blocks += _stage(a * d, b * d, "down", 6, True, s.activation, resample_first=False)
        blocks += [Bottleneck(8 * d, 8 * d, None, True, s.activation) for _ in range(6)]
        self.blocks = nn.Sequential(*blocks)
        self.head = linear(4 * 4 * 8 * d, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.blocks(self.inp(x)).flatten(1)) / OUTPUT_SCALE
