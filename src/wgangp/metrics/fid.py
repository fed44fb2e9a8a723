"""Frechet Inception Distance (Heusel et al. 2017) in float64, and a cache of real-data statistics.

``FID = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1^1/2 S2 S1^1/2)^1/2)``. The trace of the matrix square
root is the sum of singular values of ``S2^1/2 S1^1/2`` (square roots from ``eigh``, tiny negative
round-off clipped to 0), since ``S1^1/2 S2 S1^1/2 = A^T A`` for that ``A``; this avoids ``sqrtm``'s
complex parts on near-singular covariances and the square root of round-off noise. We do not use torchmetrics' ``FrechetInceptionDistance`` because it owns the feature
net and the image stream, whereas wgangp needs FID from saved statistics and a disk cache.

Cache: ``cached_stats`` keeps ``mu``/``sigma`` in ``<cache_dir>/<slug>-<hash>.npz`` keyed by e.g.
(dataset id, feature-net id, resolution), written to a temporary file then ``os.replace``-d. A file
that cannot be read or whose key or shapes do not match is **recomputed and overwritten**, with a
warning: the statistics are derived data, so recomputing is always safe.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import warnings
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from wgangp.errors import UserError

Stats = tuple[np.ndarray, np.ndarray]


def _as_numpy64(x) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().double().numpy()
    return np.asarray(x, dtype=np.float64)


def feature_stats(features) -> Stats:
    """``(mu (D,), sigma (D, D))`` in float64 of features ``(N, D)``; sigma unbiased (ddof=1)."""
    f = _as_numpy64(features)
    if f.ndim != 2 or len(f) < 2:
        raise UserError(f"FID statistics need features (N, D) with N >= 2, got shape {f.shape}; "
                        f"use more samples (FID is biased below ~10,000)")
    if not np.isfinite(f).all():
        raise UserError("features contain NaN or inf; check the generator's samples and the feature net")
    return f.mean(axis=0), np.cov(f, rowvar=False, ddof=1).reshape(f.shape[1], f.shape[1])


def _sqrt_psd(s: np.ndarray) -> np.ndarray:
    w, v = np.linalg.eigh((s + s.T) / 2)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def fid_from_stats(mu1, sigma1, mu2, sigma2) -> float:
    """FID between Gaussians ``(mu (D,), sigma (D, D))``; float64 throughout, units of features^2."""
    mu1, mu2, s1, s2 = (_as_numpy64(a) for a in (mu1, mu2, sigma1, sigma2))
    d = mu1.shape[0]
    if mu2.shape != (d,) or s1.shape != (d, d) or s2.shape != (d, d):
        raise UserError(f"FID statistics disagree in shape: mu {mu1.shape} vs {mu2.shape}, sigma "
                        f"{s1.shape} vs {s2.shape}; were they made with the same feature net?")
    # Tr (S1^1/2 S2 S1^1/2)^1/2 = nuclear norm of S2^1/2 S1^1/2: no squaring of round-off.
    tr_covmean = np.linalg.svd(_sqrt_psd(s2) @ _sqrt_psd(s1), compute_uv=False).sum()
    diff = mu1 - mu2
    return float(diff @ diff + np.trace(s1) + np.trace(s2) - 2.0 * tr_covmean)


def fid(a, b) -> float:
    """FID between two feature sets ``(N, D)``/``(M, D)`` or ``(mu, sigma)`` pairs, in any mix."""
    sa = tuple(a) if isinstance(a, (tuple, list)) else feature_stats(a)
    sb = tuple(b) if isinstance(b, (tuple, list)) else feature_stats(b)
    return fid_from_stats(*sa, *sb)


def _cache_path(key_parts, cache_dir: Path) -> tuple[Path, str]:
    key = json.dumps(key_parts, sort_keys=True, default=str)
    flat = key_parts.values() if isinstance(key_parts, dict) else key_parts
    slug = re.sub(r"[^A-Za-z0-9._]+", "-", "-".join(str(p) for p in flat)).strip("-")[:80]
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return cache_dir / f"{slug or 'stats'}-{digest}.npz", key


def _read(path: Path, key: str) -> Stats | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            mu, sigma, stored = z["mu"], z["sigma"], str(z["key"])
    except Exception as e:     # truncated zip, missing arrays, not an npz at all
        warnings.warn(f"ignoring unreadable stats cache {path} ({type(e).__name__}); recomputing")
        return None
    d = mu.shape[0] if mu.ndim == 1 else -1
    if stored != key or sigma.shape != (d, d) or not (np.isfinite(mu).all() and np.isfinite(sigma).all()):
        warnings.warn(f"stats cache {path} does not match its key or is malformed; recomputing")
        return None
    return mu.astype(np.float64), sigma.astype(np.float64)


def save_stats(path: str | Path, mu, sigma, key: str = "") -> None:
    """Write ``mu (D,)``, ``sigma (D, D)`` to an .npz atomically (temporary file + ``os.replace``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, mu=_as_numpy64(mu), sigma=_as_numpy64(sigma), key=np.array(key))
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def cached_stats(key_parts, compute_fn: Callable[[], Stats], cache_dir: str | Path) -> Stats:
    """Real-data ``(mu, sigma)`` from the cache, or ``compute_fn()`` once and stored.

    ``key_parts``: a dict or sequence of JSON-able values naming everything the statistics depend
    on, e.g. ``{"data": "cifar10-train", "net": net.net_id, "res": 32, "n": 50000}``.
    """
    path, key = _cache_path(key_parts, Path(cache_dir))
    if path.exists():
        hit = _read(path, key)
        if hit is not None:
            return hit
    mu, sigma = compute_fn()
    mu, sigma = _as_numpy64(mu), _as_numpy64(sigma)
    save_stats(path, mu, sigma, key)
    return mu, sigma
