"""The live view's panels for tables: each column's distribution, real training records against
generated ones (numbers as a histogram on the real values' bins, categories as shares), and the
matrix of |corr(real) - corr(generated)| between the numeric columns."""
from __future__ import annotations

import numpy as np

from wgangp.data.table_columns import MISSING

N_FAKE = 500                     # generated records per snapshot
MAX_COLUMNS = 8                  # columns drawn (the first ones of the table)
BINS = 16
TOP = 8                          # categories shown per column (the most frequent real ones)
SEED = 20_171_110


def _numeric(real: np.ndarray, fake: np.ndarray) -> dict:
    r, f = real[~np.isnan(real)], fake[~np.isnan(fake)]
    lo, hi = (np.quantile(r, [0.01, 0.99]) if len(r) else (0.0, 1.0))
    edges = np.linspace(lo, hi if hi > lo else lo + 1.0, BINS + 1)
    share = lambda x: (np.histogram(np.clip(x, edges[0], edges[-1]), edges)[0] / max(len(x), 1)).round(4).tolist()  # noqa: E731
    return {"type": "number", "labels": [f"{v:.3g}" for v in edges[:-1]], "real": share(r), "fake": share(f)}


def _categorical(real: np.ndarray, fake: np.ndarray) -> dict:
    values, counts = np.unique(real, return_counts=True)
    top = values[np.argsort(-counts, kind="stable")][:TOP].tolist()
    share = lambda x: [round(float(np.mean(x == v)), 4) for v in top]  # noqa: E731
    return {"type": "category", "labels": ["(missing)" if v == MISSING else str(v) for v in top],
            "real": share(real), "fake": share(fake)}


def _corr(table: dict, names: list[str]) -> np.ndarray:
    x = np.stack([np.nan_to_num(table[c].astype(np.float64), nan=np.nanmean(table[c])) for c in names], 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.nan_to_num(np.corrcoef(x, rowvar=False))


def panels(run, cache: dict, sample_records) -> dict:
    if "real" not in cache:
        cache["real"] = run.reference_source().train
    real = cache["real"]
    fake = sample_records(run, N_FAKE, seed=SEED)
    columns = [c for c in real if c in fake][:MAX_COLUMNS]
    dists = {c: (_numeric if real[c].dtype.kind == "f" else _categorical)(real[c], fake[c]) for c in columns}
    numeric = [c for c in real if c in fake and real[c].dtype.kind == "f"][:MAX_COLUMNS * 2]
    gap = np.abs(_corr(real, numeric) - _corr(fake, numeric)).round(3).tolist() if len(numeric) >= 2 else []
    return {"kind": "table", "columns": dists, "corr_names": numeric, "corr_gap": gap}
