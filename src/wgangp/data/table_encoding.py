"""Records <-> vectors: :class:`TableEncoder`, fitted on the training records only.

* A numeric column (integer, number, datetime as seconds) through its quantile-normal transform
  ``Phi^-1(F(x))`` (``F`` the empirical CDF, piecewise linear between at most 1000 stored
  quantiles): skewed or multi-modal columns reach the networks roughly standard normal. Decoding
  interpolates linearly between the stored quantiles, so a value lands between training values
  (not on them) and stays inside the observed range; integer columns and dates are then rounded to
  their step.
* A column with missing cells gets a two-way block ``[present, missing]`` after its value (a
  missing value encodes as ``z = 0``), and decoding writes ``NaN`` where the cell is decoded missing.
* A categorical column (booleans too) as a one-hot block, a missing cell as its own category.

The generator ends every block in a softmax (:mod:`wgangp.nets.tabular`), the paper's recipe for
discrete data (its language model); decoding takes the most likely category. Missing cells are
decoded by calibration instead (:meth:`TableEncoder.missing_cuts`): a rare missing slot (3% of the
cells, say) rarely wins an argmax -- measured, none were generated on penguins and cars -- so a
cell is missing where the generator's probability of "missing" is above the level that the
training records' missing rate picks out of a calibration draw: the rate is the training rate,
and which records get the gaps is still the generator's choice.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import norm

from wgangp.errors import UserError

MISSING = ""                    # a missing categorical cell (also what the column reader writes for one)

MAX_QUANTILES = 1000
U_CLIP = 1e-4                   # the quantile transform's probabilities are kept in [1e-4, 1 - 1e-4] (|z| <= 3.72)


@dataclass
class Column:
    """One column's encoding: continuous (``quantiles``, rounding ``unit``, ``missing`` block) or
    categorical (``categories``)."""
    name: str
    kind: str                                   # continuous | categorical
    quantiles: list[float] | None = None
    unit: float = 0.0                           # decoded values rounded to multiples of this (0: not rounded)
    categories: list[str] | None = None
    missing: bool = False                       # continuous: a [present, missing] block follows the value
    missing_rate: float | None = None           # share of the training cells missing (None: checkpoints before it)

    @property
    def width(self) -> int:
        if self.kind == "continuous":
            return 3 if self.missing else 1
        return len(self.categories)

    @property
    def missing_slot(self) -> int | None:
        """Offset within the column's block of the probability of "missing" (None: the column has none)."""
        if self.kind == "continuous":
            return 2 if self.missing else None
        return self.categories.index(MISSING) if MISSING in self.categories else None


def _quantiles(x: np.ndarray) -> list[float]:
    present = x[~np.isnan(x)]
    if not len(present):
        return [0.0]
    return np.quantile(present, np.linspace(0, 1, min(MAX_QUANTILES, len(present)))).tolist()


