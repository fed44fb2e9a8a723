"""Reading (and writing back) sets of 1-D series in the formats people have, as one
:class:`SeriesSet` of ``(N, C, L)`` float32 series with optional class labels.

What ``data.path`` may be (picked by its suffix, or by what a folder holds):

* ``.npz``: ``x_train`` (or ``data.key``) of shape ``(N, L)`` or ``(N, C, L)``, optional integer
  labels ``y_train`` (or the ``y_...`` array beside ``data.key=..._x_...``, as
  ``gunpoint_x_train`` / ``gunpoint_y_train``); ``.npy``: one such array, no labels.
* ``.csv`` / ``.tsv`` / ``.txt``: one series a row, numbers only; a header row is recognised by
  its text cells. ``data.label``: ``first`` or ``last`` (the label column, with or without a
  header), a header name, or ``""`` (no labels). Rows may be of different lengths (missing cells at
  their end).
* UCR/UEA layout: a file ``NAME_TRAIN.tsv`` / ``.txt`` (or ``_TEST``; upper case, as the archive
  names them), or a folder holding one ``NAME_TRAIN.tsv/.txt/.ts``: no header, the label in the
  first column, shorter series NaN-padded at their end. ``.ts`` files are read with ``aeon``
  (installed separately).
* a folder of ``.wav`` files, optionally in class sub-folders (sub-folder name = class, sorted),
  read with ``soundfile``; every file must share one sample rate; C channels = the files' channels.

Class labels of text and WAV data are mapped to ``0..K-1`` in sorted order (numbers numerically:
UCR's ``-1, 1`` become ``0, 1``); ``class_names`` keeps the original ones for writing back.

**Length rule** (``length``, the config key ``data.length``): 0 keeps the files' length, and
series of unequal lengths are an error that says to set ``data.length``; with ``length=N`` every
series is cropped to its first N samples or zero-padded at its end to N (a NaN tail is a shorter
series), or with ``resample`` (``data.resample``) resampled to N samples, each over its whole length
(:func:`resample_to`: scipy's polyphase filter, anti-aliased when it shortens). What was cropped,
padded or resampled is said in :attr:`SeriesSet.notes`.

Writers (:func:`write_npz`, :func:`write_csv` in :mod:`.series_text`, :func:`write_wav_folder` in
:mod:`.series_wav`) write through a temporary name and a rename, and never replace an existing
file or folder.
"""
from __future__ import annotations

import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from wgangp.data.base import refuse_complex
from wgangp.errors import UserError

TEXT_SUFFIXES = (".csv", ".tsv", ".txt")
UCR_SUFFIXES = (".tsv", ".txt", ".ts")
FORMATS = ("an .npz/.npy array, a .csv/.tsv/.txt file (one series a row), a UCR/UEA NAME_TRAIN.tsv/.txt/.ts "
           "file or its folder, or a folder of .wav files")
_UCR = re.compile(r".+_(TRAIN|TEST)")              # the archive's file names (upper case), .tsv / .txt / .ts


@dataclass(frozen=True)
class Fit:
    """The length rule: ``length`` samples (0: the files' own), reached by cropping / zero-padding or,
    with ``resample``, by resampling every series over its whole length."""
    length: int = 0
    resample: bool = False


@dataclass
class SeriesSet:
    """Series read from one place: ``x (N, C, L)`` float32; ``labels (N,)`` int64 in ``0..K-1`` (or
    the .npz's own integers) or None; ``class_names[k]``: label ``k`` as the file wrote it (None for
    arrays); ``sample_rate`` in Hz (WAV only); ``fmt``: npz | npy | csv | ucr | ts | wav; ``notes``:
    what was done to the data (cropping, padding, a header taken as such); ``own_length``: where
    every series had one length in the file and ``length`` zero-padded (or resampled) them all, that
    length (what samples and augmented sets are cropped, or resampled, back to), else None."""
    x: np.ndarray
    labels: np.ndarray | None = None
    class_names: list[str] | None = None
    sample_rate: int | None = None
    fmt: str = ""
    notes: list[str] = field(default_factory=list)
    own_length: int | None = None


def read_series(path: str | Path, key: str = "", label: str = "", length: int = 0, resample: bool = False) -> SeriesSet:
    """The series at ``path`` (see the module docstring for formats, ``label``, ``length`` and ``resample``)."""
    return _read(Path(path), key, label, Fit(length, resample))


