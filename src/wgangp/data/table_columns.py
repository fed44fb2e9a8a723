"""Columns as users have them: a CSV file, a Parquet file or a pandas DataFrame read into typed
columns, and generated records written back in the input's own types and formats.

Kinds (:class:`ColumnSpec`, inferred per column; ``data.categorical`` forces categorical):

* ``integer``: every present cell a whole number. ``82`` stays ``82`` and ``82.0`` stays ``82.0``
  (the text's decimals are kept); a DataFrame's ``int64`` comes back ``int64`` (``Int64`` with
  missing cells).
* ``number``: any other numeric column, written back with the input's decimals.
* ``boolean``: ``true`` / ``false`` cells (any case) or a ``bool`` dtype.
* ``datetime``: cells that parse with one format (``2012-01-02``, ``01/02/2012 10:00``, ...) or a
  ``datetime64`` dtype; modelled as seconds since 1970 and written back in the input's format, at
  its resolution (whole days when every time is midnight).
* ``categorical``: everything else, unless it looks like an ID or free text (more than
  :data:`MAX_CATEGORIES` values, or more than :data:`ID_MIN_VALUES` values that are nearly all
  different): such a column is dropped with a note naming it (a one-hot block per distinct value
  would be as wide as the table is long, and an ID copied into synthetic records is a leak).

Missing cells (empty, ``NA``, ``NaN``, ``null``, ... -- pandas' list) are allowed in every column and
are modelled (:mod:`wgangp.data.table_encoding`): ``NaN`` in a numeric column, :data:`MISSING` in a
categorical one. An infinite number is refused with the column and record named.

A :data:`Table` holds float64 columns (numeric kinds, datetimes as seconds) and str columns.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from wgangp.data.base import require_file
from wgangp.data.table_encoding import MISSING  # noqa: F401  (a missing categorical cell; its home is the encoding)
from wgangp.errors import UserError

Table = dict[str, np.ndarray]   # column name -> (N,) float64 (numeric kinds) or str (categorical kinds) cells
NUMERIC = ("integer", "number", "datetime")
MAX_CATEGORIES = 1000           # a categorical column with more distinct values is dropped (an ID, free text)
ID_MIN_VALUES = 50              # ... and so is one with more than this many values when ...
ID_SHARE = 0.5                  # ... more than this share of its present cells are distinct
DAY = 86_400.0
PARQUET_SUFFIXES = (".parquet", ".pq")
SUFFIXES = (".csv", ".tsv") + PARQUET_SUFFIXES


@dataclass
class ColumnSpec:
    """How one input column is read and written back."""
    name: str
    kind: str                     # integer | number | boolean | datetime | categorical | class (a numeric label's
                                  # values as class names)
    dtype: str = "object"         # the input's dtype ("object": text from a CSV)
    decimals: int | None = None   # digits after the point in the input text; None: up to 10 significant digits
    date_format: str = ""         # datetime: strftime format of the input text ("" = ISO 8601)
    unit: float = 0.0             # datetime: seconds per step of the input (86400: dates); integer: 1
    missing: bool = False         # the column has missing cells

    @property
    def numeric(self) -> bool:
        return self.kind in NUMERIC

    def to_dict(self) -> dict:
        return {k: (float(v) if isinstance(v, float) else v) for k, v in asdict(self).items()}


def read_frame(path: str | Path):
    """A table file as a pandas DataFrame: a CSV / TSV as text cells (missing cells NaN), a Parquet
    file with its own dtypes; clear errors for a missing, empty, corrupt or ragged file."""
    import pandas as pd

    path = Path(path)
    require_file(path, "table file", "pass --set data.path=FILE.csv or FILE.parquet (a header row, one record a row)")
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        raise UserError(f"table file '{path}': a {', '.join(SUFFIXES)} file is needed, not '{path.suffix or path.name}'")
    try:
        if suffix in PARQUET_SUFFIXES:
            df = pd.read_parquet(path)
        else:
            _check_ragged(path, "\t" if suffix == ".tsv" else ",")
            df = pd.read_csv(path, dtype=str, sep="\t" if suffix == ".tsv" else ",", skipinitialspace=True,
                             skip_blank_lines=True, on_bad_lines="error")
    except ImportError as e:
        raise UserError(f"reading '{path}' needs pyarrow ({e}); pip install pyarrow, or save the table as .csv") from None
    except pd.errors.EmptyDataError:
        raise UserError(f"table file '{path}' is empty; it needs a header row and at least one record") from None
    except (pd.errors.ParserError, UnicodeDecodeError, OSError, ValueError) as e:
        raise UserError(f"cannot read table file '{path}' ({str(e).strip().splitlines()[-1][:200]})") from None
    except Exception as e:                     # pyarrow's own errors (a corrupt Parquet file)
        raise UserError(f"cannot read table file '{path}' ({type(e).__name__}: {str(e)[:200]})") from None
    check_frame(df, str(path))
    return df


def _check_ragged(path: Path, sep: str) -> None:
    """A record with fewer or more cells than the header is an error naming its line (pandas would
    fill a short one with missing cells)."""
    import csv

    with path.open(newline="") as f:
        reader = csv.reader(f, delimiter=sep)
        header = next(reader, None)
        names = [h.strip() for h in header or []]
        if len(set(names)) != len(names) or not all(names):
            raise UserError(f"table file '{path}': the header must name every column once; got {names}")
        for row in reader:
            if row and any(c.strip() for c in row) and len(row) != len(header):
                raise UserError(f"table file '{path}', record on line {reader.line_num}: {len(row)} cells, the header "
                                f"has {len(header)}")


def check_frame(df, where: str) -> None:
    names = [str(c) for c in df.columns]
    if len(df) == 0:
        raise UserError(f"table {where} needs a header row and at least one record; it has none")
    if len(set(names)) != len(names) or any(not n.strip() or n.startswith("Unnamed: ") for n in names):
        raise UserError(f"table {where}: the header must name every column once; got {names}")


def frame_to_table(df, categorical: set[str] = frozenset(), where: str = "") -> tuple[Table, list[ColumnSpec], list[str]]:
    """``(table, specs, notes)``: every column of ``df`` typed (see the module docstring); ``notes``
    name the columns dropped as IDs or free text."""
    unknown = set(categorical) - {str(c) for c in df.columns}
    if unknown:
        raise UserError(f"data.categorical names column(s) {', '.join(sorted(unknown))} not in {where or 'the table'} "
                        f"(columns: {', '.join(map(str, df.columns))})")
    table, specs, notes = {}, [], []
    for col in df.columns:
        name = str(col)
        values, spec = _infer(name, df[col], name in categorical)
        if spec.kind == "categorical":
            note = _too_many(name, values, forced=name in categorical)
            if note:
                notes.append(note)
                continue
        table[name], _ = values, specs.append(spec)
    if not table:
        raise UserError(f"{where or 'the table'} has no column left to model ({'; '.join(notes)})")
    return table, specs, notes


def _too_many(name: str, values: np.ndarray, forced: bool) -> str:
    """Why a categorical column is not modelled ("" if it is): too many values, or (unless named in
    data.categorical) nearly one value per record."""
    present = values[values != MISSING]
    distinct = len(np.unique(present))
    if distinct > MAX_CATEGORIES or (not forced and distinct > ID_MIN_VALUES and distinct > ID_SHARE * len(present)):
        return (f"column '{name}' dropped: {distinct} distinct values in {len(present)} records look like an ID or "
                "free text (not modelled, not in the samples)")
    return ""


def _infer(name: str, s, categorical: bool) -> tuple[np.ndarray, ColumnSpec]:
    import pandas as pd

    dtype = str(s.dtype)
    missing = bool(s.isna().any())
    if categorical or isinstance(s.dtype, pd.CategoricalDtype):
        return _text(s), ColumnSpec(name, "categorical", dtype, missing=missing)
    if pd.api.types.is_bool_dtype(s.dtype):
        return _text(s), ColumnSpec(name, "boolean", dtype, missing=missing)
    if pd.api.types.is_datetime64_any_dtype(s.dtype):
        return _datetime_spec(name, pd.to_datetime(s), dtype, "", missing)
    if pd.api.types.is_numeric_dtype(s.dtype):
        x = _finite(name, s.to_numpy(dtype=np.float64, na_value=np.nan))
        whole = bool(np.all(np.isnan(x) | (x == np.round(x))))
        integer_dtype = pd.api.types.is_integer_dtype(s.dtype)
        return x, ColumnSpec(name, "integer" if whole else "number", dtype, 0 if integer_dtype else (1 if whole else None),
                             unit=1.0 if whole else 0.0, missing=missing)
    return _from_text(name, s.astype(object).where(s.notna(), None), dtype, missing)


def _text(s) -> np.ndarray:
    """Cells as stripped strings, :data:`MISSING` where missing."""
    return np.array([MISSING if v is None else str(v).strip() for v in s.astype(object).where(s.notna(), None)],
                    dtype=str)


def _finite(name: str, x: np.ndarray) -> np.ndarray:
    bad = np.flatnonzero(np.isinf(x))
    if len(bad):
        raise UserError(f"column '{name}' has {len(bad)} infinite cell(s) (first: record {bad[0] + 1}); replace them "
                        "(or leave the cells empty: missing values are modelled)")
    return x


def _from_text(name: str, s, dtype: str, missing: bool) -> tuple[np.ndarray, ColumnSpec]:
    """A column of text cells: numeric, boolean, datetime or categorical, by what every present cell parses as."""
    import pandas as pd

    text = s.dropna().astype(str).str.strip()
    if len(text) == 0:
        return _text(s), ColumnSpec(name, "categorical", dtype, missing=True)
    numbers = pd.to_numeric(text, errors="coerce")
    if numbers.notna().all():
        x = _finite(name, pd.to_numeric(s.astype(str).str.strip().where(s.notna()), errors="coerce").to_numpy(np.float64))
        whole = bool(np.all(np.isnan(x) | (x == np.round(x))))
        exponent = text.str.contains("[eE]").any()
        decimals = None if exponent else int(text.str.extract(r"\.(\d*)$")[0].fillna("").str.len().max())
        return x, ColumnSpec(name, "integer" if whole else "number", dtype, decimals, unit=1.0 if whole else 0.0,
                             missing=missing)
    if set(text.str.lower()) <= {"true", "false"}:
        return _text(s), ColumnSpec(name, "boolean", dtype, missing=missing)
    fmt = _date_format(text)
    if fmt is not None:
        return _datetime_spec(name, pd.to_datetime(s, format=fmt or "ISO8601", errors="coerce"), dtype, fmt, missing)
    return _text(s), ColumnSpec(name, "categorical", dtype, missing=missing)


def _date_format(text) -> str | None:
    """The one strftime format every cell of ``text`` parses with ("" = mixed ISO 8601), or None."""
    import warnings

    import pandas as pd
    from pandas.tseries.api import guess_datetime_format

    if not text.str.contains(r"\d").all() or not text.str.contains(r"[-/:.]").all():
        return None
    fmt = guess_datetime_format(text.iloc[0])
    if fmt is None:
        return None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        parsed = pd.to_datetime(text, format=fmt, errors="coerce")
    return fmt if parsed.notna().all() else None


def _datetime_spec(name: str, dt, dtype: str, fmt: str, missing: bool) -> tuple[np.ndarray, ColumnSpec]:
    if getattr(dt.dt, "tz", None) is not None:
        dt = dt.dt.tz_convert(None)
    seconds = (dt - np.datetime64("1970-01-01")).dt.total_seconds().to_numpy(dtype=np.float64, na_value=np.nan)
    present = seconds[~np.isnan(seconds)]
    unit = DAY if len(present) and np.all(np.mod(present, DAY) == 0) else 1.0
    return seconds, ColumnSpec(name, "datetime", dtype, date_format=fmt, unit=unit, missing=missing or bool(np.isnan(seconds).any()))


# ----- writing back -----------------------------------------------------------------------------
def text_cells(x: np.ndarray, spec: ColumnSpec) -> list[str]:
    """A column as the CSV cells of its input's format ("" for a missing cell)."""
    import pandas as pd

    if not spec.numeric:
        return [str(v) for v in x]
    ok = ~np.isnan(x)
    if spec.kind == "datetime":
        dt = pd.to_datetime(np.where(ok, x, 0), unit="s")
        fmt = spec.date_format or ("%Y-%m-%d" if spec.unit == DAY else "%Y-%m-%dT%H:%M:%S")
        cells = list(dt.strftime(fmt))
    elif spec.decimals == 0 or (spec.kind == "integer" and spec.decimals is None):
        cells = [str(int(v)) for v in np.where(ok, x, 0)]
    elif spec.decimals is None:
        cells = [f"{v:.10g}" for v in x]
    else:
        cells = [f"{v:.{spec.decimals}f}" for v in x]
    return [c if k else "" for c, k in zip(cells, ok)]


