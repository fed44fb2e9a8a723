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
HISTORY = "checkpoints"        # train.keep_last > 1: the latest checkpoints, step-00001000.pt ...
BEST = "best.pt"               # train.best_metric: the run at its best evaluation (best.json says which)


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
    except BaseException as e:
        if os.path.exists(tmp):
            os.unlink(tmp)
        os_error = next((c for c in (e, e.__context__, e.__cause__) if isinstance(c, OSError)), None)
        if os_error is not None:      # torch.save re-raises a failed write as a RuntimeError from its zip writer
            kept = "the previous one is kept" if path.exists() else "no checkpoint is on disk yet"
            why = os_error.strerror or str(os_error)
            raise UserError(f"cannot write checkpoint '{path}' ({why}); {kept}. Free some space (or fix the folder), "
                            "then continue with --resume") from None
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
    _check_version(state.get("version"), path)
    return state


def _release(version: str) -> tuple[int, ...]:
    parts = []
    for piece in str(version).split(".")[:3]:
        digits = "".join(c for c in piece if c.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def _check_version(version, path: Path) -> None:
    """A checkpoint of a newer wgangp (major.minor) may hold entries this one does not know: refused."""
    from wgangp.version import __version__

    if version is not None and _release(version)[:2] > _release(__version__)[:2]:
        raise UserError(f"checkpoint '{path}' was written by wgangp {version}, this is {__version__}; "
                        "upgrade wgangp (pip install -U wgangp) to read it")


def keep_history(run_dir: Path, step: int, keep_last: int) -> None:
    """``keep_last > 1``: ``checkpoints/step-NNNNNNNN.pt`` is the checkpoint just written (a hard
    link of ``checkpoint.pt``, so no second copy on disk; a copy where links are not possible), and
    only the ``keep_last`` latest are kept."""
    if keep_last <= 1:
        return
    folder = Path(run_dir) / HISTORY
    folder.mkdir(exist_ok=True)
    target = folder / f"step-{step:08d}.pt"
    tmp = folder / f".{target.name}.tmp"
    tmp.unlink(missing_ok=True)
    try:
        try:
            os.link(Path(run_dir) / NAME, tmp)
        except OSError:
            import shutil

            shutil.copyfile(Path(run_dir) / NAME, tmp)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    for old in sorted(folder.glob("step-*.pt"))[:-keep_last]:
        old.unlink(missing_ok=True)


def save_best(state: dict, run_dir: Path, best: dict) -> None:
    """Write ``best.pt`` and then ``best.json`` (the metric, its value and the step), each atomically."""
    import json

    from wgangp.export import atomic_write

    save_checkpoint({**state, "best": best}, Path(run_dir) / BEST)
    atomic_write(Path(run_dir) / "best.json", lambda f: f.write((json.dumps(best, indent=2) + "\n").encode()))


def checkpoint_path(run_dir: Path, which: str = "latest") -> Path:
    """The file of checkpoint ``which``: ``latest`` (checkpoint.pt), ``best`` (best.pt) or a step
    kept in ``checkpoints/`` (``1000``)."""
    run_dir = Path(run_dir)
    if which in ("latest", "", NAME):
        return run_dir / NAME
    if which in ("best", BEST):
        if not (run_dir / BEST).is_file():
            raise UserError(f"'{run_dir}' has no {BEST}: train with --set train.best_metric=KEY (e.g. w1, fid) to keep one")
        return run_dir / BEST
    if which.isdigit():
        path = run_dir / HISTORY / f"step-{int(which):08d}.pt"
        if not path.is_file():
            kept = sorted(int(p.stem[5:]) for p in (run_dir / HISTORY).glob("step-*.pt")) if (run_dir / HISTORY).is_dir() else []
            raise UserError(f"'{run_dir}' keeps no checkpoint of step {int(which)}; kept: "
                            f"{', '.join(map(str, kept)) or 'none (train.keep_last=1)'}")
        return path
    raise UserError(f"--checkpoint takes latest, best or a kept step number; got {which!r}")