def _read(path: Path, key: str, label: str, fit: Fit) -> SeriesSet:
    if not path.exists():
        raise UserError(f"signal data '{path}' not found; set data.path to {FORMATS}")
    if path.is_dir():
        return _read_folder(path, label, fit)
    suffix = path.suffix.lower()
    if suffix in (".npz", ".npy"):
        if label:
            raise UserError(f"data.label={label!r} names a column of a text file; in '{path}' the labels are the "
                            "array y_train (or the y_... array beside data.key); drop data.label")
        return _fit_arrays(read_arrays(path, key), fit, path)
    from wgangp.data import series_text

    if suffix == ".ts":
        return series_text.read_ts(path, label, fit)
    if suffix in TEXT_SUFFIXES:
        if _UCR.fullmatch(path.stem) and suffix != ".csv":
            return series_text.read_ucr(path, label, fit)
        return series_text.read_table(path, label, fit)
    if suffix == ".wav":
        raise UserError(f"'{path}' is one .wav file; pass the folder that holds the .wav files as data.path")
    raise UserError(f"cannot read signal data '{path}' (suffix '{path.suffix}'); give {FORMATS}")


def _read_folder(root: Path, label: str, fit: Fit) -> SeriesSet:
    """A UCR/UEA folder (one ``NAME_TRAIN.*`` inside) or a folder of WAV files."""
    train = sorted(p for p in root.iterdir() if p.is_file() and p.stem.endswith("_TRAIN") and len(p.stem) > 6
                   and p.suffix.lower() in UCR_SUFFIXES)
    names = sorted({p.stem for p in train})
    if len(names) > 1:
        raise UserError(f"'{root}' holds several training files ({', '.join(p.name for p in train)}); pass one of "
                        "them as data.path")
    if train:
        prefer = sorted(train, key=lambda p: UCR_SUFFIXES.index(p.suffix.lower()))
        return _read(prefer[0], "", label, fit)
    from wgangp.data import series_wav

    if series_wav.has_wav(root):
        if label:
            raise UserError(f"data.label={label!r}: the classes of a WAV folder are its sub-folders; drop data.label")
        return series_wav.read_wav_folder(root, fit)
    raise UserError(f"'{root}' holds no NAME_TRAIN.tsv/.txt/.ts file and no .wav files (also none in its "
                    f"sub-folders); give {FORMATS}")


def read_arrays(path: Path, key: str = "") -> tuple[np.ndarray, np.ndarray | None]:
    """``(x (N, C, L), labels (N,) int64 or None)`` of an .npz or .npy file, checked."""
    try:
        if path.suffix.lower() == ".npy":
            x, y, y_key = np.load(path, allow_pickle=False), None, ""
        else:
            with np.load(path, allow_pickle=False) as npz:
                key = key or ("x_train" if "x_train" in npz.files else "")
                if key not in npz.files:
                    raise UserError(f"'{path}' has no array '{key or 'x_train'}' (it holds {', '.join(npz.files)}); "
                                    "set data.key")
                x = npz[key]
                beside = re.sub(r"x(_[^_]+)$", r"y\1", key)             # gunpoint_x_train -> gunpoint_y_train
                y_key = next((k for k in (beside, "y_train") if k != key and k in npz.files), "")
                y = npz[y_key] if y_key else None
    except UserError:
        raise
    except Exception as e:
        raise UserError(f"signal file '{path}' could not be read ({type(e).__name__}: {e})") from None
    refuse_complex(x, f"signal file '{path}'", "store the real and imaginary parts as two channels, e.g. "
                   "np.stack([x.real, x.imag], axis=1) of shape (N, 2, L)")
    if x.ndim == 2:
        x = x[:, None, :]
    if x.ndim != 3 or min(x.shape) == 0 or not np.issubdtype(x.dtype, np.number) or not np.isfinite(x).all():
        raise UserError(f"signal file '{path}': expected finite numbers of shape (N, L) or (N, C, L); got "
                        f"{x.dtype} {tuple(x.shape)}")
    if y is not None and (y.shape != (len(x),) or not np.issubdtype(y.dtype, np.integer) or (y < 0).any()):
        raise UserError(f"labels '{y_key}' in '{path}' must be {len(x)} integers >= 0; got {y.dtype} {y.shape}")
    return x, (y.astype(np.int64) if y is not None else None)


