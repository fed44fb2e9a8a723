"""Kernel Inception Distance (Binkowski et al. 2018), as torch-fidelity computes it.

Unbiased estimate of MMD^2 with the cubic polynomial kernel ``k(x, y) = (x.y / d + 1)^3`` on
feature vectors of dimension ``d``, averaged over ``num_subsets`` random subsets of
``subset_size`` rows drawn without replacement from each set. Per subset of size ``m``:
``MMD^2 = sum_{i!=j} k(x_i, x_j) / (m (m-1)) + sum_{i!=j} k(y_i, y_j) / (m (m-1))
- 2 sum_{i,j} k(x_i, y_j) / m^2`` (the diagonals are left out, which removes the bias).
Reported ``std`` is the standard deviation over subsets (ddof=0, as torch-fidelity).
"""
from __future__ import annotations

import numpy as np
import torch

from wgangp.errors import UserError


def _as_numpy64(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def polynomial_mmd2(x: np.ndarray, y: np.ndarray, degree: int = 3, coef: float = 1.0) -> float:
    """Unbiased MMD^2 between ``x (m, d)`` and ``y (m, d)`` with kernel ``(x.y/d + coef)^degree``."""
    m, d = x.shape
    if y.shape != (m, d) or m < 2:
        raise UserError(f"KID subsets need equal shapes (m, d) with m >= 2, got {x.shape} and {y.shape}")
    k_xx = (x @ x.T / d + coef) ** degree
    k_yy = (y @ y.T / d + coef) ** degree
    k_xy = (x @ y.T / d + coef) ** degree
    off = lambda k: (k.sum() - np.trace(k)) / (m * (m - 1))   # noqa: E731
    return float(off(k_xx) + off(k_yy) - 2.0 * k_xy.mean())


def kid(fake_features, real_features, num_subsets: int = 100, subset_size: int = 1000,
        seed: int = 0) -> dict:
    """``{"kid_mean", "kid_std"}`` (float64, units of kernel values) between ``(N, d)`` and ``(M, d)``.

    ``subset_size`` is capped at ``min(N, M)``; subsets are drawn with a seeded generator so the
    result is reproducible.
    """
    x, y = _as_numpy64(fake_features), _as_numpy64(real_features)
    if x.ndim != 2 or y.ndim != 2 or x.shape[1] != y.shape[1]:
        raise UserError(f"KID needs features (N, d) and (M, d) with the same d, got {x.shape} and "
                        f"{y.shape}; were they made with the same feature net?")
    m = min(subset_size, len(x), len(y))
    if m < 2:
        raise UserError(f"KID needs at least 2 samples in each set, got {len(x)} and {len(y)}")
    if num_subsets < 1:
        raise UserError(f"num_subsets must be >= 1, got {num_subsets}")
    rng = np.random.default_rng(seed)
    mmds = np.array([polynomial_mmd2(x[rng.choice(len(x), m, replace=False)],
                                     y[rng.choice(len(y), m, replace=False)])
                     for _ in range(num_subsets)])
    return {"kid_mean": float(mmds.mean()), "kid_std": float(mmds.std())}