class TableEncoder:
    """Records <-> ``(N, D)`` float32 vectors (see the module docstring); picklable as plain data."""

    def __init__(self, columns: list[Column]):
        self.columns = columns

    @classmethod
    def fit(cls, table: dict, units: dict[str, float] | None = None, missing: set[str] | frozenset = frozenset(),
            extra_categories: dict | None = None) -> "TableEncoder":
        """``units``: rounding step per numeric column; ``missing``: numeric columns that get a missing
        block even if no training cell is missing; ``extra_categories``: categories added after the
        training ones (an evaluation encoder that must also encode held-out records)."""
        cols = []
        for name, x in table.items():
            if x.dtype.kind == "f":
                cols.append(Column(name, "continuous", quantiles=_quantiles(x), unit=float((units or {}).get(name, 0.0)),
                                   missing=bool(name in missing or np.isnan(x).any()),
                                   missing_rate=float(np.isnan(x).mean()) if len(x) else 0.0))
            else:
                values, counts = np.unique(x, return_counts=True)
                cats = values[np.argsort(-counts, kind="stable")].tolist()
                cats += [c for c in (extra_categories or {}).get(name, []) if c not in cats]
                cols.append(Column(name, "categorical", categories=cats,
                                   missing_rate=float(np.mean(x == MISSING)) if len(x) else 0.0))
        return cls(cols)

    @property
    def dim(self) -> int:
        return sum(c.width for c in self.columns)

    @property
    def categorical_spans(self) -> list[tuple[int, int]]:
        """``(start, width)`` of every softmax block of the vector (one-hot columns, missing blocks)."""
        spans, start = [], 0
        for c in self.columns:
            if c.kind == "categorical":
                spans.append((start, c.width))
            elif c.missing:
                spans.append((start + 1, 2))
            start += c.width
        return spans

    def encode(self, table: dict) -> np.ndarray:
        """``(N, dim)`` float32; a category unseen at fit time is an error naming it."""
        parts = []
        for c in self.columns:
            x = table[c.name]
            if c.kind == "continuous":
                x = np.asarray(x, dtype=np.float64)
                absent = np.isnan(x)
                if absent.any() and not c.missing:
                    raise UserError(f"column '{c.name}': {int(absent.sum())} missing cell(s), none in the training records")
                q = np.asarray(c.quantiles)
                p = np.linspace(0, 1, len(q))
                # ties (repeated quantiles) map to the middle of their probability range, as sklearn's QuantileTransformer
                u = 0.5 * (np.interp(x, q, p) - np.interp(-x, -q[::-1], -p[::-1])) if len(q) > 1 else np.full(len(x), 0.5)
                z = np.where(absent, 0.0, norm.ppf(np.clip(np.nan_to_num(u, nan=0.5), U_CLIP, 1 - U_CLIP)))
                parts.append(z[:, None])
                if c.missing:
                    parts.append(np.stack([~absent, absent], axis=1).astype(np.float64))
            else:
                index = {v: i for i, v in enumerate(c.categories)}
                unseen = sorted({v for v in x.tolist() if v not in index})
                if unseen:
                    raise UserError(f"column '{c.name}': value(s) {unseen[:5]} were not in the training records")
                parts.append(np.eye(c.width)[[index[v] for v in x.tolist()]])
        return np.concatenate(parts, axis=1).astype(np.float32)

    def _blocks(self, v: np.ndarray):
        start = 0
        for c in self.columns:
            yield c, v[:, start:start + c.width]
            start += c.width

    def missing_cuts(self, v: np.ndarray) -> dict[str, float]:
        """Per column with a missing slot and a known training rate ``r``: the level of the
        generator's probability of "missing" exceeded by a share ``r`` of the generated vectors
        ``v`` (a calibration draw); ``inf`` where no training cell is missing."""
        v = np.asarray(v, dtype=np.float64)
        cuts = {}
        for c, block in self._blocks(v):
            if c.missing_slot is not None and c.missing_rate is not None and len(v):
                p = block[:, c.missing_slot]
                cuts[c.name] = float(np.quantile(p, 1.0 - c.missing_rate)) if c.missing_rate > 0 else float("inf")
        return cuts

    def decode(self, v: np.ndarray, missing_cuts: dict[str, float] | None = None) -> dict:
        """Vectors ``(N, dim)`` back to records: inverse quantile map (rounded to the column's step),
        the most likely category of every one-hot block; a cell is missing where its probability of
        "missing" is above the column's level in ``missing_cuts`` (:meth:`missing_cuts`), or
        without one where "missing" is the most likely."""
        v = np.asarray(v, dtype=np.float64)
        cuts = missing_cuts or {}
        out = {}
        for c, block in self._blocks(v):
            if c.kind == "continuous":
                q = np.asarray(c.quantiles)
                x = np.interp(norm.cdf(block[:, 0]), np.linspace(0, 1, len(q)), q) if len(q) > 1 else np.full(len(v), q[0])
                if c.unit > 0:
                    x = np.round(x / c.unit) * c.unit
                if c.missing:
                    absent = block[:, 2] > cuts[c.name] if c.name in cuts else block[:, 2] > block[:, 1]
                    x = np.where(absent, np.nan, x)
                out[c.name] = x
            else:
                cells = np.array(c.categories, dtype=str)[block.argmax(1)]
                if c.name in cuts:
                    present = np.array([k for k in c.categories if k != MISSING], dtype=str)
                    rest = np.delete(block, c.missing_slot, axis=1)
                    best = present[rest.argmax(1)] if len(present) else cells
                    cells = np.where(block[:, c.missing_slot] > cuts[c.name], MISSING, best)
                out[c.name] = cells
        return out

    def state_dict(self) -> dict:
        """Plain Python values only (checkpoints load with ``weights_only=True``)."""
        return {"columns": [{"name": str(c.name), "kind": str(c.kind),
                             "quantiles": [float(v) for v in c.quantiles] if c.quantiles is not None else None,
                             "unit": float(c.unit), "missing": bool(c.missing),
                             "missing_rate": None if c.missing_rate is None else float(c.missing_rate),
                             "categories": [str(v) for v in c.categories] if c.categories is not None else None}
                            for c in self.columns]}

    @classmethod
    def from_state(cls, state: dict) -> "TableEncoder":
        cols = []
        for c in state["columns"]:
            c = dict(c)
            if "integer" in c:                  # checkpoints of wgangp <= 0.1 (no missing blocks, no dates)
                c["unit"] = 1.0 if c.pop("integer") else 0.0
            cols.append(Column(**c))
        return cls(cols)
