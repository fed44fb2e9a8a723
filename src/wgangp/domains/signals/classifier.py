"""``wgangp classifier`` on signal data: the 1-D CNN of :mod:`wgangp.metrics.series_classifier`
trained on a labelled signal file and saved as TorchScript mapping float32 ``(N, C, L)`` in the
data's own units to logits ``(N, K)`` (what ``augment --filter`` takes for signal runs).

Signal data (:func:`is_series_data`): an .npz whose ``x_train`` is ``(N, L)``, or ``(N, C, L)`` of
floats with fewer channels than samples (image arrays are uint8, square ``(N, S, S)`` or 4-D); an
.npy; a CSV/TSV/TXT or UCR/UEA file; a folder holding a ``NAME_TRAIN`` file or WAV files. The test
split, where there is one: ``x_test`` / ``y_test`` in the .npz, or the ``NAME_TEST`` file beside a
UCR ``NAME_TRAIN`` file (read at the training length, its labels mapped to the training classes).
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from wgangp.data.series_io import TEXT_SUFFIXES, UCR_SUFFIXES, SeriesSet, UnequalLengths, read_series
from wgangp.errors import UserError

EPOCHS = 100                            # default epochs of the signal classifier


def is_series_data(path: str | Path) -> bool:
    """Whether ``path`` holds signals (trained with the 1-D CNN) rather than images (see the module)."""
    path = Path(path)
    if path.is_dir():
        from wgangp.data import series_wav

        return any(p.is_file() and re.fullmatch(r".+_TRAIN", p.stem) and p.suffix.lower() in UCR_SUFFIXES
                   for p in path.iterdir()) or series_wav.has_wav(path)
    suffix = path.suffix.lower()
    if suffix == ".npz" and path.is_file():
        try:
            with np.load(path, allow_pickle=False) as npz:
                x = npz["x_train"] if "x_train" in npz.files else None
        except Exception:                       # unreadable: the image reader says why
            return False
        return x is not None and (x.ndim == 2 or (x.ndim == 3 and x.dtype != np.uint8 and x.shape[1] < x.shape[2]))
    return suffix in (".npy", ".ts") + TEXT_SUFFIXES


def _test_file(path: Path) -> Path | None:
    """The UCR ``NAME_TEST`` file beside a ``NAME_TRAIN`` file (or inside a UCR folder), if any."""
    if path.is_dir():
        train = sorted(p for p in path.iterdir() if p.is_file() and p.stem.endswith("_TRAIN")
                       and p.suffix.lower() in UCR_SUFFIXES)
        path = train[0] if train else path
    if not path.is_file() or not path.stem.endswith("_TRAIN"):
        return None
    test = path.with_name(path.stem[:-len("_TRAIN")] + "_TEST" + path.suffix)
    return test if test.is_file() else None


def _as_train_classes(test: SeriesSet, train: SeriesSet, where: str) -> np.ndarray:
    """The test labels as the training set's class numbers (matched by the file's label values)."""
    index = {name: k for k, name in enumerate(train.class_names or [])}
    names = test.class_names or [str(k) for k in range(int(test.labels.max()) + 1)]
    unknown = sorted({names[c] for c in test.labels} - set(index))
    if unknown:
        raise UserError(f"{where}: test label {unknown[0]} is not a class of the training series "
                        f"({', '.join(index)}); the classifier cannot score it")
    return np.array([index[names[c]] for c in test.labels], dtype=np.int64)


def labelled_series(data_path: str | Path, length: int = 0, resample: bool = False,
                    label: str = "") -> tuple[SeriesSet, tuple[np.ndarray, np.ndarray] | None]:
    """``(training SeriesSet with labels, (x_test (M, C, L), y_test (M,)) or None)``; ``length``,
    ``resample``, ``label``: as ``data.length``, ``data.resample`` and ``data.label`` (the test series
    brought to the same length the same way)."""
    path = Path(data_path)
    try:
        train = read_series(path, label=label, length=length, resample=resample)
    except UnequalLengths as e:
        raise UserError(f"{e} (for the classifier: --length N, and --resample; as the run's)") from None
    if train.labels is None:
        raise UserError(f"the signals in '{data_path}' have no labels; the classifier needs them (y_train in an "
                        ".npz, the first column of a UCR file, --label COLUMN of a CSV file, class sub-folders of WAV files)")
    if train.class_names is None:                               # an .npz of labels 0..K-1 already
        train.class_names = [str(k) for k in range(int(train.labels.max()) + 1)]
    test = None
    if path.suffix.lower() == ".npz":
        with np.load(path, allow_pickle=False) as npz:
            has_test = "x_test" in npz.files and "y_test" in npz.files
        if has_test:
            test = read_series(path, key="x_test", length=train.x.shape[2], resample=resample)
    elif _test_file(path) is not None:
        test = read_series(_test_file(path), length=train.x.shape[2], resample=resample)
    if test is None:
        return train, None
    if test.x.shape[1] != train.x.shape[1]:
        raise UserError(f"'{data_path}': the test series have {test.x.shape[1]} channel(s), the training series "
                        f"{train.x.shape[1]}")
    return train, (test.x, _as_train_classes(test, train, str(data_path)))


def train_series_classifier(data_path: str | Path, out: str | Path, epochs: int | None = None, seed: int = 0,
                            replace: bool = False, widths: tuple[int, int, int] = (32, 64, 32), length: int = 0,
                            resample: bool = False, label: str = "") -> dict:
    """Train the 1-D CNN on the labelled signals at ``data_path`` (``epochs`` default :data:`EPOCHS`;
    ``length``, ``resample``: as the run's ``data.length`` and ``data.resample``, which series of
    unequal lengths need; ``label``: a CSV file's label column, as ``data.label``) and save it at ``out`` (refused if it exists, unless ``replace``); returns
    ``n_train``, ``n_classes``, ``test_accuracy`` (None without a test split) and ``what``."""
    from wgangp.metrics.series_classifier import fit_cnn, predict, save_series_classifier

    if length < 0 or (resample and not length):
        raise UserError(f"the classifier's length must be > 0 to resample to it, got {length}" if resample else
                        f"the classifier's length must be >= 0 (0: the files' own), got {length}")
    train, test = labelled_series(data_path, length, resample, label)
    n_classes = len(train.class_names)
    model = fit_cnn(train.x, train.labels, epochs=epochs or EPOCHS, seed=seed, widths=widths, n_classes=n_classes)
    acc = float(np.mean(predict(model, test[0]) == test[1])) if test is not None else None
    result = {"n_train": len(train.x), "n_classes": n_classes, "test_accuracy": acc, "what": "training series"}
    save_series_classifier(model, out, replace=replace, info={
        "channels": int(train.x.shape[1]), "length": int(train.x.shape[2]), "class_names": train.class_names,
        "resampled": bool(resample and train.x.shape[2] != train.own_length),
        "epochs": epochs or EPOCHS, "seed": seed, **result})
    return result