def to_frame(table: Table, specs: list[ColumnSpec]):
    """Records as a DataFrame in the input's dtypes (``Int64`` / ``boolean`` where missing cells need them)."""
    import pandas as pd

    by_name = {s.name: s for s in specs}
    cols = {}
    for name, x in table.items():
        spec = by_name.get(name)
        if spec is None:                      # a column added after the fact (augment's "synthetic")
            cols[name] = x
        elif spec.kind == "datetime":
            cols[name] = pd.to_datetime(x, unit="s")
        elif spec.kind == "integer" and (spec.dtype.startswith(("int", "Int", "uint")) or spec.dtype == "object"):
            cols[name] = pd.array(np.where(np.isnan(x), 0, x).astype(np.int64), dtype="Int64")
            cols[name][np.isnan(x)] = pd.NA
            if not np.isnan(x).any() and spec.dtype != "Int64":
                cols[name] = cols[name].astype(np.int64)
        elif spec.numeric:
            cols[name] = x.astype(np.float64)
        elif spec.kind == "boolean":
            b = pd.array([None if v == MISSING else v.lower() == "true" for v in x], dtype="boolean")
            cols[name] = b if (x == MISSING).any() else b.astype(bool)
        elif spec.kind == "class" and spec.dtype != "object":          # a numeric label column of the input
            cols[name] = pd.to_numeric(pd.Series([None if v == MISSING else v for v in x], dtype=object)).astype(
                spec.dtype if not (x == MISSING).any() else "float64")
        else:
            cols[name] = pd.Series([None if v == MISSING else v for v in x], dtype=object)
    return pd.DataFrame(cols)
