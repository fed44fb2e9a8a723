"""1-D convolutional networks: the paper's character-level language model (``gan_language.py``)
over ``seq_len`` positions with ``vocab`` channels, and a DCGAN for signals.

Residual block: ``x + 0.3 * Conv5(ReLU(Conv5(ReLU(x))))`` at width DIM (512 in the paper).
Generator: ``z (128) -> Linear seq_len*DIM -> (DIM, seq_len) -> 5 blocks -> Conv1 vocab -> softmax
over the vocabulary``: ``(N, 128) -> (N, vocab, seq_len)``, every position a probability vector.
Critic: ``(N, vocab, seq_len) -> Conv1 DIM -> 5 blocks -> Linear -> 1``. No normalisation.
Signals (``dcgan-1d``, a DCGAN in one dimension, WaveGAN-like): generator ``z -> Linear
8DIM*(L/16) -> ReLU -> 4 x (nearest upsampling x2, Conv9)`` with ReLU between and tanh at the end,
``(N, noise) -> (N, C, L)``; critic ``4 x (Conv9 stride 2, LeakyReLU 0.2) -> Linear -> 1``. ``L``
must be a multiple of 16.
Initialisation as tflib: He-style uniform for convolutions, Glorot uniform for linear layers,
zero biases.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from wgangp.nets.dcgan import uniform_, linear
from wgangp.nets.layers import MinibatchStd, activation


@dataclass
class SequenceSizes:
    vocab: int
    seq_len: int = 32
    noise_dim: int = 128
    dim: int = 512
    blocks: int = 5
    activation: str = "relu"


def conv1d(n_in: int, n_out: int, k: int) -> nn.Conv1d:
    c = nn.Conv1d(n_in, n_out, k, padding=k // 2)
    uniform_(c, math.sqrt(4.0 / (n_in * k + n_out * k)))              # tflib he_init
    return c


class ResBlock1d(nn.Module):
    """``(N, DIM, L) -> (N, DIM, L)``: ``x + 0.3 * conv(act(conv(act(x))))``, kernel 5."""

    def __init__(self, dim: int, act: str = "relu"):
        super().__init__()
        self.body = nn.Sequential(activation(act), conv1d(dim, dim, 5), activation(act), conv1d(dim, dim, 5))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + 0.3 * self.body(x)


class SequenceGenerator(nn.Module):
    """``(N, noise_dim) -> (N, vocab, seq_len)``, a softmax over the vocabulary at every position."""

    def __init__(self, s: SequenceSizes):
        super().__init__()
        self.s = s
        self.input = linear(s.noise_dim, s.seq_len * s.dim)
        self.blocks = nn.Sequential(*[ResBlock1d(s.dim) for _ in range(s.blocks)])
        self.output = conv1d(s.dim, s.vocab, 1)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = self.input(z).view(-1, self.s.dim, self.s.seq_len)
        return torch.softmax(self.output(self.blocks(h)), dim=1)


class SequenceCritic(nn.Module):
    """``(N, vocab, seq_len) -> (N, 1)``."""

    def __init__(self, s: SequenceSizes):
        super().__init__()
        self.input = conv1d(s.vocab, s.dim, 1)
        self.blocks = nn.Sequential(*[ResBlock1d(s.dim, s.activation) for _ in range(s.blocks)])
        self.output = linear(s.seq_len * s.dim, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.blocks(self.input(x)).flatten(1))


@dataclass
class SignalSizes:
    channels: int
    length: int
    noise_dim: int = 128
    dim: int = 64
    activation: str = "relu"
    minibatch_std: int = 0    # critic: a minibatch-std channel over groups of this size before its last conv; 0 = off


class SignalGenerator(nn.Module):
    """``(N, noise_dim) -> (N, channels, length)`` in [-1, 1]."""

    def __init__(self, s: SignalSizes):
        super().__init__()
        if s.length % 16:
            raise ValueError(f"signals of length {s.length}: dcgan-1d needs a multiple of 16 (crop or pad them)")
        self.s = s
        self.input = linear(s.noise_dim, 8 * s.dim * (s.length // 16))
        widths = [8 * s.dim, 4 * s.dim, 2 * s.dim, s.dim, s.channels]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths, widths[1:])):
            layers += [nn.Upsample(scale_factor=2, mode="nearest"), conv1d(a, b, 9)]
            layers.append(nn.ReLU() if i < 3 else nn.Tanh())
        self.body = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        h = torch.relu(self.input(z)).view(-1, 8 * self.s.dim, self.s.length // 16)
        return self.body(h)


class SignalCritic(nn.Module):
    """``(N, channels, length) -> (N, 1)``, no normalisation."""

    def __init__(self, s: SignalSizes):
        super().__init__()
        if s.length % 16:
            raise ValueError(f"signals of length {s.length}: dcgan-1d needs a multiple of 16 (crop or pad them)")
        widths = [s.channels, s.dim, 2 * s.dim, 4 * s.dim, 8 * s.dim]
        layers: list[nn.Module] = []
        for i, (a, b) in enumerate(zip(widths, widths[1:])):
            if s.minibatch_std and i == len(widths) - 2:      # before the last conv, one more input channel
                layers.append(MinibatchStd(s.minibatch_std))
                a += 1
            c = nn.Conv1d(a, b, 9, stride=2, padding=4)
            uniform_(c, math.sqrt(4.0 / (a * 9 + b * 9 / 4)))           # tflib he_init, stride 2
            layers += [c, activation(s.activation, leaky=0.2)]
        self.body = nn.Sequential(*layers)
        self.output = linear(8 * s.dim * (s.length // 16), 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.output(self.body(x).flatten(1))
