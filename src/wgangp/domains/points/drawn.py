"""The point data a playground page offers: a toy set by name, or points drawn on the plane.

Drawn points become a point file beside the run (each point repeated with a little Gaussian noise,
so the critic sees a cloud and not 8 atoms) that ``data.name=points`` reads.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np

from wgangp.data.toy import TOYS
from wgangp.errors import UserError

DRAWN = "drawn"
CHOICES = (*TOYS, DRAWN)
DEFAULT = "25gaussians"          # the paper's Figure 2 set
MIN_DRAWN = 8                    # drawn points: at least this many
COPIES, STD = 64, 0.05


def data_keys(choice: str, points, run_dir: Path) -> dict:
    """The ``data.*`` config keys of a playground data choice (``points``: the drawn ``[x, y]`` pairs)."""
    if choice not in CHOICES:
        raise UserError(f"data: one of {', '.join(CHOICES)}, got {choice!r}")
    if choice != DRAWN:
        return {"data.name": choice}
    return {"data.name": "points", "data.path": str(drawn_file(points, run_dir))}


def choice(form: dict) -> str:
    """The data choice of a playground form (its ``data`` field; :data:`DEFAULT` when absent)."""
    return str(form.get("data", DEFAULT))


def form_keys(form: dict, run_dir: Path) -> dict:
    """:func:`data_keys` of a playground form: its ``data`` choice and, for ``drawn``, its ``points``."""
    return data_keys(choice(form), form.get("points"), run_dir)


def drawn_file(points, run_dir: Path) -> Path:
    """The drawn points as a point file ``<run_dir>-points.npy``."""
    try:
        p = np.asarray(points, dtype=np.float32).reshape(-1, 2)
    except (TypeError, ValueError):
        raise UserError("points: a list of [x, y] pairs") from None
    if len(p) < MIN_DRAWN or not np.isfinite(p).all():
        raise UserError(f"draw at least {MIN_DRAWN} points on the plane first (got {len(p)})")
    rng = np.random.default_rng(0)
    cloud = np.repeat(p, COPIES, axis=0) + STD * rng.standard_normal((len(p) * COPIES, 2))
    run_dir.mkdir(parents=True, exist_ok=True)
    path = run_dir.with_name(run_dir.name + "-points.npy")
    np.save(path, cloud.astype(np.float32))
    return path