def _fit_arrays(arrays: tuple[np.ndarray, np.ndarray | None], fit: Fit, path: Path) -> SeriesSet:
    """Arrays are of one length already: kept, or all cropped / zero-padded (resampled) to ``fit.length``."""
    x, y = arrays
    notes, names, own = [], None, None
    if y is not None:                                    # 0..K-1 in sorted order; the file's values kept as names
        values = np.unique(y)
        names = [str(int(v)) for v in values]
        if not np.array_equal(values, np.arange(len(values))):
            notes.append(f"labels {', '.join(names[:6])}{' ...' if len(names) > 6 else ''} used as classes "
                         f"0..{len(names) - 1} (--class takes the file's values)")
            y = np.searchsorted(values, y).astype(np.int64)
    length = fit.length
    if length and fit.resample:
        x, resampled, own = _resampled(x, np.full(len(x), x.shape[2]), length)
        notes += resampled
    elif length and length != x.shape[2]:
        how = "cropped to their first" if x.shape[2] > length else "zero-padded at their end to"
        notes.append(f"all {len(x)} series of {x.shape[2]} samples {how} {length} samples (data.length={length})")
        own = x.shape[2] if length > x.shape[2] else None
        x = np.pad(x[:, :, :length], ((0, 0), (0, 0), (0, max(0, length - x.shape[2]))))
    return SeriesSet(np.ascontiguousarray(x, dtype=np.float32), y, names, None, path.suffix.lower()[1:], notes,
                     own)


def series_lengths(raw: np.ndarray, where: str) -> np.ndarray:
    """``(N,)`` lengths of the series of ``raw (N, C, Lmax)``, whose NaN tails are not there; a NaN
    inside a series or an empty series is a UserError naming ``where``."""
    present = ~np.isnan(raw).all(axis=1)                                 # (N, Lmax): any channel has a value
    lengths = np.where(present.any(axis=1), raw.shape[2] - np.argmax(present[:, ::-1], axis=1), 0)
    if (lengths == 0).any():
        raise UserError(f"{where}: series {int(np.argmin(lengths)) + 1} is empty (no numbers)")
    inside = np.isnan(raw) & (np.arange(raw.shape[2]) < lengths[:, None])[:, None, :]
    if inside.any():
        n, c, t = (int(i[0]) for i in np.nonzero(inside))
        raise UserError(f"{where}: series {n + 1} has a missing value at sample {t + 1}"
                        f"{f' of channel {c + 1}' if raw.shape[1] > 1 else ''}; only a missing end (a shorter "
                        "series) is allowed: fill or drop that series")
    if np.isinf(raw).any():
        n = int(np.nonzero(np.isinf(raw).any(axis=(1, 2)))[0][0])
        raise UserError(f"{where}: series {n + 1} holds an infinite value; signals must be finite numbers")
    return lengths


