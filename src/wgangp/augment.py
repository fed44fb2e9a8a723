"""Class-balanced data augmentation with a trained conditional run: ``wgangp augment``.

The real data set the run was trained on is read (never written), every class is topped up with
generated samples -- to the largest class (``balance``) or to ``per_class`` -- and the result is
written to a new path in the input's own format by the run's domain (images: an .npz or a folder,
optionally classifier-filtered, :mod:`wgangp.domains.images.augment`; signals: an .npz, CSV/UCR
rows or a WAV folder, optionally filtered, :mod:`wgangp.domains.signals.augment`; tables: a .csv,
:mod:`wgangp.domains.tables`). A domain may add ``"notes"`` (what it wrote besides ``out``).
"""
from __future__ import annotations

from pathlib import Path

from wgangp.domains.base import plan  # noqa: F401  (part of this module's API)
from wgangp.errors import UserError


def augment(run, out: str | Path, per_class: int | None = None, seed: int = 0, filter_net=None,
            max_draws: int = 20) -> dict:
    """Write the augmented data set to ``out``; returns ``{"real": [...], "synthetic": [...]}`` per
    class (and, with ``filter_net``, ``"accepted"``: per class the share of drawn samples the classifier
    put in their own class).

    ``filter_net``: a classifier (TorchScript path or module with ``logits``); at most ``max_draws``
    times a class's count is drawn before giving up on that class.
    """
    if not run.n_classes:
        raise UserError("augment needs a class-conditional run (trained with model.conditional=true)")
    if per_class is not None and per_class <= 0:
        raise UserError(f"--per-class must be positive, got {per_class}")
    out = Path(out)
    if out.exists():
        raise UserError(f"output '{out}' already exists; choose a new path (nothing is overwritten)")
    return run.domain.augment(run, out, per_class, seed, filter_net, max_draws)
