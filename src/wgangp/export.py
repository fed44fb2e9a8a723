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
    ``labels``) or ``.csv`` (``(N, D)`` only, one sample a row): :func:`stream_samples` of one batch."""
    return stream_samples([x], len(x), tuple(x.shape[1:]), path, labels=labels)


def _npy_header(shape: tuple[int, ...], dtype: np.dtype) -> bytes:
    import io

    buf = io.BytesIO()
    np.lib.format.write_array_header_2_0(buf, {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)),
                                                "fortran_order": False, "shape": tuple(shape)})
    return buf.getvalue()


def check_free_space(path: Path, nbytes: int) -> None:
    """A write of about ``nbytes`` into ``path``'s folder fits on its disk (else a UserError, before
    anything is written)."""
    import shutil

    free = shutil.disk_usage(Path(path).parent if str(Path(path).parent) else ".").free
    if nbytes > free:
        raise UserError(f"'{path}' would need about {nbytes / 2**30:.2f} GiB, and its disk has {free / 2**30:.2f} GiB "
                        "free; write fewer samples (-n) or to another disk")


def stream_samples(batches, n: int, sample_shape: tuple[int, ...], path: str | Path,
                   labels: torch.Tensor | None = None, progress: bool = False) -> Path:
    """Write ``n`` samples arriving as ``batches`` (tensors ``(b, *sample_shape)``) to ``.npy``,
    ``.npz`` (``x_train``, ``y_train``: usable as ``data.path``) or ``.csv`` (``(N, D)`` samples, one a
    row) without holding them all (float32; the same file whatever the batches). The disk's free space is checked first; a tqdm bar
    shows progress (``progress``); the file appears only once complete."""
    import zipfile

    from tqdm import tqdm

    path = Path(path)
    if path.suffix not in FORMATS or str(path).endswith(("/", os.sep)):
        raise UserError(f"output '{path}': use a .npy, .npz, .csv file name (this kind of data writes no "
                        f"{path.suffix or 'folder'} samples)")
    if path.suffix == ".csv" and len(sample_shape) != 1:
        raise UserError(f"output '{path}': .csv holds one (D,) sample a row; these samples have shape "
                        f"{tuple(sample_shape)} (use .npy or .npz)")
    numel = int(np.prod(sample_shape))
    check_free_space(path, n * numel * (4 if path.suffix != ".csv" else 14) + (n * 8 if labels is not None else 0))
    bar = tqdm(total=n, disable=not progress, unit="sample", unit_scale=True, desc="sample", mininterval=0.5)

    def chunks(f):
        for x in batches:
            if path.suffix == ".csv":
                np.savetxt(f, x.numpy(), delimiter=",", fmt="%.7g")
            else:
                f.write(np.ascontiguousarray(x.numpy(), dtype=np.float32).tobytes())
            bar.update(len(x))

    def write(f):
        if path.suffix == ".npy":
            f.write(_npy_header((n, *sample_shape), np.float32))
            chunks(f)
        elif path.suffix == ".csv":
            chunks(f)
        else:
            with zipfile.ZipFile(f, "w", allowZip64=True) as z:
                with z.open("x_train.npy", "w", force_zip64=True) as entry:
                    entry.write(_npy_header((n, *sample_shape), np.float32))
                    chunks(entry)
                if labels is not None:
                    with z.open("y_train.npy", "w", force_zip64=True) as entry:
                        entry.write(_npy_header((n,), np.int64))
                        entry.write(labels.numpy().astype(np.int64).tobytes())
    try:
        return atomic_write(path, write)
    finally:
        bar.close()
