"""WaveGAN (Donahue, McAuley & Puckette 2019, "Adversarial Audio Synthesis"), as the official code.

Generator: ``z -> Linear 16DIM*B -> (16DIM, B) -> ReLU -> 5 x ConvTranspose1d(kernel 25, stride 4)``
with widths ``16DIM -> 8DIM -> 4DIM -> 2DIM -> DIM -> channels``, ReLU between and tanh at the end:
``(N, noise_dim) -> (N, channels, length)``; at DIM = 64, ``B = 16``: 16,384 samples (the paper).
Critic: ``5 x (Conv1d kernel 25 stride 4, LeakyReLU 0.2)`` with widths ``channels -> DIM -> ... ->
16DIM``, **phase shuffle** of radius 2 after every layer but the last, then ``Linear -> 1``; no
normalisation (WGAN-GP). Initialisation as TensorFlow's defaults in the official code: Glorot uniform,
zero biases.

Lengths. ``k``, the number of stride-4 stages, is the largest ``k <= 5`` with ``16 * 4**k <= length``
(at least 1): 16,384 samples and more get the paper's five, 1,024..4,095 get three, under 256 one.
Every length of 16 samples or more builds: the generator makes ``B * 4**k`` samples, ``B =
ceil(length / 4**k)`` (16 at ``16 * 4**k``), and drops the last few; the critic reads the series as
it is (its convolutions round lengths up, ``ceil(L / 4)``). So the signals domain pads nothing for
``wavegan`` (its length step is 1); a 16,000-sample clip gets four stages here, the paper padded its
1-s clips to 16,384 (``data.length=16384``, as the ``signals-wavegan`` preset does).

Phase shuffle (:class:`PhaseShuffle`): each example's activations are shifted along time by an integer
drawn uniformly from ``[-r, r]``, the vacated positions filled by reflection -- pad by reflection, then
crop, as the official code. The official code draws one shift per batch and layer; here each example
draws its own (as the paper's text and the common PyTorch ports). Active in train mode only.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn
from torch.nn import functional as F

from wgangp.nets.dcgan import linear, uniform_
from wgangp.nets.layers import activation

KERNEL, STRIDE, MAX_STAGES, BASE = 25, 4, 5, 16


@dataclass
class WaveGANSizes:
    channels: int
    length: int
    noise_dim: int = 100
    dim: int = 64
    activation: str = "relu"          # the critic's LeakyReLU: relu (lean double backward) | relu-native
    radius: int = 2                   # phase shuffle radius (0: off)


def stages(length: int) -> int:
    """The number of stride-4 stages for ``length`` samples (see the module docstring)."""
    if length < BASE:
        raise ValueError(f"signals of length {length}: wavegan builds series of at least {BASE} samples "
                         "(use model.arch=resnet-1d or dcgan-1d for shorter ones)")
    k = 1
    while k < MAX_STAGES and BASE * STRIDE ** (k + 1) <= length:
        k += 1
    return k


def _glorot(module: nn.Module, n_in: int, n_out: int) -> nn.Module:
    uniform_(module, math.sqrt(2.0 / (KERNEL * (n_in + n_out))))    # TF glorot_uniform: fans times the kernel
    return module


def phase_shift(x: torch.Tensor, shift: torch.Tensor, radius: int) -> torch.Tensor:
    """``(N, C, L)``, integer shifts ``(N,)`` in ``[-radius, radius]`` -> ``(N, C, L)`` with
    ``out[i, :, t] = x[i, :, t - shift[i]]``, positions outside ``[0, L)`` read by reflection
    (``x[-j] = x[j]``, ``x[L-1+j] = x[L-1-j]``). Needs ``L > radius``. Differentiable (twice) in ``x``."""
    n, c, length = x.shape
    padded = F.pad(x, (radius, radius), mode="reflect")                  # (N, C, L + 2r)
    start = radius - shift                                               # each example's window start
    index = start[:, None] + torch.arange(length, device=x.device)       # (N, L)
    # the index is broadcast over channels without a copy: memory N*L integers, not N*C*L
    return padded.gather(2, index[:, None, :].expand(n, c, length))


class PhaseShuffle(nn.Module):
    """WaveGAN's phase shuffle: ``(N, C, L) -> (N, C, L)``, each example shifted along time by its own
    integer drawn uniformly from ``[-radius, radius]`` (the torch RNG of the input's device), edges
    filled by reflection. Identity in eval mode (the critic is used in training only)."""

    def __init__(self, radius: int = 2):
        super().__init__()
        if radius < 0:
            raise ValueError(f"phase shuffle radius {radius}: must be >= 0")
        self.radius = radius

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if not self.training or self.radius == 0:
            return x
        shift = torch.randint(-self.radius, self.radius + 1, (x.shape[0],), device=x.device)
        return phase_shift(x, shift, self.radius)

    def extra_repr(self) -> str:
        return f"radius={self.radius}"


class WaveGANGenerator(nn.Module):
    """``(N, noise_dim) -> (N, channels, length)`` in [-1, 1]."""

    def __init__(self, s: WaveGANSizes):
        super().__init__()
        self.s, k = s, stages(s.length)
        self.base = -(-s.length // STRIDE ** k)                          # ceil(length / 4^k)
        widths = [s.dim * 2 ** (k - 1 - i) for i in range(k)] + [s.channels]     # k = 5: 16DIM .. DIM, C
        self.width = widths[0]
        self.input = linear(s.noise_dim, self.width * self.base)
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths, widths[1:])):
            # padding 11 + output_padding 1: exactly 4x longer (TF's 'same' transposed convolution)
            layers += [_glorot(nn.ConvTranspose1d(a, b, KERNEL, stride=STRIDE, padding=11, output_padding=1), a, b),
                       nn.ReLU() if i < k - 1 else nn.Tanh()]
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.input(z)).view(-1, self.width, self.base)
        return self.body(h)[:, :, :self.s.length]                       # B * 4^k >= length samples: drop the rest


class WaveGANCritic(nn.Module):
    """``(N, channels, length) -> (N, 1)``; phase shuffle after every convolution but the last."""

    def __init__(self, s: WaveGANSizes):
        super().__init__()
        k = stages(s.length)
        widths = [s.channels] + [s.dim * 2 ** i for i in range(k)]      # k = 5: C, DIM .. 16DIM
        layers: list[nn.Module] = []
        n = s.length
        for i, (a, b) in enumerate(zip(widths, widths[1:])):
            # padding 12 centres the kernel and gives ceil(n / 4) outputs for every n
            layers += [_glorot(nn.Conv1d(a, b, KERNEL, stride=STRIDE, padding=12), a, b),
                       activation(s.activation, leaky=0.2)]
            if i < k - 1:
                layers.append(PhaseShuffle(s.radius))
            n = -(-n // STRIDE)
        self.body = nn.Sequential(*layers)
        self.output = linear(widths[-1] * n, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.body(x).flatten(1))
