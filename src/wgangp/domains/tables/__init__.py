"""Tables of records (any CSV or Parquet file, a DataFrame, or the breast-cancer records bundled with scikit-learn).

Data: :mod:`wgangp.data.tabular` (the record encoding, the fixed held-out split). A checkpoint keeps
the encoding, so samples decode to the table's own columns without the data file. Metrics
(:mod:`wgangp.metrics.tabular`): fidelity, train-on-synthetic utility and privacy against the
training records and the held-out ones. Samples and augmentation write ``.csv`` records.
"""
from __future__ import annotations

import math
from functools import partial
from pathlib import Path

import numpy as np
import torch

from wgangp.data.table_columns import SUFFIXES, Table, to_frame
from wgangp.data.tabular import MEMORY, TableEncoder, TableSource, encoder_for, label_codes, specs_of, write_csv
from wgangp.domains.base import Domain, plan, register_domain
from wgangp.domains.keys import TABLE_KEYS
from wgangp.errors import UserError
from wgangp.metrics import tabular as tm
from wgangp.metrics.registry import register_metric
from wgangp.metrics.toy import w1_distance


CALIBRATION_DRAW = 10_000       # generated records that set the level of each column's missing cells
CALIBRATION_SEED = 20_171_105


def _generate(run, n: int, seed: int, classes):
    """``(labels or None, encoded vectors (n, D))``; conditional runs without ``classes`` draw them
    in the training records' proportions."""
    if run.n_classes and classes is None:
        counts = np.asarray(run.domain_state["label_counts"], dtype=np.float64)
        classes = np.random.default_rng(seed).choice(run.n_classes, size=n, p=counts / counts.sum()).tolist()
    labels = run.class_labels(n, classes)
    return labels, run.sample(n, seed=seed, classes=labels.tolist() if labels is not None else None)


def sample_records(run, n: int, seed: int = 0, classes: int | list[int] | None = None) -> Table:
    """``n`` generated records as columns (the label column too, when the run has one).

    Conditional runs: by default the classes follow the training records' proportions (a
    stand-in for the real table); ``classes`` picks them instead (cycled, as :meth:`Run.sample`).
    Missing cells: at the training rate, by the level of a fixed calibration draw
    (:meth:`TableEncoder.missing_cuts`), the same for every ``n``, ``seed`` and class."""
    state = run.domain_state
    labels, x = _generate(run, n, seed, classes)
    encoder = TableEncoder.from_state(state)
    cuts = {}
    if any(c.missing_slot is not None and c.missing_rate for c in encoder.columns):
        cuts = encoder.missing_cuts(_generate(run, CALIBRATION_DRAW, CALIBRATION_SEED, None)[1].numpy())
    records = encoder.decode(x.numpy(), missing_cuts=cuts)
    if labels is not None:
        records[state["label"]] = np.array(state["label_categories"], dtype=str)[labels.numpy()]
    order = [s["name"] for s in state.get("specs", []) if s["name"] in records]     # the input's column order
    return {c: records[c] for c in order} if len(order) == len(records) else records


def _write_csv(run, n: int, path, seed: int, classes) -> str:
    records = sample_records(run, n, seed=seed, classes=classes)
    written = write_csv(records, path, specs_of(run.domain_state))
    return f"wrote {n} records of {len(records)} columns to {written}"


def _write_parquet(run, n: int, path, seed: int, classes) -> str:
    import os

    path = Path(path)
    frame = to_frame(sample_records(run, n, seed=seed, classes=classes), specs_of(run.domain_state))
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        frame.to_parquet(tmp, index=False)
        os.replace(tmp, path)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write '{path}' ({e.strerror or e})") from None
    return f"wrote {n} records of {frame.shape[1]} columns to {path}"


def _breast_cancer():
    """The Wisconsin diagnostic records shipped inside scikit-learn (569 patients, 30 measurements,
    the diagnosis as the column ``diagnosis``; no download)."""
    import pandas as pd
    from sklearn.datasets import load_breast_cancer

    bunch = load_breast_cancer()
    df = pd.DataFrame(bunch.data, columns=[str(n) for n in bunch.feature_names])
    df["diagnosis"] = np.array(bunch.target_names, dtype=str)[bunch.target]
    return df


BUNDLED = {"breast-cancer": _breast_cancer}    # tables that ship with a package (no data.path)


