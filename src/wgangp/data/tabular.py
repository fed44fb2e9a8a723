"""Tables of records (a CSV file, or scikit-learn's bundled breast-cancer set) as vectors.

* ``data.name=table`` with ``data.path=FILE.csv`` (a header row, one record a row), or
  ``data.name=breast-cancer`` (the Wisconsin diagnostic set shipped inside scikit-learn: 569
  patients, 30 measurements, the diagnosis as the column ``diagnosis``; no download).
* Column kinds: a column whose every cell parses as a number is continuous (integers stay
  integers when decoded), any other column, or one named in ``data.categorical``, is categorical.
  Empty cells are refused with the column named.
* ``data.label``: the class column, the target of the utility score. With ``model.conditional``
  the generator is conditioned on it (it is left out of the vectors and written back when samples
  are decoded); otherwise it is generated like any other column.
* ``data.holdout``: the share of records kept out of training, split with a fixed seed (the same
  split for every run seed), so utility and privacy are measured on records the GAN never saw.

:class:`TableEncoder` (fitted on the training records only) maps a record to a vector: a
continuous column through its quantile-normal transform ``Phi^-1(F(x))`` (``F`` the empirical CDF,
piecewise linear between at most 1000 stored quantiles; skewed or multi-modal columns reach the
networks roughly standard normal, and decoded values stay inside the observed range); a
categorical column as a one-hot block. The generator ends every block in a softmax
(:mod:`wgangp.nets.tabular`), the paper's recipe for discrete data (its language model), and
decoding takes the most likely category.
"""
from __future__ import annotations

import csv
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from scipy.stats import norm

from wgangp.data.base import PointSource, require_file
from wgangp.errors import UserError

SPLIT_SEED = 20_171_104         # the holdout split: fixed, so every run seed sees the same records
MAX_QUANTILES = 1000
U_CLIP = 1e-4                   # the quantile transform's probabilities are kept in [1e-4, 1 - 1e-4] (|z| <= 3.72)

Table = dict[str, np.ndarray]   # column name -> (N,) float64 (continuous) or str (categorical) cells


def read_csv(path: str | Path) -> tuple[list[str], list[list[str]]]:
    """``(header, rows)`` of a CSV file, every cell a stripped string; clear errors for a missing,
    empty or ragged file."""
    path = Path(path)
    require_file(path, "table file", "pass --set data.path=FILE.csv (a header row, one record a row)")
    try:
        with path.open(newline="") as f:
            rows = [[c.strip() for c in row] for row in csv.reader(f) if any(c.strip() for c in row)]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        raise UserError(f"cannot read table file '{path}' ({e})") from None
    if len(rows) < 2:
        raise UserError(f"table file '{path}' needs a header row and at least one record; it has {len(rows)} row(s)")
    header = rows[0]
    if len(set(header)) != len(header) or any(not h for h in header):
        raise UserError(f"table file '{path}': the header must name every column once; got {header}")
    for i, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise UserError(f"table file '{path}', record on line {i}: {len(row)} cells, the header has {len(header)}")
    return header, rows[1:]


def _parse_column(name: str, cells: list[str], categorical: bool) -> np.ndarray:
    empty = sum(1 for c in cells if c == "")
    if empty:
        raise UserError(f"column '{name}' has {empty} empty cell(s); fill or drop missing values first")
    if not categorical:
        try:
            values = np.array([float(c) for c in cells], dtype=np.float64)
        except ValueError:
            return np.array(cells, dtype=str)
        bad = np.flatnonzero(~np.isfinite(values))
        if len(bad):
            raise UserError(f"column '{name}' has {len(bad)} NaN or infinite cell(s) (first: record {bad[0] + 1}, "
                            f"{cells[bad[0]]!r}); fill or drop missing values first, or name the column in "
                            "data.categorical to keep them as a category")
        return values
    return np.array(cells, dtype=str)


def load_table(data_cfg) -> Table:
    """The whole table named by the data config, columns in file order."""
    if data_cfg.name == "breast-cancer":
        from sklearn.datasets import load_breast_cancer

        bunch = load_breast_cancer()
        table: Table = {str(name): bunch.data[:, j].astype(np.float64) for j, name in enumerate(bunch.feature_names)}
        table["diagnosis"] = np.array(bunch.target_names, dtype=str)[bunch.target]
        return table
    header, rows = read_csv(data_cfg.path)
    wanted = {c.strip() for c in data_cfg.categorical.split(",") if c.strip()}
    unknown = wanted - set(header)
    if unknown:
        raise UserError(f"data.categorical names column(s) {', '.join(sorted(unknown))} not in '{data_cfg.path}' "
                        f"(columns: {', '.join(header)})")
    return {name: _parse_column(name, [r[j] for r in rows], name in wanted) for j, name in enumerate(header)}


