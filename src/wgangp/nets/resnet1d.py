"""A 1-D ResNet for short sensor series (lengths of about 24 to 512): the official CIFAR-10 ResNet's
blocks (:mod:`wgangp.nets.resnet`) in one dimension, kernel 5, with ``S = model.depth`` 2x stages
(3 by default).

Generator: ``z -> Linear 4DIM*(L/2^S) -> (4DIM, L/2^S) -> S x UpBlock (4DIM -> ... -> 4DIM -> 2DIM ->
DIM) -> BN -> ReLU -> Conv5 channels -> tanh``: ``(N, noise_dim) -> (N, channels, L)``; ``L`` must be
a multiple of ``2^S``. An up-block is ``BN-ReLU-[nearest 2x upsample, Conv5]-BN-ReLU-Conv5`` with a
1x1 conv on the upsampled input as shortcut.
Critic: first block ``Conv5-ReLU-Conv5-meanpool`` (+ ``meanpool-Conv1x1`` shortcut) to DIM, ``S - 1``
down-blocks ``ReLU-Conv5-ReLU-Conv5-meanpool`` (+ ``Conv1x1-meanpool``) to 2DIM, 4DIM, 4DIM..., ReLU,
**global mean over time**, Linear -> 1: ``(N, channels, L) -> (N, 1)`` for any ``L >= 2^S``. No
normalisation in the critic (the gradient penalty is per example). ``model.minibatch_std=G`` puts a
minibatch-std channel (:class:`wgangp.nets.layers.MinibatchStd`) before the last stage.

Each critic feature before the mean over time sees a span of ``9 * 2^S - 8`` samples (64 with 3
stages, 280 with 5): where classes differ in the shape of the whole series rather than in local patterns (leaf
outlines of 427 samples, OSULeaf), more stages let the critic, and its class head, see it.
Initialisation as tflib: He-style uniform for residual convs, Glorot-style for shortcuts and the
output conv, Glorot for linear layers, zero biases.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from wgangp.nets.dcgan import linear
from wgangp.nets.layers import MinibatchStd, activation

KERNEL = 5
STAGES = 3                    # the default number of 2x stages: lengths are multiples of 8


@dataclass
class ResNet1dSizes:
    channels: int
    length: int
    noise_dim: int = 128
    dim: int = 64
    activation: str = "relu"  # the critic's ReLU: relu (lean double backward) | relu-native
    stages: int = STAGES      # 2x up / down stages (model.depth): lengths are multiples of 2**stages
    minibatch_std: int = 0    # critic: a minibatch-std channel over groups of this size before its last stage; 0 = off


def conv(n_in: int, n_out: int, k: int = KERNEL, he_init: bool = True) -> nn.Conv1d:
    c = nn.Conv1d(n_in, n_out, k, padding=k // 2)
    bound = math.sqrt((4.0 if he_init else 2.0) / (k * (n_in + n_out))) * math.sqrt(3.0)
    nn.init.uniform_(c.weight, -bound, bound)
    nn.init.zeros_(c.bias)
    return c


def _up(x: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, scale_factor=2, mode="nearest")


def _pool(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool1d(x, 2)


def length_step(stages: int) -> int:
    """The lengths a network of ``stages`` 2x stages builds are multiples of this."""
    return 2 ** stages


def widths(dim: int, stages: int) -> list[int]:
    """The channels after each critic stage (the generator's, reversed): DIM, 2DIM, 4DIM, 4DIM..."""
    return [dim * 2 ** min(2, i) for i in range(stages)]


def _check(s: ResNet1dSizes) -> None:
    if not 1 <= s.stages <= 8:
        raise ValueError(f"model.depth={s.stages}: resnet-1d takes 1 to 8 stages")
    step = length_step(s.stages)
    if s.length < step or s.length % step:
        below = s.length // step * step
        raise ValueError(f"signals of length {s.length}: resnet-1d with {s.stages} stages builds lengths that are "
                         f"multiples of {step} (set data.length={f'{below} or ' if below else ''}{below + step})")


class UpBlock1d(nn.Module):
    """``(N, a, L) -> (N, b, 2L)``."""

    def __init__(self, a: int, b: int):
        super().__init__()
        self.bn1, self.bn2 = nn.BatchNorm1d(a), nn.BatchNorm1d(b)
        self.conv1, self.conv2 = conv(a, b), conv(b, b)
        self.shortcut = conv(a, b, 1, he_init=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.conv1(_up(torch.relu(self.bn1(x))))
        h = self.conv2(torch.relu(self.bn2(h)))
        return self.shortcut(_up(x)) + h


class DownBlock1d(nn.Module):
    """``(N, a, L) -> (N, b, L // 2)``; ``first``: no activation on the raw input, pool before the shortcut."""

    def __init__(self, a: int, b: int, act: str, first: bool = False):
        super().__init__()
        self.first = first
        self.act1 = nn.Identity() if first else activation(act)
        self.act2 = activation(act)
        self.conv1, self.conv2 = conv(a, b), conv(b, b)
        self.shortcut = conv(a, b, 1, he_init=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = _pool(self.conv2(self.act2(self.conv1(self.act1(x)))))
        return (self.shortcut(_pool(x)) if self.first else _pool(self.shortcut(x))) + h


class ResNet1dGenerator(nn.Module):
    """``(N, noise_dim) -> (N, channels, length)`` in [-1, 1]."""

    def __init__(self, s: ResNet1dSizes):
        super().__init__()
        _check(s)
        self.s, d = s, s.dim
        out = widths(d, s.stages)[::-1]                # 4DIM ... 2DIM, DIM
        self.start = 4 * d
        self.input = linear(s.noise_dim, self.start * (s.length // length_step(s.stages)))
        self.blocks = nn.Sequential(*[UpBlock1d(a, b) for a, b in zip([self.start] + out[:-1], out)])
        self.bn = nn.BatchNorm1d(d)
        self.output = conv(d, s.channels, he_init=False)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.input(z).view(-1, self.start, self.s.length // length_step(self.s.stages))
        return torch.tanh(self.output(torch.relu(self.bn(self.blocks(h)))))


class ResNet1dCritic(nn.Module):
    """``(N, channels, L) -> (N, 1)``, any ``L >= 2^S`` (global mean pooling over time)."""

    def __init__(self, s: ResNet1dSizes):
        super().__init__()
        _check(s)
        out = widths(s.dim, s.stages)
        ins = [s.channels] + out[:-1]
        blocks: list[nn.Module] = [DownBlock1d(a, b, s.activation, first=i == 0) for i, (a, b) in enumerate(zip(ins, out))]
        if s.minibatch_std:                           # one more input channel for the last stage
            blocks[-1:] = [MinibatchStd(s.minibatch_std),
                           DownBlock1d(ins[-1] + 1, out[-1], s.activation, first=s.stages == 1)]
        self.blocks = nn.Sequential(*blocks)
        self.act = activation(s.activation)
        self.output = linear(out[-1], 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.act(self.blocks(x)).mean(dim=2))