def _bundled(data_cfg):
    return BUNDLED[data_cfg.name]() if data_cfg.name in BUNDLED else None


def schedule(n: int, n_critic: int, private: bool = False) -> dict:
    """The size of a run for a table of ``n`` training records: a batch of about n/8 (a power of two
    in [64, 512], at most n) and about :data:`EPOCHS` passes of the critic over the records, in
    [300, 3000] generator iterations, networks 3 x 256 wide. Long runs memorise small tables
    (docs/tables.md, "Memorisation": on the 142 training records of the wine table 2000 iterations
    put 14.8% of synthetic records closer to a training record than 95% of held-out records are,
    500 iterations 0.7%). ``private`` (``train.dp_epsilon``): every step and every weight adds noise,
    so :data:`DP_EPOCHS` passes (at least 50 iterations) of 2 x 32 networks (docs/tables.md,
    "Differential privacy")."""
    batch = min(int(min(512, max(64, 2 ** round(math.log2(max(n, 1) / 8))))), n)
    epochs, low, step = (DP_EPOCHS, 50, 10) if private else (EPOCHS, 300, 100)
    iterations = int(min(3000, max(low, round(epochs * n / (batch * n_critic) / step) * step)))
    return {"data.batch_size": batch, "train.iterations": iterations, "model.hidden": 32 if private else 256,
            "model.depth": 2 if private else 3}


EPOCHS = 500         # benchmarks/results/tables.txt: at about this length quality is at its plateau and the
                     # synthetic records stay as far from the training records as held-out ones
DP_EPOCHS = 225      # benchmarks/results/table-dp-wine.txt


