"""Tables of records (a CSV or Parquet file, a DataFrame, or scikit-learn's bundled breast-cancer set).

* ``data.path=FILE.csv`` / ``.tsv`` / ``.parquet`` (a header row, one record a row), a DataFrame of
  the Python API, or a table that ships with a package (the domain hands it over:
  :mod:`wgangp.domains.tables`).
* Columns (:mod:`wgangp.data.table_columns`): integer, number, boolean, datetime and categorical
  kinds, missing cells in any of them; ID-like and free-text columns are dropped with a note, and
  ``data.drop`` drops more (direct identifiers). ``data.categorical`` forces numeric columns categorical.
* ``data.label``: the class column, the target of the utility score. With ``model.conditional``
  the generator is conditioned on it (it is left out of the vectors and written back when samples
  are decoded); otherwise it is generated like any other column. A numeric label of many values is
  a regression target: refused, unless ``data.label_bins=K`` cuts it into K quantile bins.
* ``data.holdout``: the share of records kept out of training, split with a fixed seed (the same
  split for every run seed), so utility and privacy are measured on records the GAN never saw.

The encoding: :mod:`wgangp.data.table_encoding`.
"""
from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from wgangp.data.base import PointSource
from wgangp.data.table_columns import MISSING, ColumnSpec, Table, check_frame, frame_to_table, read_frame, text_cells
from wgangp.data.table_encoding import TableEncoder
from wgangp.errors import UserError

SPLIT_SEED = 20_171_104         # the holdout split: fixed, so every run seed sees the same records

# in-memory tables of the Python API (wgangp.TableSynthesizer): data.path = "memory:KEY"
FRAMES: dict[str, object] = {}
MEMORY = "memory:"


def _names(text: str) -> set[str]:
    return {c.strip() for c in text.split(",") if c.strip()}


def load_table(data_cfg, bundled=None) -> tuple[Table, list[ColumnSpec], list[str]]:
    """``(table, specs, notes)``: the whole table of the data config (``bundled``: a DataFrame that
    ships with a package, given by the domain, instead of ``data.path``), columns in file order,
    ``data.drop`` left out; ``notes`` say which columns were dropped as IDs or free text."""
    if bundled is not None:
        df, where = bundled, "the bundled table"
    elif data_cfg.path.startswith(MEMORY):
        if data_cfg.path not in FRAMES:
            raise UserError(f"data.path={data_cfg.path!r} is a table held by another Python session; fit the "
                            "TableSynthesizer again (or save the DataFrame to a .parquet / .csv file)")
        df, where = FRAMES[data_cfg.path], "the DataFrame"
        check_frame(df, where)
    else:
        df, where = read_frame(data_cfg.path), f"'{data_cfg.path}'"
    drop = _names(getattr(data_cfg, "drop", ""))
    missing = drop - {str(c) for c in df.columns}
    if missing:
        raise UserError(f"data.drop names column(s) {', '.join(sorted(missing))} not in {where} "
                        f"(columns: {', '.join(map(str, df.columns))})")
    df = df[[c for c in df.columns if str(c) not in drop]]
    keep = _names(data_cfg.label) if data_cfg.label else set()
    return frame_to_table(df, _names(data_cfg.categorical) | keep_categorical(df, keep), where)


def keep_categorical(df, label: set[str]) -> set[str]:
    """The label column is never dropped as an ID: it is checked as a label instead (:func:`check_label`)."""
    return {c for c in label if c in {str(x) for x in df.columns} and not _numeric(df[c])}


def _numeric(s) -> bool:
    import pandas as pd

    return bool(pd.api.types.is_numeric_dtype(s.dtype) or pd.to_numeric(s.dropna().astype(str), errors="coerce").notna().all())


def split(table: Table, holdout: float, split_seed: int = 0) -> tuple[Table, Table]:
    """``(train, holdout)`` records, split by a permutation seeded by :data:`SPLIT_SEED` (fixed, so
    every run seed sees the same records) plus ``split_seed`` (``data.split_seed``: another split)."""
    n = len(next(iter(table.values())))
    order = np.random.default_rng(SPLIT_SEED + int(split_seed)).permutation(n)
    k = int(round(holdout * n))
    return ({c: x[order[k:]] for c, x in table.items()}, {c: x[order[:k]] for c, x in table.items()})


def label_codes(values: np.ndarray, categories: list[str], column: str) -> np.ndarray:
    index = {v: i for i, v in enumerate(categories)}
    unseen = sorted({v for v in values.tolist() if v not in index})
    if unseen:
        raise UserError(f"label column '{column}': value(s) {unseen[:5]} were not in the training records")
    return np.array([index[v] for v in values.tolist()], dtype=np.int64)


def load_split(data_cfg, bundled=None) -> tuple[Table, Table, list[ColumnSpec], list[str]]:
    """``(train, holdout, specs, notes)`` of the configured table (:func:`load_table`, :func:`split`),
    the ``data.label`` column checked (:func:`check_label`) and turned into class names."""
    table, specs, notes = load_table(data_cfg, bundled)
    label = data_cfg.label
    if label and label not in table:
        dropped = [n for n in notes if f"'{label}'" in n]
        raise UserError(f"data.label '{label}' is not a column of the table "
                        + (f"({dropped[0]})" if dropped else f"(columns: {', '.join(table)})"))
    if label:
        bins = getattr(data_cfg, "label_bins", 0)
        numeric = table[label].dtype.kind == "f"
        table[label] = class_names(table[label], label, bins)
        if numeric:                                   # class names now: written back as they are
            specs = [replace(s, kind="categorical" if bins else "class") if s.name == label else s for s in specs]
    return (*split(table, data_cfg.holdout, data_cfg.split_seed), specs, notes)


