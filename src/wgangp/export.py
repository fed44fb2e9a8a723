"""Writing generated samples to files: arrays (.npy / .npz usable as data.path), CSV, image grids
and folders of PNGs, each written atomically (temporary name, then rename)."""
from __future__ import annotations

import os
from pathlib import Path

import torch

from wgangp.errors import UserError
from wgangp.viz import image_grid


def save_samples(x: torch.Tensor, path: str | Path, labels: torch.Tensor | None = None) -> Path:
    """Write samples atomically: ``.npy`` (float), ``.npz`` (images as uint8 NHWC ``x_train``, usable
    as ``data.path``; points as float ``x_train``), ``.csv`` (points), ``.png`` (an image grid) or,
    for images, a folder (a name ending in ``/`` or without suffix) of numbered PNGs. ``labels``
    (conditional runs): stored as ``y_train`` in an .npz, as class sub-folders in a folder."""
    import numpy as np

    is_dir = str(path).endswith(("/", os.sep)) or Path(path).suffix == ""
    path = Path(path)
    if not is_dir and path.suffix not in (".npy", ".npz", ".csv", ".png"):
        raise UserError(f"output '{path}': use a .npy, .npz, .csv or (for images) .png file name, or a folder/")
    if ((path.suffix == ".png" or is_dir) and x.dim() != 4) or (path.suffix == ".csv" and x.dim() != 2):
        raise UserError(f"output '{path}': .png and folders are for image runs, .csv for point runs (.npy/.npz for both)")
    if path.parent and not path.parent.exists():
        raise UserError(f"output directory '{path.parent}' does not exist")
    if is_dir:
        return _save_folder(x, path, labels)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with open(tmp, "wb") as f:
            if path.suffix == ".png":
                save_image_grid(x, f)
            elif path.suffix == ".npy":
                np.save(f, x.numpy())
            elif path.suffix == ".npz":
                extra = {"y_train": labels.numpy()} if labels is not None else {}
                np.savez(f, x_train=to_uint8_nhwc(x) if x.dim() == 4 else x.numpy(), **extra)
            else:
                np.savetxt(f, x.numpy(), delimiter=",", fmt="%.7g")
        os.replace(tmp, path)
    except OSError as e:
        raise UserError(f"cannot write '{path}' ({e.strerror or e})") from None
    return path


def save_image_grid(x: torch.Tensor, f) -> None:
    from torchvision.utils import save_image

    save_image(image_grid(x), f, format="png")


def to_uint8_nhwc(x: torch.Tensor):
    """Images in [-1, 1] -> uint8 ``(N, H, W, C)`` (the inverse of the loaders' ``x / 127.5 - 1``)."""
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def _save_folder(x: torch.Tensor, path: Path, labels: torch.Tensor | None = None) -> Path:
    """Numbered PNGs in a new (or empty) folder; written to a temp folder, then renamed into place."""
    import shutil
    import tempfile

    from PIL import Image

    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UserError(f"output folder '{path}' exists and is not empty; choose a new folder")
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        arr = to_uint8_nhwc(x)
        for i, img in enumerate(arr):
            # zero-padded class folders sort as numbers do, so ImageFolder's rule gives the labels back
            where = tmp if labels is None else tmp / f"{int(labels[i]):0{len(str(int(labels.max())))}d}"
            where.mkdir(exist_ok=True)
            Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img).save(where / f"{i:06d}.png")
        os.replace(tmp, path)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"cannot write '{path}' ({e.strerror or e})") from None
    return path