class Tables(Domain):
    name = "tables"
    data_names = ("table", "breast-cancer")
    data_keys = TABLE_KEYS
    state_key = "table"
    base_metrics = ("fidelity", "utility", "privacy", "dp")
    auto_sized = True

    def resolve(self, cfg) -> list[str]:
        from wgangp.config import SIZE_KEYS

        flat = cfg.flat()
        zeros = [k for k in SIZE_KEYS if flat[k] == 0]
        if not zeros:
            return []
        from wgangp.data.tabular import load_split

        n = len(next(iter(load_split(cfg.data, _bundled(cfg.data))[0].values())))
        chosen = schedule(n, cfg.train.n_critic, private=cfg.train.dp_epsilon > 0)
        for key in zeros:
            section, name = key.split(".")
            setattr(getattr(cfg, section), name, chosen[key])
        return [f"{n} training records: " + ", ".join(f"{k}={chosen[k]}" for k in zeros)
                + " (sized by the table; set them to choose)"]

    def validate(self, cfg) -> None:
        if cfg.data.name in BUNDLED and cfg.data.path:       # a file given to a bundled-set preset: it is the data
            if not (cfg.data.path.lower().endswith(SUFFIXES) or cfg.data.path.startswith(MEMORY)):
                raise UserError(f"data.path={cfg.data.path!r} with data.name={cfg.data.name} (a bundled table): give "
                                f"a {', '.join(SUFFIXES)} file, or drop data.path")
            cfg.data.name = "table"
        if cfg.data.name == "table" and not cfg.data.path:
            raise UserError("data.name=table needs data.path: add --set data.path=FILE.csv (or .parquet; a header row, "
                            "one record a row)")
        if cfg.data.label_bins < 0:
            raise UserError(f"config key 'data.label_bins' must be >= 0, got {cfg.data.label_bins}")
        if not 0.0 <= cfg.data.holdout <= 0.9:
            raise UserError(f"config key 'data.holdout' must be in [0, 0.9], got {cfg.data.holdout}")

    def build_source(self, data_cfg, seed: int, conditional: bool):
        return TableSource(data_cfg, seed, conditional, _bundled(data_cfg))

    def state(self, source) -> dict:
        return source.table_state()

    def network_options(self, state: dict | None) -> dict:
        """The generator ends in a softmax over each categorical column's one-hot block (none: plain)."""
        from wgangp.nets.tabular import TableGenerator

        spans = TableEncoder.from_state(state).categorical_spans
        return {"generator_head": partial(TableGenerator, spans=spans)} if spans else {}

    def transfer_mismatch(self, theirs, mine, conditional):
        def schema(s):
            return [(c["name"], c["kind"], c["categories"], c["missing"]) for c in (s or {}).get("columns", [])]
        if schema(theirs) != schema(mine):
            return "its table's columns (names, kinds, categories, missing flags) are not this table's"
        if conditional and (theirs or {}).get("label_categories") != (mine or {}).get("label_categories"):
            return "its classes (the label column's values) are not this table's"
        return None

    def class_names(self, state: dict | None) -> list[str]:
        return list(state["label_categories"]) if state and state.get("conditional") else []

    def writers(self) -> dict:
        return {".csv": _write_csv, ".parquet": _write_parquet}

    def eval_samples(self, run, n: int | None) -> int:
        return n or len(next(iter(run.reference_source().train.values())))

    def augment(self, run, out: Path, per_class: int | None, seed: int, filter_net, max_draws: int) -> dict:
        """The training records topped up per class (to the largest class or to ``per_class``), written
        to the new ``.csv`` ``out`` with a last column ``synthetic`` (0 / 1); the held-out records stay out."""
        if filter_net is not None:
            raise UserError("--filter-net is for image runs; tables are written unfiltered")
        if out.suffix != ".csv":
            raise UserError(f"output '{out}': a table run writes a .csv file")
        label, cats = run.domain_state["label"], run.domain_state["label_categories"]
        train = run.reference_source().train
        counts = [int(np.sum(train[label] == c)) for c in cats]
        extra = plan(counts, per_class)
        wanted = [k for k, m in enumerate(extra) for _ in range(m)]
        if wanted:
            fake = sample_records(run, len(wanted), seed=seed, classes=wanted)
            records = {c: np.concatenate([train[c], fake[c]]) for c in train}
        else:
            records = dict(train)
        records["synthetic"] = np.r_[np.zeros(len(train[label]), dtype=int), np.ones(len(wanted), dtype=int)].astype(str)
        write_csv(records, out, specs_of(run.domain_state))
        return {"real": counts, "synthetic": extra}

    def live_panels(self, run, cache: dict) -> dict:
        from wgangp.domains.tables.live import panels

        return panels(run, cache, sample_records)

    def summary(self, m: dict) -> list[str]:
        parts = []
        if m.get("marginal_mean") is not None:
            parts.append(f"marginal distance {m['marginal_mean']:.3f}, correlation gap {m['correlation_gap']:.3f}")
        if m.get("tstr_accuracy") is not None:
            parts.append(f"TSTR accuracy {m['tstr_accuracy']:.3f} (real {m['trtr_accuracy']:.3f})")
        if m.get("dcr_holdout_median") is not None:
            parts.append(f"closest-record distance {m['dcr_synthetic_median']:.2f} (held-out {m['dcr_holdout_median']:.2f}), "
                         f"{100 * m['closer_than_holdout_p5']:.1f}% closer than the held-out 5%, "
                         f"{100 * m['exact_copies']:.1f}% copies, membership AUC {m['membership_auc']:.3f}"
                         + (f" (+-{m['membership_auc_noise']:.3f} from the choice of records alone)"
                            if m.get("membership_auc_noise") else ""))
        if m.get("w1") is not None:
            parts.append(f"W1 {m['w1']:.4f}")
        if m.get("dp"):
            parts.append(f"DP epsilon {m['dp_epsilon_spent']:.2f} spent (delta {m['dp_delta']:.2g})")
        parts += [f"{what} not computed: {m[key]}" for what, key in (("utility", "utility_skipped"),
                                                                    ("privacy vs hold-out", "privacy_skipped"))
                  if m.get(key)]
        return parts


def distance_space(enc: TableEncoder, x: np.ndarray) -> np.ndarray:
    """Encoded records with each one-hot block scaled by 1/sqrt(2): a category mismatch counts 1."""
    x = x.copy()
    for start, width in enc.categorical_spans:
        x[:, start:start + width] /= np.sqrt(2.0)
    return x


def _sets(ctx) -> dict:
    """The record sets every table metric compares (train, holdout, ``n`` generated), encoded with one
    encoder fitted on the training records (label included); computed once per evaluation."""
    if "tables" not in ctx.cache:
        source = ctx.run.reference_source()
        sets = {"train": source.train, "holdout": source.holdout,
                "fake": sample_records(ctx.run, ctx.n, seed=ctx.seed)}
        columns = list(source.train)
        full = encoder_for(source.train, source.specs, extra=source.holdout)
        enc = {k: full.encode({c: t[c] for c in columns}) for k, t in sets.items()}
        ctx.cache["tables"] = {"sets": sets, "full": full, "enc": enc, "columns": columns}
    return ctx.cache["tables"]


