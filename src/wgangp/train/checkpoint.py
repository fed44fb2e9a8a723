"""Checkpoints: one portable bundle of plain tensors and Python scalars, written atomically.

Written to a temporary file in the same directory, flushed to disk, then renamed over the old one,
so a crash (even SIGKILL) leaves either the previous checkpoint or the new one, never half of one.
Loaded with ``torch.load(weights_only=True)``: no arbitrary object is unpickled.
"""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

import torch

from wgangp.errors import UserError

FORMAT = "wgangp-checkpoint-1"
NAME = "checkpoint.pt"


def save_checkpoint(state: dict, path: Path) -> None:
    """Atomically write ``state`` (tensors, dicts, lists, numbers, strings) to ``path``."""
    path = Path(path)
    state = {"format": FORMAT, **state}
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            torch.save(state, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def load_checkpoint(path: Path, map_location: str | torch.device = "cpu") -> dict:
    """Read a checkpoint written by :func:`save_checkpoint`; clear errors for missing or corrupt files."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"no checkpoint at '{path}'; train a run first (wgangp train PRESET --out DIR)")
    try:
        state = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as e:
        raise UserError(f"checkpoint '{path}' is corrupt or not a wgangp checkpoint ({type(e).__name__}); "
                        "restore it from a backup or start a new run with another --out") from None
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise UserError(f"'{path}' is not a wgangp checkpoint (format {state.get('format') if isinstance(state, dict) else '?'!r})")
    return state
