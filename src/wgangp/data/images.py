"""Image data: MNIST / Fashion-MNIST / CIFAR-10 through torchvision, image arrays in .npz/.npy,
and image folders or .tar.gz archives of them (``wgangp.data.folder``).

Images are kept in memory as uint8 ``(N, C, H, W)`` and turned into float32 in [-1, 1] one batch
at a time. Arrays may be uint8 or float, ``(N, H, W)``, ``(N, H, W, C)`` or ``(N, C, H, W)``
with C in {1, 3}; ``../shared/data/mnist.npz`` style files (``x_train`` ...) load directly.
"""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from wgangp.data.base import PointSource, refuse_complex, require_file
from wgangp.errors import UserError

def to_unit_range(x: torch.Tensor) -> torch.Tensor:
    """uint8 ``[0, 255]`` -> float32 ``[-1, 1]``."""
    return x.float().div_(127.5).sub_(1.0)


class ImageSource(PointSource):
    """Batches of float ``(B, C, H, W)`` images in [-1, 1] from a uint8 array held in memory.

    ``dequantize``: ``x/128 - 1 + U(0, 1/128)`` as ``gan_cifar_resnet.py`` (uniform noise filling
    each 8-bit bin), drawn from the source's own generator so resumes stay exact.
    """

    def __init__(self, *args, dequantize: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.dequantize = dequantize

    def sample_batch(self) -> torch.Tensor:
        return self._pixels(super().sample_batch())

    def sample_labelled(self) -> tuple[torch.Tensor, torch.Tensor]:
        x, y = super().sample_labelled()
        return self._pixels(x), y

    def _pixels(self, x: torch.Tensor) -> torch.Tensor:
        if self.dequantize:
            return x.float().div_(128.0).sub_(1.0).add_(torch.rand(x.shape, generator=self.gen).div_(128.0))
        return to_unit_range(x)

    def fresh(self, n: int, seed: int) -> torch.Tensor:
        return to_unit_range(super().fresh(n, seed))


def _pick_array(npz, path: str, key: str) -> np.ndarray:
    if key:
        if key not in npz.files:
            raise UserError(f"'{path}' has no array '{key}' (it holds {', '.join(npz.files)}); set data.key to one of them")
        return npz[key]
    if "x_train" in npz.files:
        return npz["x_train"]
    images = [k for k in npz.files if npz[k].ndim in (3, 4)]
    if len(images) != 1:
        raise UserError(f"'{path}' holds {', '.join(npz.files)}; say which are the images with --set data.key=NAME")
    return npz[images[0]]


def as_nchw_uint8(arr: np.ndarray, source: str) -> torch.Tensor:
    """Any supported image array -> uint8 tensor ``(N, C, H, W)``; clear errors otherwise."""
    if arr.ndim == 3:
        arr = arr[:, None]
    elif arr.ndim == 4 and arr.shape[-1] in (1, 3) and arr.shape[1] not in (1, 3):
        arr = arr.transpose(0, 3, 1, 2)
    if arr.ndim != 4 or arr.shape[1] not in (1, 3) or arr.shape[0] == 0:
        raise UserError(f"images in {source} have shape {arr.shape}; expected (N, H, W), (N, H, W, C) or (N, C, H, W) with C = 1 or 3")
    if arr.dtype != np.uint8:
        if not np.issubdtype(arr.dtype, np.number) or not np.isfinite(arr).all():
            raise UserError(f"images in {source} hold non-numeric, NaN or infinite values")
        lo, hi = float(arr.min()), float(arr.max())
        if lo >= -1.0 and hi <= 1.0 and lo < 0:
            arr = (arr + 1.0) * 127.5
        elif lo >= 0.0 and hi <= 1.0:
            arr = arr * 255.0
        elif not (lo >= 0.0 and hi <= 255.0):
            raise UserError(f"float images in {source} range over [{lo:g}, {hi:g}]; expected [0, 1], [-1, 1] or [0, 255]")
        arr = np.rint(arr).astype(np.uint8)
    return torch.from_numpy(np.ascontiguousarray(arr))


def load_image_file(path: str, key: str = "") -> torch.Tensor:
    """uint8 ``(N, C, H, W)`` images from an .npz or .npy file."""
    p = Path(path)
    require_file(p, "image data", "pass --set data.path=FILE.npz (or .npy), or an image folder with data.name=folder")
    try:
        if p.suffix == ".npz":
            with np.load(p, allow_pickle=False) as npz:
                arr = _pick_array(npz, path, key)
        elif p.suffix == ".npy":
            arr = np.load(p, allow_pickle=False)
        else:
            raise UserError(f"image data '{path}': unsupported extension '{p.suffix}'; use .npz or .npy")
    except UserError:
        raise
    except Exception as e:
        raise UserError(f"image data '{path}' could not be read ({type(e).__name__}: {e})") from None
    refuse_complex(arr, f"image data '{path}'", "images are real numbers (uint8 0..255 or floats)")
    return as_nchw_uint8(arr, f"'{path}'")


def load_array_labels(path: str, key: str, n: int) -> torch.Tensor | None:
    """Class labels beside the images of an .npz: ``y_train`` (``y_<x>`` for ``data.key=x_<x>``)."""
    if not path.endswith(".npz"):
        return None
    name = "y" + key[1:] if key.startswith("x") else "y_train"
    with np.load(path, allow_pickle=False) as npz:
        if name not in npz.files:
            return None
        y = npz[name]
    if y.shape != (n,) or not np.issubdtype(y.dtype, np.number) or (y < 0).any() or (y != np.round(y)).any():
        raise UserError(f"labels '{name}' in '{path}' must be {n} integers >= 0 (one per image); got shape {y.shape}")
    return torch.from_numpy(y.astype(np.int64))


def load_torchvision(dataset: str, name: str, root: str, download: bool, with_labels: bool = False):
    """The training split of ``torchvision.datasets.<dataset>`` as uint8 ``(N, C, H, W)``; ``name`` is
    what messages call it and names the default folder, ``~/.cache/wgangp/<name>``."""
    import torchvision

    root = root or str(Path.home() / ".cache" / "wgangp" / name)
    cls = getattr(torchvision.datasets, dataset)
    try:
        ds = cls(root=root, train=True, download=download)
    except RuntimeError as e:
        hint = "" if download else " or add --set data.download=true to fetch it (needs internet)"
        raise UserError(f"{name} not found under '{root}' ({str(e).splitlines()[0]}); put the torchvision files there, "
                        f"point --set data.path at them or at an .npz with x_train{hint}") from None
    except OSError as e:
        raise UserError(f"could not download {name} into '{root}' ({e}); without internet, pass "
                        "--set data.path=FILE.npz holding x_train") from None
    data = ds.data if isinstance(ds.data, np.ndarray) else ds.data.numpy()
    images = as_nchw_uint8(data, name)
    return (images, torch.as_tensor(np.asarray(ds.targets), dtype=torch.int64)) if with_labels else images
