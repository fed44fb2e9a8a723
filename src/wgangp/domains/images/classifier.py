"""Labelled image sets and the in-project classifier (a fast domain feature net): ``wgangp classifier``."""
from __future__ import annotations

from pathlib import Path

import torch

from wgangp.errors import UserError


def labelled_data(data_path: str | Path, resolution: int = 0):
    """``((x_train, y_train), (x_test, y_test) or None)`` from an .npz (x_train/y_train, optional
    x_test/y_test) or an image folder / .tar.gz with class sub-folders (optional test/ split)."""
    import numpy as np

    from wgangp.data.images import as_nchw_uint8

    path = Path(data_path)
    if not path.exists():
        raise UserError(f"classifier data '{data_path}' not found")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as npz:
            if "x_train" not in npz.files or "y_train" not in npz.files:
                raise UserError(f"'{data_path}' holds {', '.join(npz.files)}; the classifier needs x_train and y_train")
            x, y = as_nchw_uint8(npz["x_train"], str(path)), torch.from_numpy(npz["y_train"].astype("int64"))
            test = ((as_nchw_uint8(npz["x_test"], str(path)), torch.from_numpy(npz["y_test"].astype("int64")))
                    if "x_test" in npz.files and "y_test" in npz.files else None)
        return (x, y), test
    if path.is_file() and not path.name.endswith((".tar.gz", ".tgz", ".tar")):
        raise UserError(f"classifier data '{data_path}' must be an .npz (x_train, y_train) or an image folder / "
                        ".tar.gz with one sub-folder per class")
    from wgangp.data.folder import load_labelled_folder

    x, y, names = load_labelled_folder(str(path), resolution)
    if y is None:
        raise UserError(f"images under '{data_path}' are not in class sub-folders (one folder per class, at least "
                        "two); the classifier needs labels")
    xt, yt, test_names = load_labelled_folder(str(path), resolution, split="test")
    if yt is not None and test_names != names:
        raise UserError(f"the test/ classes under '{data_path}' ({', '.join(test_names)}) differ from train/ ({', '.join(names)})")
    return (x, y), ((xt, yt) if yt is not None else None)


def train_classifier(data_path: str | Path, out: str | Path, epochs: int = 2, seed: int = 0,
                     resolution: int = 0) -> dict:
    """Train the in-project classifier on labelled images -- an .npz with ``x_train``/``y_train``
    (and, if present, ``x_test``/``y_test`` for its accuracy) or an image folder / .tar.gz with one
    sub-folder per class (and optionally train/ and test/ splits) -- and save it as a TorchScript
    feature net at ``out``. ``resolution`` resizes folder images as ``data.resolution`` does."""
    from wgangp.metrics.classifier import accuracy, save_classifier
    from wgangp.metrics.classifier import train_classifier as fit

    (x, y), test = labelled_data(data_path, resolution)
    if y.min() < 0:
        raise UserError(f"labels in '{data_path}' must be 0..K-1, found {int(y.min())}")
    model = fit(x, y, epochs=epochs, seed=seed)
    result = {"n_train": len(x), "n_classes": int(y.max()) + 1,
              "test_accuracy": accuracy(model, *test) if test is not None else None}
    save_classifier(model, out, x.shape[-1], info=result)
    return result
