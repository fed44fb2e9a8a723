"""The toy experiments' MLPs, as in the official ``gan_toy.py``.

Generator: ``noise_dim -> [hidden, ReLU] x depth -> data_dim``; critic: ``data_dim -> [hidden,
ReLU] x depth -> 1``. Initialisation follows the official tflib code: He-uniform for the ReLU
layers, Glorot-uniform for the output layer, zero biases.

``mlp-1d``: the same MLPs over short series ``(channels, length)`` flattened (:class:`SeriesGenerator`
ends in tanh, as the signal networks; :class:`SeriesCritic` flattens): no assumption of locality or
shift, any length, few parameters where ``model.hidden`` is small.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from wgangp.nets.layers import activation


@dataclass
class MLPSizes:
    in_dim: int
    out_dim: int
    hidden: int = 512
    depth: int = 3
    activation: str = "relu"


def _tflib_uniform_(linear: nn.Linear, stdev: float) -> None:
    # tflib draws U(-stdev*sqrt(3), stdev*sqrt(3)), i.e. a uniform with standard deviation `stdev`.
    bound = stdev * math.sqrt(3.0)
    nn.init.uniform_(linear.weight, -bound, bound)
    nn.init.zeros_(linear.bias)


class MLP(nn.Module):
    """``(N, in_dim) -> (N, out_dim)``."""

    def __init__(self, sizes: MLPSizes):
        super().__init__()
        layers: list[nn.Module] = []
        d = sizes.in_dim
        for _ in range(sizes.depth):
            lin = nn.Linear(d, sizes.hidden)
            _tflib_uniform_(lin, math.sqrt(2.0 / d))                       # 'he'
            layers += [lin, activation(sizes.activation)]
            d = sizes.hidden
        out = nn.Linear(d, sizes.out_dim)
        _tflib_uniform_(out, math.sqrt(2.0 / (d + sizes.out_dim)))         # 'glorot'
        layers.append(out)
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x)


class SeriesGenerator(nn.Module):
    """``(N, in_dim) -> (N, *shape)`` in [-1, 1]: an :class:`MLP` (``out_dim`` = the values of ``shape``), then tanh."""

    def __init__(self, sizes: MLPSizes, shape: tuple[int, ...]):
        super().__init__()
        self.shape = tuple(shape)
        self.mlp = MLP(sizes)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return torch.tanh(self.mlp(z)).view(-1, *self.shape)


class SeriesCritic(nn.Module):
    """``(N, ...) -> (N, 1)``: an :class:`MLP` over the flattened sample."""

    def __init__(self, sizes: MLPSizes):
        super().__init__()
        self.mlp = MLP(sizes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.mlp(x.flatten(1))
