"""Writing generated samples to array files, atomically (temporary name, then rename): ``.npy``,
``.npz`` (``x_train`` and, for conditional runs, ``y_train``: usable as ``data.path``) and ``.csv``
(``(N, D)`` samples). A data kind's own formats (images: PNG grids and folders; tables: records;
text: lines) are its domain's writers (:meth:`wgangp.domains.base.Domain.writers`)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

import numpy as np
import torch

from wgangp.errors import UserError

FORMATS = (".npy", ".npz", ".csv")


def atomic_write(path: Path, write: Callable) -> Path:
    """``write(file)`` into a temporary file beside ``path``, renamed over it once complete; an
    unwritable place or a full disk is a UserError and leaves nothing behind."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        raise UserError(f"output directory '{path.parent}' does not exist")
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as f:
            write(f)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write '{path}' ({e.strerror or e})") from None
    return path


def save_samples(x: torch.Tensor, path: str | Path, labels: torch.Tensor | None = None) -> Path:
    """Write samples ``(N, ...)`` as ``.npy`` (float), ``.npz`` (float ``x_train``, ``y_train`` =
    ``labels``) or ``.csv`` (``(N, D)`` only, one sample a row)."""
    path = Path(path)
    if path.suffix not in FORMATS or str(path).endswith(("/", os.sep)):
        raise UserError(f"output '{path}': use a .npy, .npz, .csv file name (this kind of data writes no "
                        f"{path.suffix or 'folder'} samples)")
    if path.suffix == ".csv" and x.dim() != 2:
        raise UserError(f"output '{path}': .csv holds one (D,) sample a row; these samples have shape "
                        f"{tuple(x.shape[1:])} (use .npy or .npz)")

    def write(f):
        if path.suffix == ".npy":
            np.save(f, x.numpy())
        elif path.suffix == ".npz":
            np.savez(f, x_train=x.numpy(), **({"y_train": labels.numpy()} if labels is not None else {}))
        else:
            np.savetxt(f, x.numpy(), delimiter=",", fmt="%.7g")
    return atomic_write(path, write)