@dataclass
class Column:
    """One column's encoding: continuous (``quantiles``, ``integer``) or categorical (``categories``)."""
    name: str
    kind: str                                   # continuous | categorical
    quantiles: list[float] | None = None
    integer: bool = False
    categories: list[str] | None = None

    @property
    def width(self) -> int:
        return 1 if self.kind == "continuous" else len(self.categories)


class TableEncoder:
    """Records <-> ``(N, D)`` float32 vectors (see the module docstring); picklable as plain data."""

    def __init__(self, columns: list[Column]):
        self.columns = columns

    @classmethod
    def fit(cls, table: Table) -> "TableEncoder":
        cols = []
        for name, x in table.items():
            if x.dtype.kind == "f":
                q = np.quantile(x, np.linspace(0, 1, min(MAX_QUANTILES, len(x))))
                cols.append(Column(name, "continuous", quantiles=q.tolist(), integer=bool(np.all(x == np.round(x)))))
            else:
                values, counts = np.unique(x, return_counts=True)
                cols.append(Column(name, "categorical", categories=values[np.argsort(-counts, kind="stable")].tolist()))
        return cls(cols)

    @property
    def dim(self) -> int:
        return sum(c.width for c in self.columns)

    @property
    def categorical_spans(self) -> list[tuple[int, int]]:
        """``(start, width)`` of every one-hot block of the vector."""
        spans, start = [], 0
        for c in self.columns:
            if c.kind == "categorical":
                spans.append((start, c.width))
            start += c.width
        return spans

    def encode(self, table: Table) -> np.ndarray:
        """``(N, dim)`` float32; a category unseen at fit time is an error naming it."""
        parts = []
        for c in self.columns:
            x = table[c.name]
            if c.kind == "continuous":
                q = np.asarray(c.quantiles)
                p = np.linspace(0, 1, len(q))
                # ties (repeated quantiles) map to the middle of their probability range, as sklearn's QuantileTransformer
                u = 0.5 * (np.interp(x, q, p) - np.interp(-x, -q[::-1], -p[::-1]))
                parts.append(norm.ppf(np.clip(u, U_CLIP, 1 - U_CLIP))[:, None])
            else:
                index = {v: i for i, v in enumerate(c.categories)}
                unseen = sorted({v for v in x.tolist() if v not in index})
                if unseen:
                    raise UserError(f"column '{c.name}': value(s) {unseen[:5]} were not in the training records")
                parts.append(np.eye(c.width)[[index[v] for v in x.tolist()]])
        return np.concatenate(parts, axis=1).astype(np.float32)

    def decode(self, v: np.ndarray) -> Table:
        """Vectors ``(N, dim)`` back to records: inverse quantile map (rounded for integer
        columns), the most likely category of every one-hot block."""
        v = np.asarray(v, dtype=np.float64)
        out: Table = {}
        start = 0
        for c in self.columns:
            block = v[:, start:start + c.width]
            if c.kind == "continuous":
                q = np.asarray(c.quantiles)
                x = np.interp(norm.cdf(block[:, 0]), np.linspace(0, 1, len(q)), q)
                out[c.name] = np.round(x) if c.integer else x
            else:
                out[c.name] = np.array(c.categories, dtype=str)[block.argmax(1)]
            start += c.width
        return out

    def state_dict(self) -> dict:
        """Plain Python values only (checkpoints load with ``weights_only=True``)."""
        return {"columns": [{"name": str(c.name), "kind": str(c.kind),
                             "quantiles": [float(v) for v in c.quantiles] if c.quantiles is not None else None,
                             "integer": bool(c.integer),
                             "categories": [str(v) for v in c.categories] if c.categories is not None else None}
                            for c in self.columns]}

    @classmethod
    def from_state(cls, state: dict) -> "TableEncoder":
        return cls([Column(**c) for c in state["columns"]])


def split(table: Table, holdout: float) -> tuple[Table, Table]:
    """``(train, holdout)`` records, split by a permutation with the fixed :data:`SPLIT_SEED`."""
    n = len(next(iter(table.values())))
    order = np.random.default_rng(SPLIT_SEED).permutation(n)
    k = int(round(holdout * n))
    return ({c: x[order[k:]] for c, x in table.items()}, {c: x[order[:k]] for c, x in table.items()})


def label_codes(values: np.ndarray, categories: list[str], column: str) -> np.ndarray:
    index = {v: i for i, v in enumerate(categories)}
    unseen = sorted({v for v in values.tolist() if v not in index})
    if unseen:
        raise UserError(f"label column '{column}': value(s) {unseen[:5]} were not in the training records")
    return np.array([index[v] for v in values.tolist()], dtype=np.int64)


