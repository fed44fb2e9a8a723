"""Runs on tables: generated records decoded back to the table's columns, and their evaluation
(:mod:`wgangp.metrics.tabular`: fidelity, train-on-synthetic utility, privacy) against the
run's training records and the held-out ones (``data.holdout``)."""
from __future__ import annotations

import numpy as np
import torch

from pathlib import Path

from wgangp.data.tabular import Table, TableEncoder, label_codes, load_split, write_csv
from wgangp.errors import UserError
from wgangp.metrics import tabular as tm
from wgangp.metrics.toy import toy_metrics


def _encoder(run) -> TableEncoder:
    if run.table is None:
        raise UserError("this run was not trained on a table (data.name=table or breast-cancer)")
    return TableEncoder.from_state(run.table)


def sample_records(run, n: int, seed: int = 0, classes: int | list[int] | None = None) -> Table:
    """``n`` generated records as columns (the label column too, when the run has one).

    Conditional runs: by default the classes follow the training records' proportions (a
    stand-in for the real table); ``classes`` picks them instead (cycled, as :meth:`Run.sample`)."""
    enc = _encoder(run)
    if run.n_classes and classes is None:
        counts = np.asarray(run.table["label_counts"], dtype=np.float64)
        classes = np.random.default_rng(seed).choice(run.n_classes, size=n, p=counts / counts.sum()).tolist()
    labels = run.class_labels(n, classes)
    records = enc.decode(run.sample(n, seed=seed, classes=labels.tolist() if labels is not None else None).numpy())
    if labels is not None:
        records[run.table["label"]] = np.array(run.table["label_categories"], dtype=str)[labels.numpy()]
    return records


def _scaled(enc: TableEncoder, x: np.ndarray) -> np.ndarray:
    """Encoded records with each one-hot block scaled by 1/sqrt(2): a category mismatch counts 1."""
    x = x.copy()
    for start, width in enc.categorical_spans:
        x[:, start:start + width] /= np.sqrt(2.0)
    return x


def evaluate_table(run, n: int | None = None, seed: int = 0) -> dict:
    """Fidelity, utility (needs ``data.label``) and privacy of ``n`` generated records (default:
    as many as the training records). Reads the run's data again for the real records; every
    record set is encoded with the run's own encoder."""
    _encoder(run)
    label = run.table["label"]
    train, holdout = load_split(run.config.data)
    n_train = len(next(iter(train.values())))
    n = n or n_train
    sets = {"train": train, "holdout": holdout, "fake": sample_records(run, n, seed=seed)}
    columns = list(train)
    # every column (label included) in one encoding fitted on the training records: distances, correlations
    full = TableEncoder.fit(train)
    enc = {k: full.encode({c: t[c] for c in columns}) for k, t in sets.items()}
    fid = tm.marginals(train, {c: sets["fake"][c] for c in columns})
    out = {"n_synthetic": n, "n_train": n_train, "n_holdout": len(next(iter(holdout.values()))),
           "w1": toy_metrics(torch.from_numpy(enc["fake"]), torch.from_numpy(enc["train"]), None, None)["w1"],
           "marginal_mean": fid["marginal_mean"], "marginal_worst": fid["marginal_worst"],
           "marginal_worst_column": fid["marginal_worst_column"],
           "correlation_gap": tm.correlation_gap(enc["train"], enc["fake"])}
    if out["n_holdout"] > 1:                   # the same two scores for real held-out records: the sampling-noise floor
        out["holdout_marginal_mean"] = tm.marginals(train, holdout)["marginal_mean"]
        out["holdout_correlation_gap"] = tm.correlation_gap(enc["train"], enc["holdout"])
    if label and out["n_holdout"]:
        features = TableEncoder([c for c in full.columns if c.name != label])
        xy = {k: (features.encode(t), label_codes(t[label], run.table["label_categories"], label))
              for k, t in sets.items()}
        out.update(tm.utility(xy["fake"], xy["train"], xy["holdout"], seed=seed))
    out.update(tm.privacy(*(_scaled(full, enc[k]) for k in ("fake", "train", "holdout")), seed=seed))
    return out


def augment_table(run, out: str | Path, per_class: int | None = None, seed: int = 0) -> dict:
    """The run's training records topped up per class with generated ones (to the largest class
    or to ``per_class``), written to the new ``.csv`` ``out`` with a last column ``synthetic``."""
    from wgangp.augment import plan

    out = Path(out)
    if out.suffix != ".csv":
        raise UserError(f"output '{out}': a table run writes a .csv file")
    if out.exists():
        raise UserError(f"output '{out}' already exists; choose a new path (nothing is overwritten)")
    label, cats = run.table["label"], run.table["label_categories"]
    train, _ = load_split(run.config.data)
    counts = [int(np.sum(train[label] == c)) for c in cats]
    extra = plan(counts, per_class)
    wanted = [k for k, m in enumerate(extra) for _ in range(m)]
    n_real = len(train[label])
    result = {"real": counts, "synthetic": extra}
    if wanted:
        fake = sample_records(run, len(wanted), seed=seed, classes=wanted)
        records = {c: np.concatenate([train[c], fake[c]]) for c in train}
    else:
        records = dict(train)
    records["synthetic"] = np.r_[np.zeros(n_real, dtype=int), np.ones(len(wanted), dtype=int)].astype(str)
    write_csv(records, out, TableEncoder.from_state(run.table))
    return result
