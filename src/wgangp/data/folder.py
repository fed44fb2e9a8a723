"""Images from a folder (class sub-folders optional) or a .tar.gz of one, decoded once and cached.

Any image PIL reads (.png, .jpg, .jpeg, .bmp, .webp, .gif, .tif) anywhere under the folder is
used; if the folder (or the one folder it wraps) has a ``train`` sub-folder, only that is used
(CIFAR-10-style exports). Images
are converted to RGB (or grayscale when every image is), resized so the short side is
``resolution`` and centre-cropped to ``resolution x resolution`` (``0`` keeps the native size,
which must then be the same for all). Unreadable files are skipped and counted in a warning.
A .tar.gz is unpacked safely (tarfile's ``data`` filter) into the cache directory first, and the
decoded uint8 array is cached beside it, so the second run starts at once.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import tarfile
import tempfile
import warnings
from pathlib import Path

import numpy as np
import torch

from wgangp.errors import UserError
from wgangp.system import pid_alive

EXTENSIONS = {".png", ".jpg", ".jpeg", ".bmp", ".webp", ".gif", ".tif", ".tiff"}


def has_image_files(path: Path) -> bool:
    """Whether ``path`` is a folder with at least one image file somewhere below it."""
    return path.is_dir() and any(p.suffix.lower() in EXTENSIONS for p in path.rglob("*"))


def cache_root() -> Path:
    return Path(os.environ.get("WGANGP_CACHE", Path.home() / ".cache" / "wgangp"))


def file_key(path: Path, *extra) -> str:
    st = path.stat()
    return hashlib.sha256(f"{path.resolve()}|{st.st_size}|{st.st_mtime_ns}|{extra}".encode()).hexdigest()[:16]


def remove_stale_unpacks(folder: Path) -> None:
    """Remove ``.unpack-PID-*`` folders whose process is gone (an unpack killed half-way)."""
    for stale in folder.glob(".unpack-*"):
        pid = stale.name.split("-")[1] if stale.name.count("-") >= 2 else ""
        if not pid.isdigit() or not pid_alive(int(pid)):
            shutil.rmtree(stale, ignore_errors=True)


def unpack_tar(path: Path) -> Path:
    """Unpack ``path`` (.tar.gz / .tgz / .tar) once into the cache; return the folder. The unpack goes
    into ``.unpack-PID-*`` first, removed on any failure or interruption (and, after a kill, by the
    next unpack in that cache)."""
    dest = cache_root() / "extracted" / f"{path.name.split('.')[0]}-{file_key(path)}"
    if dest.is_dir():
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_unpacks(dest.parent)
    tmp = Path(tempfile.mkdtemp(prefix=f".unpack-{os.getpid()}-", dir=dest.parent))
    try:
        with tarfile.open(path) as tar:
            tar.extractall(tmp, filter="data")
        os.replace(tmp, dest)
    except (tarfile.TarError, OSError, EOFError) as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"cannot unpack '{path}' ({type(e).__name__}: {e}); is it a complete .tar.gz of images?") from None
    except BaseException:                                   # Ctrl-C, SIGTERM (raised by the CLI's handler)
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return dest


def listing_key(files: list[Path]) -> str:
    """A digest of every file's path, size, mtime, ctime and inode: a file replaced with its old mtime
    (``cp -p``, ``rsync -t``) still changes its ctime or inode, so the decoded cache is rebuilt."""
    h = hashlib.sha256()
    for f in files:
        st = f.stat()
        h.update(f"{f}|{st.st_size}|{st.st_mtime_ns}|{st.st_ctime_ns}|{st.st_ino}\n".encode())
    return h.hexdigest()[:16]


def _split_root(root: Path, split: str) -> Path | None:
    """The folder holding ``split`` ('train' falls back to the whole folder; 'test' must exist)."""
    entries = [e for e in root.iterdir() if not e.name.startswith(".")]
    while len(entries) == 1 and entries[0].is_dir() and entries[0].name not in ("train", "test"):   # a wrapper
        root = entries[0]
        entries = [e for e in root.iterdir() if not e.name.startswith(".")]
    if (root / split).is_dir():
        return root / split
    return root if split == "train" else None


def image_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.suffix.lower() in EXTENSIONS and p.is_file())


def class_names(root: Path, files: list[Path]) -> list[str] | None:
    """Sorted names of the first-level sub-folders when every image sits in one (at least two)."""
    parts = [f.relative_to(root).parts for f in files]
    if not parts or any(len(p) < 2 for p in parts):
        return None
    names = sorted({p[0] for p in parts})
    return names if len(names) >= 2 else None


def fit_image(im, resolution: int) -> tuple[np.ndarray, bool]:
    """A PIL image as a uint8 (H, W) or (H, W, 3) array, resized (short side) and centre-cropped."""
    from PIL import Image

    gray = im.mode in ("L", "1", "I;16", "I")
    im = im.convert("L" if gray else "RGB")
    if resolution:
        w, h = im.size
        s = resolution / min(w, h)
        im = im.resize((max(resolution, round(w * s)), max(resolution, round(h * s))), Image.BICUBIC)
        w, h = im.size
        left, top = (w - resolution) // 2, (h - resolution) // 2
        im = im.crop((left, top, left + resolution, top + resolution))
    return np.asarray(im), gray


def _decode(path: Path, resolution: int):
    from PIL import Image

    with Image.open(path) as im:
        im.load()
        return fit_image(im, resolution)


def stack_images(images: list[np.ndarray], grays: list[bool], where: str) -> np.ndarray:
    """uint8 ``(N, C, H, W)``: grayscale only when every image is; one size or a clear error."""
    sizes = {a.shape[:2] for a in images}
    if len(sizes) > 1:
        raise UserError(f"images under '{where}' have {len(sizes)} different sizes (e.g. {sorted(sizes)[:3]}); "
                        "set --set data.resolution=N to resize and centre-crop them to NxN")
    if all(grays):
        out = np.stack(images)[:, None]
    else:
        out = np.stack([a if a.ndim == 3 else np.repeat(a[..., None], 3, axis=2) for a in images]).transpose(0, 3, 1, 2)
    return np.ascontiguousarray(out)


def read_cache(cached: Path) -> tuple[np.ndarray, np.ndarray | None] | None:
    """``(pixels, labels or None)`` of a decoded cache; None when there is none or it is damaged (it is
    then rebuilt). The pixels are the file's one array besides ``labels`` (``pixels``; caches written
    by earlier versions named it otherwise), so those caches still load."""
    if cached.is_file():
        try:
            with np.load(cached, allow_pickle=False) as z:
                arrays = {k: z[k] for k in z.files}
            labels = arrays.pop("labels", None)
            (pixels,) = arrays.values()
            return pixels, labels
        except (OSError, ValueError, EOFError):
            pass                                             # a damaged cache is rebuilt
    return None


def write_cache(cached: Path, pixels: np.ndarray, labels: np.ndarray | None = None) -> None:
    """Atomically write the decoded pixels (and labels) (temp file + rename)."""
    cached.parent.mkdir(parents=True, exist_ok=True)
    tmp = cached.with_name(f".{cached.name}.{os.getpid()}.tmp")
    with open(tmp, "wb") as fh:
        np.savez(fh, pixels=pixels, **({} if labels is None else {"labels": labels}))
    os.replace(tmp, cached)


def load_folder(path: str, resolution: int = 0, max_images: int = 0) -> torch.Tensor:
    """uint8 ``(N, C, H, W)`` images from a folder or a .tar.gz of one (its train/ part if any)."""
    return load_labelled_folder(path, resolution, "train", max_images)[0]


def load_labelled_folder(path: str, resolution: int = 0, split: str = "train", max_images: int = 0
                         ) -> tuple[torch.Tensor, torch.Tensor | None, list[str] | None]:
    """``(images uint8 (N, C, H, W), labels int64 (N,) or None, class names or None)``.

    Labels are the indices of the sorted first-level class sub-folders (torchvision ImageFolder's
    rule) when every image sits in one. ``split='test'`` reads a test/ sub-folder (empty result
    with ``None`` labels when there is none). ``max_images`` keeps the first N files (0 = all).
    """
    p = Path(path)
    if not p.exists():
        raise UserError(f"image folder '{path}' not found")
    if p.is_file():
        if not p.name.endswith((".tar.gz", ".tgz", ".tar")):
            raise UserError(f"'{path}' is a file; give an image folder, a .tar.gz of one, or an .npz/.npy array")
        p = unpack_tar(p)
    root = _split_root(p, split)
    files = image_files(root) if root is not None else []
    if not files:
        if split != "train":
            return torch.empty(0, dtype=torch.uint8), None, None
        raise UserError(f"no images (.png, .jpg, ...) found under '{path}'")
    names = class_names(root, files)
    if max_images:
        files = files[:max_images]
    cached = cache_root() / "decoded" / f"{file_key(root, len(files), listing_key(files), resolution)}.npz"
    arrays = read_cache(cached)
    if arrays is None or arrays[1] is None:
        index = {n: i for i, n in enumerate(names or [])}
        images, grays, labels, bad = [], [], [], []
        for f in files:
            try:
                arr, gray = _decode(f, resolution)
            except Exception:                                # PIL raises many types for broken files
                bad.append(f)
                continue
            images.append(arr)
            grays.append(gray)
            labels.append(index[f.relative_to(root).parts[0]] if names else -1)
        if bad:
            warnings.warn(f"skipped {len(bad)} unreadable image file(s) under '{path}', e.g. '{bad[0]}'", stacklevel=2)
        if not images:
            raise UserError(f"none of the {len(files)} image files under '{path}' could be read (e.g. '{bad[0]}')")
        arrays = stack_images(images, grays, path), np.asarray(labels, dtype=np.int64)
        write_cache(cached, *arrays)
    return torch.from_numpy(arrays[0]), torch.from_numpy(arrays[1]) if names else None, names


def split_folder(path: str, split: str = "train") -> Path | None:
    """The folder that :func:`load_labelled_folder` reads for ``split`` (archives unpacked first)."""
    p = Path(path)
    if p.is_file() and p.name.endswith((".tar.gz", ".tgz", ".tar")):
        p = unpack_tar(p)
    return _split_root(p, split) if p.is_dir() else None
