"""Series in text files (read with pandas): CSV / TSV / TXT tables of one series a row, the UCR/UEA
``NAME_TRAIN.tsv`` / ``.txt`` layout, ``.ts`` files through ``aeon``; and :func:`write_csv`.

The formats, the label choices and the length rule are described in :mod:`wgangp.data.series_io`.
"""
from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd

from wgangp.data.series_io import Fit, SeriesSet, atomic_file, encode_labels, fit_length
from wgangp.errors import UserError

MISSING = ("", "nan", "na")          # first-row cells that are no value (lower case), as pandas reads them
LABEL_HINT = "a label column: set data.label (wgangp classifier: --label) to first, last or its header name"


def _first_line(path: Path) -> tuple[int, str]:
    """``(index, text)`` of the first line that is not blank."""
    try:
        with open(path, errors="replace") as f:
            return next(((i, line) for i, line in enumerate(f) if line.strip()), (0, ""))
    except OSError as e:
        raise UserError(f"signal file '{path}' could not be read ({e.strerror or e})") from None


def _separator(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".csv", ".tsv"):
        return "," if suffix == ".csv" else "\t"
    first = _first_line(path)[1]                             # .txt: commas, tabs or spaces
    return "," if "," in first else "\t" if "\t" in first else r"\s+"


def _read(path: Path, sep: str, **options) -> pd.DataFrame:
    """pandas' reading of one series a row (empty, NaN and NA cells are no value); rows of different
    lengths come as wide as the longest, their ends empty. Columns are numbered 0, 1, ..."""
    kw = {"sep": sep, "header": None, "skip_blank_lines": True, **options}
    try:
        try:
            df = pd.read_csv(path, **kw)
        except pd.errors.ParserError:                      # rows of different lengths: as wide as the longest
            with open(path) as f:
                width = max(len(re.split(sep, line.strip())) for line in f if line.strip())
            df = pd.read_csv(path, **{**kw, "names": range(width)})
    except pd.errors.EmptyDataError:
        raise UserError(f"signal file '{path}' is empty; it needs one series a row") from None
    except (OSError, UnicodeDecodeError, ValueError, pd.errors.ParserError) as e:
        raise UserError(f"signal file '{path}' could not be read ({type(e).__name__}: "
                        f"{str(e).strip().splitlines()[-1] if str(e).strip() else ''})") from None
    df.columns = range(df.shape[1])
    return df


def _is_number(cell: str) -> bool:
    try:
        float(cell)
        return True
    except ValueError:
        return cell.lower() in MISSING


def _header(path: Path, sep: str) -> tuple[list[str] | None, list[str]]:
    """``(header names or None, notes)``: the first row is a header when it holds text, or when it
    is exactly the column numbers 0, 1, ..., n-1 with n >= 4 (pandas' ``to_csv`` of an unnamed frame)."""
    first = [str(c).strip() for c in _read(path, sep, dtype=str, keep_default_na=False, nrows=1).fillna("").iloc[0]]
    if not all(_is_number(c) for c in first):
        return first, []
    filled = [c for c in first if c]
    if len(filled) >= 4 and filled == [str(i) for i in range(len(filled))]:
        return first, [f"first row 0, 1, ..., {filled[-1]} taken as column numbers (a header)"]
    return None, []


def _label_column(label: str, header: list[str] | None, width: int, path: Path) -> int | None:
    if not label:
        return None
    if label in ("first", "last"):
        return 0 if label == "first" else width - 1
    if header is None:
        raise UserError(f"data.label={label!r} names a header column, but '{path}' has no header row; use "
                        "data.label=first or data.label=last")
    if label not in header:
        raise UserError(f"data.label={label!r} is not a column of '{path}' (its header: "
                        f"{', '.join(header[:6])}{', ...' if len(header) > 6 else ''})")
    return header.index(label)


def _numbers(df: pd.DataFrame, header: list[str] | None, path: Path) -> np.ndarray:
    """``(N, L)`` float64 of the value columns, NaN where empty; a text cell is a UserError naming
    its row (of the file, header included) and column."""
    values, bad_at = df.copy(), []
    for j, c in enumerate(df.columns):
        if df[c].dtype == object:                          # a column pandas did not read as numbers
            values[c] = pd.to_numeric(df[c], errors="coerce")
            bad = (values[c].isna() & df[c].notna()).to_numpy()
            if bad.any():
                bad_at.append((int(bad.argmax()), j))
    if bad_at:
        i, j = min(bad_at)
        col = int(df.columns[j])
        name = f" ('{header[col]}')" if header and col < len(header) else ""
        raise UserError(f"'{path}' row {i + 1 + (header is not None)}, column {col + 1}{name}: "
                        f"{df.iat[i, j]!r} is not a number; series files hold numbers only ({LABEL_HINT})")
    return values.to_numpy(np.float64)