MAX_NUMERIC_CLASSES = 20       # a numeric data.label with more distinct values is a regression target
MAX_CLASSES = 100              # any data.label with more is an ID or free text, not a class


def class_names(values: np.ndarray, column: str, bins: int = 0) -> np.ndarray:
    """The label column as class names (str; a missing cell is the class :data:`MISSING`). ``bins > 0``
    cuts a numeric label into that many quantile bins (``(1.5, 3.2]``)."""
    import pandas as pd

    if bins:
        if values.dtype.kind != "f":
            raise UserError(f"data.label_bins={bins} cuts a numeric label into bins; data.label '{column}' is not numeric")
        cut = pd.qcut(values, bins, duplicates="drop")
        return np.array([MISSING if pd.isna(v) else str(v) for v in cut], dtype=str)
    check_label(values, column)
    if values.dtype.kind == "f":                  # a numeric label is a class name
        return np.array([MISSING if np.isnan(v) else f"{v:g}" for v in values], dtype=str)
    return values


def check_label(values: np.ndarray, column: str) -> None:
    """``data.label`` must name classes: a numeric column of many values (a regression target) or
    a column of very many values (an ID) is refused before training, with advice."""
    distinct = len(np.unique(values[~np.isnan(values)] if values.dtype.kind == "f" else values))
    if values.dtype.kind == "f" and distinct > MAX_NUMERIC_CLASSES:
        raise UserError(f"data.label '{column}' is numeric with {distinct} distinct values: a regression target, not "
                        f"a class; cut it into K quantile bins with --set data.label_bins=K (e.g. 5), or leave "
                        "data.label empty to generate it like any other column")
    if distinct > MAX_CLASSES:
        raise UserError(f"data.label '{column}' has {distinct} distinct values (at most {MAX_CLASSES} classes): it looks "
                        "like an ID or free text; name a column of classes, or leave data.label empty")


def encoder_for(train: Table, specs: list[ColumnSpec], extra: Table | None = None) -> TableEncoder:
    """The encoder of ``train``'s columns: numeric columns rounded to their step, a missing block
    wherever the whole table has missing cells; ``extra`` (held-out records): their categories are
    added, so an evaluation encodes records the generator was never shown."""
    by_name = {s.name: s for s in specs}
    units = {c: by_name[c].unit for c in train if c in by_name}
    missing = {c for c in train if c in by_name and by_name[c].missing}
    cats = {c: np.unique(x).tolist() for c, x in (extra or {}).items() if x.dtype.kind != "f"}
    return TableEncoder.fit(train, units=units, missing=missing, extra_categories=cats)


class TableSource(PointSource):
    """Batches of encoded training records.

    ``conditional`` (``model.conditional``): the ``data.label`` column is the class label the
    generator is conditioned on (``labels``) and is left out of the vectors; otherwise it is
    generated like any other column. ``train`` / ``holdout``: the raw record splits; ``specs``:
    how every column is written back; ``notes``: columns dropped as IDs or free text."""

    def __init__(self, data_cfg, seed: int, conditional: bool = False, bundled=None):
        self.label = data_cfg.label
        self.train, self.holdout, self.specs, self.notes = load_split(data_cfg, bundled)
        n = self.n_train
        if n < data_cfg.batch_size:
            raise UserError(f"the table's {n} training records (after data.holdout={data_cfg.holdout}) cannot fill a "
                            f"batch of data.batch_size={data_cfg.batch_size}; lower it with --set data.batch_size=N")
        self.conditional = bool(conditional and self.label)
        generated = {c: x for c, x in self.train.items() if not (self.conditional and c == self.label)}
        if not generated:
            raise UserError("the table has no column besides data.label to generate")
        self.encoder = encoder_for(generated, self.specs)
        self.label_categories, self.label_counts, labels = [], [], None
        if self.label:
            values, counts = np.unique(self.train[self.label], return_counts=True)
            order = np.argsort(-counts, kind="stable")
            self.label_categories, self.label_counts = values[order].tolist(), counts[order].tolist()
        if self.conditional:
            labels = torch.from_numpy(label_codes(self.train[self.label], self.label_categories, self.label))
        super().__init__(data_cfg.batch_size, seed, points=torch.from_numpy(self.encoder.encode(generated)),
                         labels=labels)

    @property
    def n_train(self) -> int:
        return len(next(iter(self.train.values())))

    def table_state(self) -> dict:
        """What a checkpoint keeps to decode samples without the data file."""
        return {**self.encoder.state_dict(), "label": str(self.label),
                "label_categories": [str(c) for c in self.label_categories],
                "label_counts": [int(c) for c in self.label_counts], "conditional": bool(self.conditional),
                "specs": [s.to_dict() for s in self.specs], "dropped": [str(n) for n in self.notes]}


def specs_of(state: dict) -> list[ColumnSpec]:
    """The column specs a checkpoint keeps (none in checkpoints of wgangp <= 0.1)."""
    return [ColumnSpec(**s) for s in state.get("specs", [])]


def write_csv(table: Table, path: str | Path, specs: list[ColumnSpec] = ()) -> Path:
    """Write records atomically (temp file + rename), every column in its input's format
    (:func:`wgangp.data.table_columns.text_cells`; a column without a spec: floats to 10 significant
    digits), a missing cell empty."""
    import csv

    path = Path(path)
    by_name = {s.name: s for s in specs}
    names = list(table)
    n = len(table[names[0]]) if names else 0
    cols = [text_cells(table[c], by_name[c]) if c in by_name else
            ([f"{v:.10g}" for v in table[c]] if table[c].dtype.kind == "f" else table[c].tolist()) for c in names]
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(names)
            w.writerows(zip(*cols) if n else [])
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write '{path}' ({e.strerror or e})") from None
    return path