@register_metric("fidelity", domains=("tables",), best={"w1": "min", "marginal_mean": "min"},
                 description="per-column KS / total-variation distances (mean, worst), correlation gap and W1 of the "
                             "encoded records, with the held-out records' own scores as the sampling-noise floor")
def _fidelity(ctx) -> dict:
    t = _sets(ctx)
    sets, enc = t["sets"], t["enc"]
    train, holdout = sets["train"], sets["holdout"]
    fid = tm.marginals(train, {c: sets["fake"][c] for c in t["columns"]})
    out = {"n_synthetic": ctx.n, "n_train": len(next(iter(train.values()))),
           "n_holdout": len(next(iter(holdout.values()))),
           "w1": w1_distance(torch.from_numpy(enc["fake"]), torch.from_numpy(enc["train"])),
           "marginal_mean": fid["marginal_mean"], "marginal_worst": fid["marginal_worst"],
           "marginal_worst_column": fid["marginal_worst_column"],
           "correlation_gap": tm.correlation_gap(enc["train"], enc["fake"])}
    if out["n_holdout"] > 1:                   # the same two scores for real held-out records: the sampling-noise floor
        out["holdout_marginal_mean"] = tm.marginals(train, holdout)["marginal_mean"]
        out["holdout_correlation_gap"] = tm.correlation_gap(enc["train"], enc["holdout"])
    return out


@register_metric("utility", domains=("tables",), needs=("holdout",), best={"tstr_accuracy": "max", "tstr_auc": "max"},
                 description="train on synthetic, test on real: random-forest accuracy and ROC AUC on the held-out "
                             "records (tstr_*) beside training on the real records (trtr_*); needs data.label")
def _utility(ctx) -> dict:
    label = ctx.run.domain_state["label"]
    t = _sets(ctx)
    if not label:
        return {"utility_skipped": "no data.label: train-on-synthetic utility needs a label column to predict"}
    if not len(next(iter(t["sets"]["holdout"].values()))):
        return {"utility_skipped": "no held-out records (data.holdout=0): nothing real to test on"}
    features = TableEncoder([c for c in t["full"].columns if c.name != label])
    cats = list(ctx.run.domain_state["label_categories"])
    cats += [c for c in np.unique(t["sets"]["holdout"][label]).tolist() if c not in cats]   # classes only held out
    xy = {k: (features.encode(s), label_codes(s[label], cats, label)) for k, s in t["sets"].items()}
    return tm.utility(xy["fake"], xy["train"], xy["holdout"], seed=ctx.seed)


@register_metric("privacy", domains=("tables",), needs=("holdout",),
                 description="distance to the closest training record (DCR) of synthetic and of held-out records, "
                             "share closer than the held-out 5% quantile, exact copies, membership-attack AUC")
def _privacy(ctx) -> dict:
    t = _sets(ctx)
    out = tm.privacy(*(distance_space(t["full"], t["enc"][k]) for k in ("fake", "train", "holdout")))
    if "dcr_holdout_median" not in out:
        out["privacy_skipped"] = ("no held-out records (data.holdout=0): distances to the training records have "
                                  "nothing to compare with (no closer-than-holdout share, no membership AUC)")
    return out


register_domain(Tables())


@register_metric("dp", domains=("tables",),
                 description="train.dp_epsilon runs: the (epsilon, delta) spent so far by Opacus' RDP accountant, the "
                             "noise multiplier and sampling rate of the critic's DP-SGD")
def _dp(ctx) -> dict:
    cfg = ctx.run.config
    if not cfg.train.dp_epsilon:
        return {"dp": False}
    from wgangp.train.privacy import LEDGER, plan, read_ledger

    p = plan(cfg.train, cfg.data.batch_size, ctx.run.reference_source().n_train)
    taken = max(read_ledger(ctx.run.run_dir / LEDGER) if ctx.run.run_dir else 0, ctx.run.step * cfg.train.n_critic)
    return {"dp": True, "dp_epsilon_spent": p.spent(taken), "dp_epsilon_target": p.epsilon, "dp_critic_steps": taken,
            "dp_delta": p.delta, "dp_noise_multiplier": p.noise_multiplier, "dp_sample_rate": p.sample_rate}
