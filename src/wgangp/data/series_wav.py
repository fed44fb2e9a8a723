"""Folders of WAV files, read and written with ``soundfile`` (libsndfile).

A folder holds ``.wav`` files, or class sub-folders of them (sub-folder name = class, sorted), not
both. Every file must share one sample rate and one number of channels; samples come as floats in
[-1, 1] (PCM is divided by its full scale, 32768 for 16 bits). Lengths follow the rule of
:func:`wgangp.data.series_io.fit_length`.
"""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np

from wgangp.data.series_io import Fit, SeriesSet, fit_length, refuse_existing, temporary_name
from wgangp.errors import UserError


def _soundfile():
    try:
        import soundfile
    except ImportError:
        raise UserError("WAV folders are read and written with the soundfile package: pip install soundfile") from None
    return soundfile


def _wavs(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() == ".wav")


def _classes(root: Path) -> list[Path]:
    return sorted(d for d in root.iterdir() if d.is_dir() and not d.name.startswith(".") and _wavs(d))


def has_wav(root: Path) -> bool:
    """Whether ``root`` or one of its sub-folders holds a .wav file."""
    return bool(_wavs(root) or _classes(root))


def _files(root: Path) -> tuple[list[Path], np.ndarray | None, list[str] | None]:
    """``(files, labels or None, class names or None)`` of a WAV folder."""
    top, classes = _wavs(root), _classes(root)
    if top and classes:
        raise UserError(f"'{root}' holds .wav files both at its top ('{top[0].name}') and in class sub-folders "
                        f"('{classes[0].name}'); put every file in a class folder, or none")
    if not classes:
        return top, None, None
    files = [_wavs(d) for d in classes]
    labels = np.repeat(np.arange(len(classes), dtype=np.int64), [len(f) for f in files])
    return [f for group in files for f in group], labels, [d.name for d in classes]


def read_wav_folder(root: Path, fit: Fit = Fit()) -> SeriesSet:
    """The WAV files of ``root`` as ``(N, C, L)`` float32 in [-1, 1], their class sub-folders as labels."""
    sf = _soundfile()
    files, labels, names = _files(root)
    if not files:
        raise UserError(f"'{root}' holds no .wav files (also none in its sub-folders)")
    series, rate, first = [], None, None
    for f in files:
        try:
            data, sr = sf.read(f, dtype="float32", always_2d=True)          # (frames, channels)
        except Exception as e:
            raise UserError(f"'{f}' could not be read as a WAV file ({type(e).__name__}: {e})") from None
        if rate is None:
            rate, first = sr, f
        if sr != rate:
            raise UserError(f"'{f}' has a sample rate of {sr} Hz, '{first.name}' {rate} Hz; every file of a folder must "
                            f"share one rate: resample it to {rate} Hz (e.g. sox IN.wav -r {rate} OUT.wav)")
        if series and data.shape[1] != series[0].shape[0]:
            raise UserError(f"'{f}' has {data.shape[1]} channels, '{first.name}' {series[0].shape[0]}; every file of a "
                            "folder must have the same channels")
        if len(data) == 0:
            raise UserError(f"'{f}' holds no samples")
        series.append(data.T)
    raw = np.full((len(series), series[0].shape[0], max(s.shape[1] for s in series)), np.nan, np.float32)
    for i, s in enumerate(series):
        raw[i, :, :s.shape[1]] = s
    x, notes, own = fit_length(raw, fit, f"the WAV files of '{root}'")
    return SeriesSet(x, labels, names, int(rate), "wav", notes, own)


def write_wav_folder(x: np.ndarray, labels: np.ndarray | None, class_names: list[str] | None, sample_rate: int,
                     out_dir: str | Path, subtype: str = "PCM_16") -> Path:
    """Series ``x (N, C, L)`` (values in [-1, 1]; beyond is clipped) as a new folder of C-channel WAV
    files ``NNNNNN.wav`` at ``sample_rate`` Hz, in sub-folders ``class_names[k]`` (or ``k``) when
    ``labels`` are given. Written into a temporary folder and renamed: never half-written, and an
    existing ``out_dir`` is refused."""
    sf = _soundfile()
    out = Path(out_dir)
    refuse_existing(out)
    x = np.asarray(x, np.float32)
    x = x[:, None, :] if x.ndim == 2 else x
    names = [str(n) for n in class_names] if class_names else None
    folders = [names[k] if names else str(k) for k in labels] if labels is not None else None
    if folders and any(n in ("", ".", "..") or "/" in n or os.sep in n for n in set(folders)):
        raise UserError(f"class names {sorted(set(folders))} cannot all be folder names; rename the classes")
    tmp = temporary_name(out)
    try:
        tmp.mkdir()
        for i, s in enumerate(x):
            folder = tmp / folders[i] if folders else tmp
            folder.mkdir(exist_ok=True)
            sf.write(folder / f"{i:06d}.wav", np.clip(s.T, -1.0, 1.0), int(sample_rate), subtype=subtype)
        if out.exists():                                  # appeared meanwhile: still never replaced
            raise UserError(f"'{out}' exists; choose another output name (nothing is overwritten)")
        os.rename(tmp, out)
    except (OSError, RuntimeError) as e:                 # libsndfile's errors are RuntimeErrors
        raise UserError(f"cannot write '{out}' ({getattr(e, 'strerror', None) or e})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return out
