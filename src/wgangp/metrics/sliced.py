"""Sliced Wasserstein-1 distance: the mean over random directions of the exact 1-D W1 of the two
sets projected on each direction (Rabin et al. 2011; Bonneel et al. 2015). It needs memory
``O((N + M) * P)`` rather than the ``N x M`` cost matrix of the exact W1, so it serves
high-dimensional samples (images, as flattened pixels) where the exact distance does not fit.
It is a lower bound of W1 up to the factor of the dimension's projection (``E|<u, x>| < |x|``),
so compare it between runs, not with the exact W1 of points.
"""
from __future__ import annotations

import torch


def sliced_w1(a: torch.Tensor, b: torch.Tensor, n_projections: int = 256, seed: int = 0) -> float:
    """Sliced W1 between ``(N, D)`` and ``(M, D)`` point sets (uniform weights), over
    ``n_projections`` random unit directions drawn with ``seed``."""
    a, b = a.detach().double().cpu().flatten(1), b.detach().double().cpu().flatten(1)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"sliced_w1: dimensions differ ({a.shape[1]} and {b.shape[1]})")
    gen = torch.Generator().manual_seed(seed)
    u = torch.randn(a.shape[1], n_projections, generator=gen, dtype=torch.float64)
    u /= torch.linalg.vector_norm(u, dim=0, keepdim=True)
    pa, pb = (a @ u).sort(dim=0).values, (b @ u).sort(dim=0).values
    if len(pa) != len(pb):                          # unequal sizes: compare the two quantile functions
        q = (torch.arange(max(len(pa), len(pb)), dtype=torch.float64) + 0.5) / max(len(pa), len(pb))
        pa, pb = (torch.quantile(p, q, dim=0, interpolation="nearest") for p in (pa, pb))
    return float((pa - pb).abs().mean())