def resample_to(x: np.ndarray, length: int) -> np.ndarray:
    """Series ``x (N, C, L)`` resampled to ``(N, C, length)`` float32 over their whole length: scipy's
    polyphase filter (a low-pass at the new Nyquist frequency when it shortens), each end extended by
    its point reflection (level and slope carried on) so that it does not ring."""
    from scipy.signal import resample_poly

    n = x.shape[-1]
    if n == length:
        return np.asarray(x, np.float32)
    g = math.gcd(n, length)
    return resample_poly(np.asarray(x, np.float64), length // g, n // g, axis=-1, padtype="antireflect").astype(np.float32)


class UnequalLengths(UserError):
    """Series of unequal lengths read without a length to bring them to (``data.length``)."""


def fit_length(raw: np.ndarray, fit: Fit, where: str) -> tuple[np.ndarray, list[str], int | None]:
    """``(x (N, C, L) float32, notes, own_length)``: ``raw (N, C, Lmax)`` (NaN tails = shorter series)
    kept as it is (``fit.length=0``, equal lengths only), cropped to its first / zero-padded at its end
    to ``fit.length``, or resampled to it (``fit.resample``); ``own_length``: the series' one length
    where ``fit`` padded or resampled them all, else None."""
    lengths, length = series_lengths(raw, where), fit.length
    if length == 0:
        if lengths.min() != lengths.max():
            raise UnequalLengths(f"{where}: the series have unequal lengths (shortest {lengths.min()}, median "
                            f"{int(np.median(lengths))}, longest {lengths.max()}); set data.length=N to crop (the "
                            "start kept) or zero-pad (at the end) every series to N samples, or add "
                            "data.resample=true to resample every series to N")
        return np.ascontiguousarray(raw[:, :, :lengths[0]], dtype=np.float32), [], None
    if fit.resample:
        return _resampled(raw, lengths, length)
    x = np.zeros((len(raw), raw.shape[1], length), np.float32)
    kept = raw[:, :, :length]
    x[:, :, :kept.shape[2]] = np.nan_to_num(kept, nan=0.0)
    notes = []
    if (lengths > length).any():
        notes.append(f"{int((lengths > length).sum())} of {len(raw)} series longer than data.length={length} "
                     f"cropped to their first {length} samples")
    if (lengths < length).any():
        notes.append(f"{int((lengths < length).sum())} of {len(raw)} series shorter than data.length={length} "
                     "zero-padded at their end")
    own = int(lengths[0]) if lengths.min() == lengths.max() < length else None
    return x, notes, own


def _resampled(raw: np.ndarray, lengths: np.ndarray, length: int) -> tuple[np.ndarray, list[str], int | None]:
    """:func:`fit_length` with ``resample``: every series over its own length to ``length`` samples."""
    x = np.empty((len(raw), raw.shape[1], length), np.float32)
    for n in np.unique(lengths):
        rows = lengths == n
        x[rows] = resample_to(raw[rows][:, :, :n], length)
    moved = int((lengths != length).sum())
    span = f"{lengths.min()}" if lengths.min() == lengths.max() else f"{lengths.min()} to {lengths.max()}"
    notes = [f"{moved} of {len(raw)} series of {span} samples resampled to data.length={length} samples "
             "(data.resample=true)"] if moved else []
    own = int(lengths[0]) if lengths.min() == lengths.max() != length else None
    if own:
        notes[-1] += f"; samples are resampled back to {own}"
    return x, notes, own


def encode_labels(values: list[str], where: str) -> tuple[np.ndarray, list[str]]:
    """``(codes (N,) int64 in 0..K-1, class_names)`` of label cells, sorted (numbers numerically:
    ``-1, 1`` and ``1.0, 2.0`` become ``0, 1``; names keep the file's spelling, ``1.0`` as ``1``)."""
    values = [str(v).strip() for v in values]
    if any(v == "" or v.lower() == "nan" for v in values):
        row = next(i for i, v in enumerate(values) if v == "" or v.lower() == "nan")
        raise UserError(f"{where}: series {row + 1} has no label; every series needs one")
    try:
        numbers = [float(v) for v in values]
        order = sorted(set(numbers))
        distinct = [str(int(f)) if f.is_integer() else repr(f) for f in order]
        codes = np.searchsorted(np.array(order), np.array(numbers))
    except ValueError:
        distinct = sorted(set(values))
        codes = np.searchsorted(np.array(distinct), np.array(values))
    return codes.astype(np.int64), distinct


def refuse_existing(out: Path) -> None:
    """An output that exists is never replaced: a one-line UserError; so is a missing parent folder."""
    if out.exists():
        raise UserError(f"'{out}' exists; choose another output name (nothing is overwritten)")
    if not out.parent.is_dir():
        raise UserError(f"output folder '{out.parent}' does not exist")


def temporary_name(out: Path) -> Path:
    """A name beside ``out`` for writing it before the rename (this process's own)."""
    return out.with_name(f".{out.name}.{os.getpid()}.tmp")


def atomic_file(out: Path, write) -> Path:
    """``write(tmp_path)`` to a temporary name beside ``out``, then renamed to it; refused if ``out``
    exists; on failure nothing is left behind."""
    out = Path(out)
    refuse_existing(out)
    tmp = temporary_name(out)
    try:
        write(tmp)
        if out.exists():                              # appeared meanwhile: still never replaced
            raise UserError(f"'{out}' exists; choose another output name (nothing is overwritten)")
        os.replace(tmp, out)
    except OSError as e:
        raise UserError(f"cannot write '{out}' ({e.strerror or e})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return out


def write_npz(x: np.ndarray, labels: np.ndarray | None, out: str | Path, extra: dict | None = None) -> Path:
    """``x (N, C, L)`` as ``x_train`` (float32), ``labels`` as ``y_train`` (int64) and ``extra``
    arrays (e.g. a ``synthetic`` mask) into a new .npz: readable again as ``data.path``."""
    arrays = {"x_train": np.asarray(x, np.float32), **({"y_train": np.asarray(labels, np.int64)}
                                                       if labels is not None else {}), **(extra or {})}

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    return atomic_file(Path(out), write)
