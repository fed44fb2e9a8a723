"""The paper's toy data sets, exactly as the official ``gan_toy.py``, and point clouds from files.

* ``8gaussians``: centres on a circle of radius 2, std 0.02, everything scaled by 1/1.414;
  a fresh batch is drawn every step.
* ``25gaussians``: centres at {-4,-2,0,2,4}^2, std 0.05, scaled by 1/2.828; like the official
  code, a fixed set of 100,000 points is shuffled once and cycled through in order.
* ``swissroll``: ``sklearn.datasets.make_swiss_roll(noise=0.25)`` columns (0, 2) scaled by 1/7.5,
  fresh every step.
* ``points``: any ``(N, D)`` array from a .npy or .csv file, reshuffled every epoch.

All randomness comes from a ``torch.Generator`` owned by the source, whose state (and cursor)
is saved in checkpoints so that a resumed run sees the same batches.
"""
from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from wgangp.data.base import PointSource, refuse_complex, require_file
from wgangp.errors import UserError


@dataclass
class ToyDistribution:
    """A toy distribution: a Gaussian mixture (its mode centres and per-mode std) or, where ``draw``
    is set, a sampler of its own."""
    name: str
    dim: int
    centers: torch.Tensor | None = None   # (K, dim), after the data's scaling
    std: float | None = None              # per-mode standard deviation, after scaling
    draw: Callable[[int, torch.Generator], torch.Tensor] | None = None

    def sample(self, n: int, gen: torch.Generator, with_labels: bool = False):
        """Fresh ``(n, dim)`` float32 samples (and, ``with_labels``, each sample's mode index)."""
        if self.draw is not None:
            return self.draw(n, gen)
        idx = torch.randint(len(self.centers), (n,), generator=gen)
        x = self.centers[idx] + self.std * torch.randn(n, self.dim, generator=gen)
        return (x, idx) if with_labels else x


def _swiss_roll(n: int, gen: torch.Generator) -> torch.Tensor:
    from sklearn.datasets import make_swiss_roll

    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=gen))
    x = make_swiss_roll(n_samples=n, noise=0.25, random_state=seed)[0]
    return torch.from_numpy(x.astype("float32")[:, [0, 2]] / 7.5)


def _eight_gaussians() -> ToyDistribution:
    s = 1 / math.sqrt(2)
    unit = torch.tensor([(1, 0), (-1, 0), (0, 1), (0, -1), (s, s), (s, -s), (-s, s), (-s, -s)])
    return ToyDistribution("8gaussians", 2, centers=unit * 2.0 / 1.414, std=0.02 / 1.414)


def _twenty_five_gaussians() -> ToyDistribution:
    grid = torch.tensor([(2.0 * x, 2.0 * y) for x in range(-2, 3) for y in range(-2, 3)])
    return ToyDistribution("25gaussians", 2, centers=grid / 2.828, std=0.05 / 2.828)


# the paper's toy sets by name
TOYS: dict[str, Callable[[], ToyDistribution]] = {
    "8gaussians": _eight_gaussians,
    "25gaussians": _twenty_five_gaussians,
    "swissroll": lambda: ToyDistribution("swissroll", 2, draw=_swiss_roll),
}


def toy_distribution(name: str) -> ToyDistribution:
    """The named toy distribution (``8gaussians``, ``25gaussians``, ``swissroll``)."""
    if name not in TOYS:
        raise ValueError(f"no toy distribution {name!r} (known: {', '.join(TOYS)})")
    return TOYS[name]()


def load_points(path: str) -> torch.Tensor:
    """Read an ``(N, D)`` point cloud from .npy or .csv, with clear errors for bad files."""
    p = Path(path)
    require_file(p, "data file", "pass --set data.path=FILE.npy or FILE.csv")
    try:
        if p.suffix == ".npy":
            arr = np.load(p, allow_pickle=False)
        elif p.suffix in (".csv", ".txt"):
            arr = _read_csv(p)
        else:
            raise UserError(f"data file '{path}': unsupported extension '{p.suffix}'; use .npy or .csv")
    except UserError:
        raise
    except Exception as e:
        raise UserError(f"data file '{path}' could not be read ({type(e).__name__}: {e}); expected an (N, D) array of numbers") from None
    refuse_complex(arr, f"data file '{path}'", "store the real and imaginary parts as columns, e.g. "
                   "np.concatenate([x.real, x.imag], axis=1)")
    if arr.ndim == 1 and arr.size > 0 and p.suffix != ".npy":
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise UserError(f"data file '{path}' has shape {tuple(arr.shape)}; expected (N, D) with one point per row, N >= 2")
    if arr.shape[0] < 2:
        raise UserError(f"data file '{path}' holds {arr.shape[0]} point; at least 2 are needed")
    if not np.issubdtype(arr.dtype, np.number) or not np.isfinite(arr).all():
        raise UserError(f"data file '{path}' holds non-numeric, NaN or infinite values")
    return torch.from_numpy(np.ascontiguousarray(arr, dtype=np.float32))


def _read_csv(p: Path) -> np.ndarray:
    text = p.read_text()
    if not text.strip():
        raise UserError(f"data file '{p}' is empty; expected one point per row")
    first = text.lstrip().splitlines()[0]
    has_header = any(c.isalpha() and c not in "eE" for c in first)
    return np.loadtxt(p, delimiter=",", skiprows=1 if has_header else 0, ndmin=2, dtype=np.float64)


def file_source(data_cfg, seed: int) -> PointSource:
    """``data.name=points``: the point file ``data.path``, reshuffled every epoch."""
    points = load_points(data_cfg.path)
    if len(points) < data_cfg.batch_size:
        raise UserError(f"data file '{data_cfg.path}' holds {len(points)} points, fewer than data.batch_size="
                        f"{data_cfg.batch_size}; lower it with --set data.batch_size=N")
    return PointSource(data_cfg.batch_size, seed, points=points)


def fixed_mixture_source(data_cfg, seed: int) -> PointSource:
    """25 Gaussians as the official code: 4000 copies of the 25 centres plus noise, shuffled once,
    cycled in order (row i is centre i % 25)."""
    dist = toy_distribution(data_cfg.name)
    gen = torch.Generator().manual_seed(seed + 1)
    fixed = dist.centers.repeat(4000, 1) + dist.std * torch.randn(100_000, 2, generator=gen)
    labels = torch.arange(25).repeat(4000)
    return PointSource(data_cfg.batch_size, seed, dist=dist, points=fixed, reshuffle=False, labels=labels)


def distribution_source(data_cfg, seed: int) -> PointSource:
    """Fresh draws of the toy distribution ``data.name`` every batch."""
    return PointSource(data_cfg.batch_size, seed, dist=toy_distribution(data_cfg.name))