def load_split(data_cfg) -> tuple[Table, Table]:
    """``(train, holdout)`` records of the configured table (:func:`split`), a numeric
    ``data.label`` column turned into class names; an unknown ``data.label`` is an error."""
    table = load_table(data_cfg)
    label = data_cfg.label
    if label and label not in table:
        raise UserError(f"data.label '{label}' is not a column of the table (columns: {', '.join(table)})")
    if label:
        check_label(table[label], label)
    if label and table[label].dtype.kind == "f":                  # a numeric label is a class name
        table[label] = np.array([f"{v:g}" for v in table[label]], dtype=str)
    return split(table, data_cfg.holdout)


MAX_NUMERIC_CLASSES = 20       # a numeric data.label with more distinct values is a regression target
MAX_CLASSES = 100              # any data.label with more is an ID or free text, not a class


def check_label(values: np.ndarray, column: str) -> None:
    """``data.label`` must name classes: a numeric column of many values (a regression target) or
    a column of very many values (an ID) is refused before training, with advice."""
    distinct = len(np.unique(values))
    if values.dtype.kind == "f" and distinct > MAX_NUMERIC_CLASSES:
        raise UserError(f"data.label '{column}' is numeric with {distinct} distinct values: a regression target, not "
                        f"a class; bin it into a new column (e.g. pandas.qcut(df['{column}'], 5)) and name that one, "
                        "or leave data.label empty to generate it like any other column")
    if distinct > MAX_CLASSES:
        raise UserError(f"data.label '{column}' has {distinct} distinct values (at most {MAX_CLASSES} classes): it looks "
                        "like an ID or free text; name a column of classes, or leave data.label empty")


class TableSource(PointSource):
    """Batches of encoded training records.

    ``conditional`` (``model.conditional``): the ``data.label`` column is the class label the
    generator is conditioned on (``labels``) and is left out of the vectors; otherwise it is
    generated like any other column. ``train`` / ``holdout``: the raw record splits."""

    def __init__(self, data_cfg, seed: int, conditional: bool = False):
        self.label = data_cfg.label
        self.train, self.holdout = load_split(data_cfg)
        n = len(next(iter(self.train.values())))
        if n < data_cfg.batch_size:
            raise UserError(f"the table's {n} training records (after data.holdout={data_cfg.holdout}) cannot fill a "
                            f"batch of data.batch_size={data_cfg.batch_size}; lower it with --set data.batch_size=N")
        self.conditional = bool(conditional and self.label)
        generated = {c: x for c, x in self.train.items() if not (self.conditional and c == self.label)}
        if not generated:
            raise UserError("the table has no column besides data.label to generate")
        self.encoder = TableEncoder.fit(generated)
        self._check_holdout(data_cfg.holdout)
        self.label_categories, self.label_counts, labels = [], [], None
        if self.label:
            values, counts = np.unique(self.train[self.label], return_counts=True)
            order = np.argsort(-counts, kind="stable")
            self.label_categories, self.label_counts = values[order].tolist(), counts[order].tolist()
        if self.conditional:
            labels = torch.from_numpy(label_codes(self.train[self.label], self.label_categories, self.label))
        super().__init__(data_cfg.batch_size, seed, points=torch.from_numpy(self.encoder.encode(generated)),
                         labels=labels)

    def _check_holdout(self, holdout: float) -> None:
        """Held-out records are scored in the training records' encoding: a category (or label) found
        only among them is refused now, not after training."""
        if not len(next(iter(self.holdout.values()))):
            return
        try:
            TableEncoder.fit(self.train).encode(self.holdout)
        except UserError as e:
            raise UserError(f"the held-out records (data.holdout={holdout:g}) hold a category the training records "
                            f"do not: {e}; such a run could never be evaluated. Merge rare categories, change "
                            "data.holdout, or set data.holdout=0") from None

    @property
    def categorical_spans(self) -> list[tuple[int, int]]:
        return self.encoder.categorical_spans

    def table_state(self) -> dict:
        """What a checkpoint keeps to decode samples without the data file."""
        return {**self.encoder.state_dict(), "label": str(self.label),
                "label_categories": [str(c) for c in self.label_categories],
                "label_counts": [int(c) for c in self.label_counts], "conditional": bool(self.conditional)}


def write_csv(table: Table, path: str | Path, encoder: TableEncoder | None = None) -> Path:
    """Write records atomically (temp file + rename); integer columns without decimals, floats to
    10 significant digits (what a CSV of measurements holds exactly)."""
    path = Path(path)
    integer = {c.name for c in encoder.columns if c.integer} if encoder is not None else set()
    names = list(table)
    n = len(table[names[0]]) if names else 0
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with tmp.open("w", newline="") as f:
            w = csv.writer(f)
            w.writerow(names)
            cols = [[str(int(v)) for v in table[c]] if c in integer else
                    ([f"{v:.10g}" for v in table[c]] if table[c].dtype.kind == "f" else table[c].tolist()) for c in names]
            w.writerows(zip(*cols) if n else [])
        os.replace(tmp, path)
    except OSError as e:
        raise UserError(f"cannot write '{path}' ({e.strerror or e})") from None
    return path
