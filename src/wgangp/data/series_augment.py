"""The classic augmentations of time series, the baseline a generator's samples must beat.

As Um et al. (2017, "Data augmentation of wearable sensor data for Parkinson's disease monitoring
using convolutional neural networks") and Le Guennec et al. (2016, "Data augmentation for time
series classification using convolutional neural networks"); every function takes series
``x (N, C, L)`` (NumPy, any units), returns an array of the same shape and dtype, and draws from
``np.random.default_rng(seed)``:

* :func:`jitter`: Gaussian noise of standard deviation ``sigma`` (0.03) times each series' own scale
  (the standard deviation over time of that series and channel; a constant channel gets none).
* :func:`scaling`: each series and channel multiplied by one factor drawn from N(1, ``sigma`` = 0.1).
* :func:`window_warp`: in each series a random window of ``window`` (10%) of the length is stretched
  by 0.5 or 2 (drawn per series, the same window for every channel), and the series is resampled
  back to its length by linear interpolation (``np.interp``).

:func:`classic_augment` returns the real set followed by ``copies`` augmented copies (each series
warped, scaled and jittered); :func:`classic_balance` tops every class up to the largest with
augmented copies of that class's own series (the classic counterpart of ``augment --balance``).
"""
from __future__ import annotations

import numpy as np


def jitter(x: np.ndarray, seed: int = 0, sigma: float = 0.03) -> np.ndarray:
    """``x`` plus noise N(0, (sigma * std of each series and channel over time)^2)."""
    rng = np.random.default_rng(seed)
    scale = x.std(axis=2, keepdims=True)
    return (x + sigma * scale * rng.standard_normal(x.shape)).astype(x.dtype)


def scaling(x: np.ndarray, seed: int = 0, sigma: float = 0.1) -> np.ndarray:
    """``x`` times one factor N(1, sigma^2) per series and channel."""
    rng = np.random.default_rng(seed)
    return (x * rng.normal(1.0, sigma, size=(x.shape[0], x.shape[1], 1))).astype(x.dtype)


def _warp_one(s: np.ndarray, start: int, width: int, factor: float) -> np.ndarray:
    """One series ``(C, L)``: samples ``start .. start + width`` resampled to ``width * factor``
    samples, then the whole series resampled back to ``L``."""
    length = s.shape[1]
    t = np.arange(length, dtype=np.float64)
    inside = np.linspace(start, start + width - 1, max(2, int(round(width * factor))))
    where = np.concatenate([t[:start], inside, t[start + width:]])       # positions read, in order
    read = np.stack([np.interp(where, t, c) for c in s])                 # (C, L') the warped series
    back = np.linspace(0, read.shape[1] - 1, length)
    return np.stack([np.interp(back, np.arange(read.shape[1]), c) for c in read])


def window_warp(x: np.ndarray, seed: int = 0, window: float = 0.1, factors: tuple[float, float] = (0.5, 2.0)) -> np.ndarray:
    """Each series with a random window of ``window`` of its length stretched by one of ``factors``
    (drawn per series) and resampled back to its length."""
    rng = np.random.default_rng(seed)
    length = x.shape[2]
    width = min(length, max(2, int(round(window * length))))
    starts = rng.integers(0, length - width + 1, size=len(x))
    picks = rng.choice(np.asarray(factors, dtype=np.float64), size=len(x))
    out = np.stack([_warp_one(s, int(a), width, float(f)) for s, a, f in zip(x.astype(np.float64), starts, picks)])
    return out.reshape(x.shape).astype(x.dtype)


def augment_once(x: np.ndarray, seed: int = 0) -> np.ndarray:
    """Every series of ``x`` window-warped, scaled and jittered (three draws from ``seed``)."""
    seeds = np.random.SeedSequence(seed).generate_state(3)
    return jitter(scaling(window_warp(x, int(seeds[0])), int(seeds[1])), int(seeds[2]))


def classic_augment(x: np.ndarray, y: np.ndarray, copies: int = 1, seed: int = 0,
                    size: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` followed by ``copies`` augmented copies of it (:func:`augment_once`, each copy
    its own draw): ``((1 + copies) N, C, L)`` series and their labels. ``size``: instead of whole
    copies, exactly ``size`` augmented series (enough copies drawn, then a random subset kept), so
    that the classic arm adds as many series as a synthetic set of that size."""
    if size is not None:
        copies = max(1, -(-size // len(x)))
    xs = np.concatenate([augment_once(x, seed * 1_000 + i) for i in range(copies)])
    ys = np.concatenate([y] * copies)
    if size is not None:
        keep = np.sort(np.random.default_rng(seed).choice(len(xs), size=size, replace=False))
        xs, ys = xs[keep], ys[keep]
    return np.concatenate([x, xs]), np.concatenate([y, ys])


def classic_balance(x: np.ndarray, y: np.ndarray, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` followed by augmented copies of series drawn (with replacement) from each class
    until every class is as large as the largest."""
    rng = np.random.default_rng(seed)
    counts = np.bincount(y)
    picks = np.concatenate([rng.choice(np.flatnonzero(y == k), size=counts.max() - c, replace=True)
                            for k, c in enumerate(counts) if c > 0]).astype(np.int64)
    if not len(picks):
        return x, y
    return np.concatenate([x, augment_once(x[picks], seed)]), np.concatenate([y, y[picks]])
