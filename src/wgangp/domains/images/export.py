"""Image sample files: a ``.png`` grid, a folder of numbered PNGs (class sub-folders for
conditional runs: ImageFolder's rule gives the labels back) and an ``.npz`` of uint8 NHWC
``x_train`` (usable as ``data.path``), each written atomically."""
from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from wgangp.errors import UserError
from wgangp.export import atomic_write


def to_uint8_nhwc(x: torch.Tensor) -> np.ndarray:
    """Images in [-1, 1] -> uint8 ``(N, H, W, C)`` (the inverse of the loaders' ``x / 127.5 - 1``)."""
    return ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def save_images(x: torch.Tensor, path: str | Path, labels: torch.Tensor | None = None) -> Path:
    """``(N, C, H, W)`` images in [-1, 1] as a ``.png`` grid, an ``.npz`` (uint8 ``x_train``,
    ``y_train``), an ``.npy`` (float) or a folder (a name ending in ``/`` or without suffix)."""
    from wgangp.export import save_samples

    is_dir = str(path).endswith(("/", os.sep)) or Path(path).suffix == ""
    path = Path(path)
    if is_dir:
        return _save_folder(x, path, labels)
    if path.suffix == ".png":
        from torchvision.utils import save_image

        from wgangp.viz import image_grid

        return atomic_write(path, lambda f: save_image(image_grid(x), f, format="png"))
    if path.suffix == ".npz":
        extra = {"y_train": labels.numpy()} if labels is not None else {}
        return atomic_write(path, lambda f: np.savez(f, x_train=to_uint8_nhwc(x), **extra))
    if path.suffix == ".npy":
        return save_samples(x, path)
    raise UserError(f"output '{path}': image runs write a .png grid, a folder/ of PNGs, .npz (uint8) or .npy (float)")


def _save_folder(x: torch.Tensor, path: Path, labels: torch.Tensor | None = None) -> Path:
    """Numbered PNGs in a new (or empty) folder; written to a temp folder, then renamed into place."""
    from PIL import Image

    if path.exists() and (not path.is_dir() or any(path.iterdir())):
        raise UserError(f"output folder '{path}' exists and is not empty; choose a new folder")
    if not path.parent.exists():
        raise UserError(f"output directory '{path.parent}' does not exist")
    tmp = Path(tempfile.mkdtemp(prefix=f".{path.name}.", dir=path.parent))
    try:
        for i, img in enumerate(to_uint8_nhwc(x)):
            # zero-padded class folders sort as numbers do, so ImageFolder's rule gives the labels back
            where = tmp if labels is None else tmp / f"{int(labels[i]):0{len(str(int(labels.max())))}d}"
            where.mkdir(exist_ok=True)
            Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img).save(where / f"{i:06d}.png")
        os.replace(tmp, path)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"cannot write '{path}' ({e.strerror or e})") from None
    return path


def write_images(run, n: int, path, seed: int, classes) -> str:
    """The images domain's sample writer (``wgangp sample`` of an image run)."""
    labels = run.class_labels(n, classes) if run.n_classes else None
    x = run.sample(n, seed=seed, classes=classes)
    written = save_images(x, path, labels)
    return f"wrote {n} samples of shape {tuple(x.shape[1:])} to {written}"
