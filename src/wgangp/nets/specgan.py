"""SpecGAN (Donahue, McAuley & Puckette 2019, "Adversarial Audio Synthesis"), as the official code:
the DCGAN the paper trains on 128x128 log-magnitude spectrograms (n_fft 256, hop 128: 16,384 samples;
:mod:`wgangp.data.spectrogram` builds exactly these for ``data.length=16384``).

Generator: ``z -> Linear 4*4*16DIM -> ReLU -> (16DIM, 4, 4) -> 5 x (Deconv5x5/2)`` with widths
``16DIM -> 8DIM -> 4DIM -> 2DIM -> DIM -> 1``, ReLU between and tanh at the end:
``(N, noise_dim) -> (N, 1, 128, 128)``. Critic: ``5 x (Conv5x5/2, LeakyReLU 0.2)`` with widths
``1 -> DIM -> 2DIM -> 4DIM -> 8DIM -> 16DIM``, then ``Linear -> 1``; no normalisation (WGAN-GP, as
the paper). DIM = 64 in the paper. Initialisation as the other image networks here (tflib's; the
official code uses TensorFlow's Glorot defaults, a difference of scale only).
"""
from __future__ import annotations

import torch
from torch import nn

from wgangp.nets.dcgan import ImageSizes, conv, deconv, linear
from wgangp.nets.layers import activation

SIDE, STAGES = 128, 5          # 4 * 2**5 = 128


class SpecGANGenerator(nn.Module):
    """``(N, noise_dim) -> (N, 1, 128, 128)`` in [-1, 1]."""

    def __init__(self, s: ImageSizes):
        super().__init__()
        self.dim = s.dim
        widths = [16 * s.dim, 8 * s.dim, 4 * s.dim, 2 * s.dim, s.dim, 1]
        self.fc = linear(s.noise_dim, 4 * 4 * widths[0])
        layers: list[nn.Module] = []
        for i in range(STAGES):
            layers.append(deconv(widths[i], widths[i + 1]))
            layers.append(nn.ReLU() if i < STAGES - 1 else nn.Tanh())
        self.up = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.up(torch.relu(self.fc(z)).view(-1, 16 * self.dim, 4, 4))


class SpecGANCritic(nn.Module):
    """``(N, 1, 128, 128) -> (N, 1)``: five stride-2 5x5 convs with LeakyReLU(0.2), Linear."""

    def __init__(self, s: ImageSizes):
        super().__init__()
        widths = [1, s.dim, 2 * s.dim, 4 * s.dim, 8 * s.dim, 16 * s.dim]
        layers: list[nn.Module] = []
        for i in range(STAGES):
            layers += [conv(widths[i], widths[i + 1]), activation(s.activation, 0.2)]
        self.net = nn.Sequential(*layers, nn.Flatten(), linear(4 * 4 * widths[-1], 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)
