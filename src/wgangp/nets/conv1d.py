"""The paper's character-level language model networks (``gan_language.py``), 1-D convolutions
over a sequence of ``seq_len`` positions with ``vocab`` channels.

Residual block: ``x + 0.3 * Conv5(ReLU(Conv5(ReLU(x))))`` at width DIM (512 in the paper).
Generator: ``z (128) -> Linear seq_len*DIM -> (DIM, seq_len) -> 5 blocks -> Conv1 vocab -> softmax
over the vocabulary``: ``(N, 128) -> (N, vocab, seq_len)``, every position a probability vector.
Critic: ``(N, vocab, seq_len) -> Conv1 DIM -> 5 blocks -> Linear -> 1``. No normalisation.
Initialisation as tflib: He-style uniform for convolutions, Glorot uniform for linear layers,
zero biases.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from wgangp.nets.dcgan import _uniform_, linear
from wgangp.nets.layers import activation


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
    _uniform_(c, math.sqrt(4.0 / (n_in * k + n_out * k)))              # tflib he_init
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
