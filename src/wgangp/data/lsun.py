"""LSUN scenes (e.g. the paper's bedrooms) from the official lmdb databases via torchvision.

Needs the optional ``lmdb`` package (``pip install 'wgangp[lsun]'``). ``data.path`` is the folder
holding ``<category>_lmdb`` (e.g. ``bedroom_train_lmdb`` from LSUN's ``download.py``);
``data.lsun_class`` names the category. Images are resized (short side) and centre-cropped to
``data.resolution``, decoded once into the cache like image folders; ``data.max_images`` keeps
the first N records (the full 3M bedrooms at 64x64 are ~37 GB of uint8, so most users cap it).
"""
from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import numpy as np
import torch

from wgangp.data.folder import file_key, cache_root, fit_image, read_cache, stack_images, write_cache
from wgangp.errors import UserError


def _open(root: str, category: str):
    try:
        import lmdb  # noqa: F401  (torchvision imports it lazily; fail here with advice)
    except ImportError:
        raise UserError("LSUN needs the lmdb package: pip install lmdb (or pip install 'wgangp[lsun]')") from None
    import torchvision

    if not (Path(root) / f"{category}_lmdb").is_dir():
        raise UserError(f"LSUN database '{Path(root) / (category + '_lmdb')}' not found; download it with LSUN's "
                        "download.py (https://github.com/fyu/lsun), unzip it there, or fix data.path / data.lsun_class")
    keys_dir = cache_root() / "lsun-keys"
    keys_dir.mkdir(parents=True, exist_ok=True)
    try:
        with contextlib.chdir(keys_dir):             # torchvision writes its key cache into the cwd
            return torchvision.datasets.LSUN(root, classes=[category])
    except ValueError as e:
        raise UserError(f"data.lsun_class '{category}' is not an LSUN category ({e})") from None
    except Exception as e:                           # lmdb.Error and friends
        raise UserError(f"cannot open LSUN database under '{root}' ({type(e).__name__}: {e})") from None


def load_lsun(root: str, category: str = "bedroom_train", resolution: int = 64, max_images: int = 0) -> torch.Tensor:
    """uint8 ``(N, 3, resolution, resolution)`` from ``root/<category>_lmdb`` (first ``max_images``)."""
    if not resolution:
        raise UserError("LSUN images come in many sizes; set data.resolution (64 for the paper's bedrooms)")
    db = Path(root) / f"{category}_lmdb"
    ds = _open(root, category)
    n = min(len(ds), max_images) if max_images else len(ds)
    cached = cache_root() / "decoded" / f"lsun-{category}-{file_key(db / 'data.mdb' if (db / 'data.mdb').exists() else db, n, resolution)}.npz"
    arrays = read_cache(cached)
    try:
        if arrays is None:
            arrays = _decode_all(ds, n, resolution, db), None
            write_cache(cached, arrays[0])
    finally:
        for sub in ds.dbs:                           # lmdb refuses a second open of a still-open env
            sub.env.close()
    return torch.from_numpy(np.asarray(arrays[0]))


def _decode_all(ds, n: int, resolution: int, db: Path) -> np.ndarray:
    images, grays, bad = [], [], 0
    for i in range(n):
        try:
            img, _ = ds[i]
        except Exception:                            # a corrupt record: skip and count
            bad += 1
            continue
        arr, gray = fit_image(img, resolution)
        images.append(arr)
        grays.append(gray)
    if bad:
        warnings.warn(f"skipped {bad} unreadable LSUN record(s) in '{db}'", stacklevel=3)
    if not images:
        raise UserError(f"none of the {n} records in '{db}' could be decoded")
    return stack_images(images, grays, str(db))
