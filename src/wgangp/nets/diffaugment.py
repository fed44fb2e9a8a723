"""DiffAugment (Zhao, Liu, Lin, Zhu & Han 2020, "Differentiable Augmentation for Data-Efficient GAN
Training"): with few training samples the critic memorises them and the generator stalls; the cure
is to show the critic randomly augmented samples -- real and generated alike, and in the generator
step too, so the generator's gradient flows through the augmentation -- never the data set alone.

``train.diffaugment`` names the policies, comma-separated, applied in this order to every sample
with its own random draw:

* ``color``: brightness (+ U(-0.5, 0.5)), saturation (spread around the channel mean x U(0, 2)),
  contrast (spread around the sample mean x U(0.5, 1.5)), the paper's ranges for data in [-1, 1];
* ``translation``: a shift of up to 1/8 of the length along every spatial axis, zero filled;
* ``cutout``: a window of half the length along every spatial axis set to zero.

Every op works on ``(N, C, *spatial)``: images ``(N, C, H, W)`` and series ``(N, C, L)`` alike. The
training step wraps its critic in :class:`AugmentedCritic`. The critic of the game is then
``x -> D(T(x))``, so the gradient penalty is taken of that map with respect to the un-augmented
interpolate (one draw of T per interpolate); where cutout or a shift zeroes part of the input, that
part carries no gradient. Evaluation and diagnostics keep the critic itself.
"""
from __future__ import annotations

import torch
from torch import nn

from wgangp.config import DIFFAUGMENT as POLICIES

TRANSLATION_RATIO, CUTOUT_RATIO = 0.125, 0.5


def parse_policy(text: str) -> tuple[str, ...]:
    """``"translation,cutout"`` -> ``("translation", "cutout")`` (the names were checked with the config)."""
    return tuple(p.strip() for p in text.split(",") if p.strip())


def _uniform(x: torch.Tensor, gen: torch.Generator | None) -> torch.Tensor:
    """One U(0, 1) draw per sample, shaped to broadcast over ``x``."""
    return torch.rand((x.shape[0],) + (1,) * (x.dim() - 1), device=x.device, dtype=x.dtype, generator=gen)


def color(x: torch.Tensor, gen: torch.Generator | None = None) -> torch.Tensor:
    x = x + (_uniform(x, gen) - 0.5)
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (_uniform(x, gen) * 2) + mean
    mean = x.mean(dim=tuple(range(1, x.dim())), keepdim=True)
    return (x - mean) * (_uniform(x, gen) + 0.5) + mean


def _along(axis: int, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
    """``t (N, L)`` viewed to broadcast over ``x`` along ``axis``."""
    shape = [x.shape[0]] + [1] * (x.dim() - 1)
    shape[axis] = x.shape[axis]
    return t.view(shape)


def translation(x: torch.Tensor, gen: torch.Generator | None = None, ratio: float = TRANSLATION_RATIO) -> torch.Tensor:
    for axis in range(2, x.dim()):
        n = x.shape[axis]
        r = int(n * ratio + 0.5)
        shift = torch.randint(-r, r + 1, (x.shape[0], 1), device=x.device, generator=gen)
        src = torch.arange(n, device=x.device).view(1, n) - shift              # output i reads input i - shift
        inside = _along(axis, x, ((src >= 0) & (src < n)).to(x.dtype))
        x = torch.gather(x, axis, _along(axis, x, src.clamp(0, n - 1)).expand(x.shape)) * inside
    return x


def cutout(x: torch.Tensor, gen: torch.Generator | None = None, ratio: float = CUTOUT_RATIO) -> torch.Tensor:
    hole = torch.ones((), device=x.device, dtype=x.dtype)
    for axis in range(2, x.dim()):
        n = x.shape[axis]
        size = int(n * ratio + 0.5)
        centre = torch.randint(0, n, (x.shape[0], 1), device=x.device, generator=gen)
        i = torch.arange(n, device=x.device).view(1, n)
        hole = hole * _along(axis, x, ((i >= centre - size // 2) & (i < centre - size // 2 + size)).to(x.dtype))
    return x * (1 - hole)


OPS = {"color": color, "translation": translation, "cutout": cutout}
assert tuple(OPS) == POLICIES, "wgangp.config.DIFFAUGMENT names these ops"


def augment(x: torch.Tensor, policy: tuple[str, ...], gen: torch.Generator | None = None) -> torch.Tensor:
    """``x`` through each op of ``policy`` in turn (differentiable with respect to ``x``)."""
    for name in policy:
        x = OPS[name](x, gen)
    return x


class AugmentedCritic(nn.Module):
    """``D(T(x), *rest)``: the critic seeing :func:`augment` ed samples, drawn from ``gen`` (the
    trainer's own noise generator, so a run is reproducible and resumes its stream)."""

    def __init__(self, critic: nn.Module, policy: tuple[str, ...], gen: torch.Generator | None = None):
        super().__init__()
        self.critic, self.policy, self.gen = critic, policy, gen

    def forward(self, x: torch.Tensor, *rest):
        if x.dtype in (torch.float16, torch.bfloat16):        # a generator under autocast: draws and means in fp32
            x = x.float()
        return self.critic(augment(x, self.policy, self.gen), *rest)