def read_table(path: Path, label: str, fit: Fit, ucr: bool = False) -> SeriesSet:
    """A CSV / TSV / TXT file of one series a row (``ucr``: no header, labels in the first column)."""
    sep = _separator(path)
    header, notes = (None, []) if ucr else _header(path, sep)
    df = _read(path, sep, skiprows=_first_line(path)[0] + 1 if header is not None else None)
    if df.empty:
        raise UserError(f"signal file '{path}' holds a header row but no series")
    col = _label_column(label, header, df.shape[1], path)
    codes = names = None
    if col is not None:
        missing = df[col].isna() | (df[col].astype(str).str.strip() == "")
        if missing.any():
            raise UserError(f"'{path}' row {int(missing.to_numpy().argmax()) + 1 + (header is not None)}, column "
                            f"{col + 1}: no label (data.label={label}); every series needs one")
        codes, names = encode_labels(df[col].astype(str).tolist(), f"'{path}'")
        df = df.drop(columns=col)
    if df.shape[1] == 0:
        raise UserError(f"signal file '{path}' holds no values besides its label column")
    raw = _numbers(df, header, path)[:, None, :]
    x, fitted, own = fit_length(raw, fit, f"'{path}'")
    return SeriesSet(x, codes, names, None, "ucr" if ucr else "csv", notes + fitted, own)


def read_ucr(path: Path, label: str, fit: Fit) -> SeriesSet:
    """A UCR/UEA ``NAME_TRAIN.tsv`` / ``.txt``: no header, the class label in the first column."""
    if label not in ("", "first"):
        raise UserError(f"'{path}' is a UCR/UEA file: its labels are its first column; drop data.label={label}")
    return read_table(path, "first", fit, ucr=True)


def read_ts(path: Path, label: str, fit: Fit) -> SeriesSet:
    """A ``.ts`` file (the UCR/UEA archive's sktime format), read by aeon when it is installed."""
    try:
        from aeon.datasets import load_from_ts_file
    except ImportError:
        raise UserError(f"'{path}' is a .ts file: reading it needs aeon (pip install aeon), or give the same set's "
                        "NAME_TRAIN.tsv file") from None
    if label:
        raise UserError(f"'{path}' is a .ts file: its labels are its class values; drop data.label={label}")
    try:
        x, y = load_from_ts_file(str(path))
    except Exception as e:
        raise UserError(f"'{path}' could not be read by aeon ({type(e).__name__}: {e})") from None
    if isinstance(x, list):                                    # unequal lengths: a list of (C, L_i)
        raw = np.full((len(x), x[0].shape[0], max(s.shape[1] for s in x)), np.nan)
        for i, s in enumerate(x):
            raw[i, :, :s.shape[1]] = s
    else:
        raw = np.asarray(x, np.float64)
    codes, names = encode_labels(list(y), f"'{path}'") if y is not None and len(y) else (None, None)
    out, notes, own = fit_length(raw, fit, f"'{path}'")
    return SeriesSet(out, codes, names, None, "ts", notes, own)


def write_csv(x: np.ndarray, labels: np.ndarray | None, class_names: list[str] | None, out: str | Path,
              sep: str = ",", header: bool = True) -> Path:
    """One-channel series ``x (N, L)`` or ``(N, 1, L)`` into a new file, one series a row, the label
    (``class_names[k]``, or ``k``) first. ``header``: a first row ``label, t0, t1, ...`` (read back
    with ``data.label=first``); ``header=False, sep='\\t'`` writes the UCR layout."""
    x = np.asarray(x, np.float32)
    if x.ndim == 3 and x.shape[1] != 1:
        raise UserError(f"a CSV row holds one channel; these series have {x.shape[1]}: write an .npz or a WAV folder")
    rows = x.reshape(len(x), -1)
    frame = pd.DataFrame(rows, columns=[f"t{i}" for i in range(rows.shape[1])])
    if labels is not None:
        frame.insert(0, "label", [class_names[k] if class_names else int(k) for k in np.asarray(labels)])
    return atomic_file(Path(out), lambda tmp: frame.to_csv(tmp, sep=sep, header=header, index=False))
