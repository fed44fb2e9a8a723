"""wgangp against CTGAN (SDV's WGAN-GP for tables) on bundled tables, scored by SDMetrics.

For every table both tools train on the same training split (wgangp's fixed hold-out split, 20%)
and generate as many records as the training split holds. Reported, side by side:

* SDMetrics ``QualityReport`` (column shapes, column-pair trends; overall score) and
  ``DiagnosticReport`` (data validity, structure) against the training records -- the peer's metrics;
* TSTR: a random forest trained on the synthetic records, tested on the held-out records
  (TRTR: trained on the real training records), accuracy;
* privacy in one encoding for both (wgangp's, fitted on the training records): median distance of
  a synthetic record to its closest training record against the same for held-out records, the
  share closer than the held-out 5% quantile, exact copies, membership-attack AUC (every training
  record against every held-out one; its spread from the choice of held-out records alone is
  printed beside it: one split says little, ``experiments/table_seeds.py --vary-split`` averages many);
* CPU seconds of training (``time.process_time``, all threads of the process: CTGAN's ``fit``,
  wgangp's training iterations as its run records them in ``train_cpu_seconds``, without the
  final evaluation).

Runs: wgangp's ``table`` preset at its defaults (sized by the table); CTGAN at its defaults
(300 epochs); CTGAN given wgangp's CPU seconds (its epochs scaled by the CPU time per epoch of its
default run); wgangp given 3/4 of CTGAN's default CPU seconds (its iterations scaled the same way;
the margin because CPU seconds on a shared 2-core machine vary by 10-30% from run to run, so a run
sized to the full budget lands above it about half the time). Tables (no download): scikit-learn's
breast cancer (569) and wine (178),
``palmerpenguins`` (344, missing cells), ``vega_datasets``' cars (406; missing cells, a date, a
categorical; the ID-like ``Name`` column left out for both).

    python benchmarks/tables.py --out benchmarks/results/tables.json      # ~15 min on 2 CPU cores
    python benchmarks/tables.py --tables wine --quick                      # a smoke run
    python benchmarks/tables.py --seed 1 --split-seed 1                    # another seed and hold-out split
"""
from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

import wgangp
from wgangp.data.table_columns import MISSING, frame_to_table
from wgangp.data.tabular import encoder_for, split
from wgangp.domains.tables import distance_space
from wgangp.metrics import tabular as tm


def load(name: str) -> tuple[pd.DataFrame, str, list[str]]:
    """``(frame, label column, columns left out)``."""
    if name == "breast-cancer":
        from sklearn.datasets import load_breast_cancer

        b = load_breast_cancer(as_frame=True)
        df = b.frame.rename(columns={"target": "diagnosis"})
        df["diagnosis"] = np.array(b.target_names)[df["diagnosis"]]
        return df, "diagnosis", []
    if name == "wine":
        from sklearn.datasets import load_wine

        return load_wine(as_frame=True).frame, "target", []
    if name == "penguins":
        from palmerpenguins import load_penguins

        return load_penguins(), "species", []
    if name == "cars":
        from vega_datasets import data

        return data.cars(), "Origin", ["Name"]
    raise SystemExit(f"unknown table {name!r}")


def metadata(df: pd.DataFrame, specs) -> dict:
    sd = {"integer": "numerical", "number": "numerical", "datetime": "datetime", "boolean": "boolean"}
    return {"columns": {s.name: {"sdtype": sd.get(s.kind, "categorical")} for s in specs if s.name in df.columns}}


def as_table(df: pd.DataFrame, specs) -> dict:
    """Any tool's records in wgangp's column types (numbers float, datetimes seconds, the rest text)."""
    out = {}
    for s in specs:
        col = df[s.name]
        if s.kind == "datetime":
            out[s.name] = (pd.to_datetime(col) - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy(np.float64)
        elif s.numeric:
            out[s.name] = pd.to_numeric(col, errors="coerce").to_numpy(np.float64)
        else:
            out[s.name] = np.array([MISSING if pd.isna(v) else str(v) for v in col], dtype=str)
    return out


def score(name, fake: pd.DataFrame, train: pd.DataFrame, hold: pd.DataFrame, label: str, specs) -> dict:
    from sdmetrics.reports.single_table import DiagnosticReport, QualityReport

    meta = metadata(train, specs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        q = QualityReport()
        q.generate(train, fake[train.columns], meta, verbose=False)
        d = DiagnosticReport()
        d.generate(train, fake[train.columns], meta, verbose=False)
    t_tr, t_ho, t_fk = (as_table(x, specs) for x in (train, hold, fake))
    enc = encoder_for(t_tr, specs, extra={c: np.concatenate([t_ho[c], t_fk[c]]) for c in t_tr})
    feats = [c for c in enc.columns if c.name != label]
    from wgangp.data.table_encoding import TableEncoder

    fe = TableEncoder(feats)
    xs = {k: fe.encode({c: v for c, v in t.items() if c != label}) for k, t in (("fake", t_fk), ("train", t_tr), ("hold", t_ho))}
    ys = {k: t[label].astype(str) for k, t in (("fake", t_fk), ("train", t_tr), ("hold", t_ho))}
    u = tm.utility((xs["fake"], ys["fake"]), (xs["train"], ys["train"]), (xs["hold"], ys["hold"]))
    p = tm.privacy(*(distance_space(enc, enc.encode(t)) for t in (t_fk, t_tr, t_ho)))
    props = q.get_properties().set_index("Property")["Score"]
    dprops = d.get_properties().set_index("Property")["Score"]
    return {"quality": float(q.get_score()), "column_shapes": float(props["Column Shapes"]),
            "column_pair_trends": float(props["Column Pair Trends"]), "diagnostic": float(d.get_score()),
            "validity": float(dprops["Data Validity"]), "structure": float(dprops["Data Structure"]),
            "tstr_accuracy": u["tstr_accuracy"], "trtr_accuracy": u["trtr_accuracy"], **p}


def run_wgangp(train_full: pd.DataFrame, label: str, drop: list[str], seed: int, iterations: int = 0, split_seed: int = 0):
    over = {"train.eval_every": 0, "data.split_seed": split_seed, **({"train.iterations": iterations} if iterations else {})}
    synth = wgangp.TableSynthesizer(label=label, drop=drop, seed=seed, overrides=over)
    synth.fit(train_full)
    return synth, synth.evaluation["train_cpu_seconds"]      # the training iterations' CPU time, not the evaluation


def run_ctgan(train: pd.DataFrame, specs, label: str, epochs: int, seed: int):
    import torch
    from ctgan import CTGAN

    dates = [s.name for s in specs if s.kind == "datetime"]
    data = train.copy()
    for c in dates:                                        # CTGAN models numbers: a date as its day number
        data[c] = (pd.to_datetime(data[c]) - pd.Timestamp("1970-01-01")).dt.days.astype(float)
    discrete = [s.name for s in specs if not s.numeric or s.name == label]     # the label: classes, as for wgangp
    gaps = [c for c in data.columns if c not in discrete and data[c].isna().any()]
    for c in gaps:     # CTGAN refuses missing numbers; SDV's way ("from_column"): an indicator, the mean filled in
        data[f"{c}.is_null"] = data[c].isna().map({True: "1", False: "0"})
        data[c] = data[c].fillna(data[c].mean())
    discrete += [f"{c}.is_null" for c in gaps]
    torch.manual_seed(seed)
    model = CTGAN(epochs=epochs, enable_gpu=False)
    t0 = time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model.fit(data, discrete_columns=discrete)
    cpu = time.process_time() - t0
    fake = model.sample(len(train))
    for c in gaps:
        fake[c] = fake[c].where(fake.pop(f"{c}.is_null") != "1")
    for c in dates:
        fake[c] = pd.Timestamp("1970-01-01") + pd.to_timedelta(fake[c].round(), unit="D")
    return fake, cpu


SHORT_SHARE = 0.75      # of CTGAN's default CPU seconds, for wgangp's shortened run (see the module docstring)


def bench_table(name: str, seed: int, quick: bool, split_seed: int = 0) -> dict:
    df, label, drop = load(name)
    df = df.drop(columns=drop).reset_index(drop=True)
    parts = split({"i": np.arange(len(df))}, 0.2, split_seed)          # wgangp's own split (data.split_seed)
    train, hold = df.iloc[parts[0]["i"]].reset_index(drop=True), df.iloc[parts[1]["i"]].reset_index(drop=True)
    _, specs, _ = frame_to_table(df)
    synth, wg_cpu = run_wgangp(df, label, [], seed, 30 if quick else 0, split_seed)   # holdout=0.2 inside: the same split
    its = synth.run.config.train.iterations
    rows = {"wgangp": {**score(name, synth.sample(len(train), seed=seed), train, hold, label, specs),
                       "cpu_seconds": wg_cpu, "iterations": its}}
    default_epochs = 3 if quick else 300
    fake, ct_cpu = run_ctgan(train, specs, label, default_epochs, seed)
    rows["ctgan_default"] = {**score(name, fake, train, hold, label, specs), "cpu_seconds": ct_cpu, "epochs": default_epochs}
    equal = max(1, round(default_epochs * wg_cpu / ct_cpu))
    fake, eq_cpu = run_ctgan(train, specs, label, equal, seed)
    rows["ctgan_equal_cpu"] = {**score(name, fake, train, hold, label, specs), "cpu_seconds": eq_cpu, "epochs": equal}
    short = max(10, round(SHORT_SHARE * its * ct_cpu / wg_cpu / 10) * 10)   # wgangp within CTGAN's default CPU time
    synth, short_cpu = run_wgangp(df, label, [], seed, short, split_seed)
    rows["wgangp_ctgan_cpu"] = {**score(name, synth.sample(len(train), seed=seed), train, hold, label, specs),
                                "cpu_seconds": short_cpu, "iterations": short}
    return {"table": name, "records": len(df), "train": len(train), "holdout": len(hold), "seed": seed,
            "split_seed": split_seed, "runs": rows}


KEYS = ("quality", "column_shapes", "column_pair_trends", "diagnostic", "tstr_accuracy", "trtr_accuracy",
        "dcr_synthetic_median", "dcr_holdout_median", "closer_than_holdout_p5", "exact_copies", "membership_auc",
        "cpu_seconds")


def report(results: list[dict]) -> str:
    lines = []
    for r in results:
        lines.append(f"\n{r['table']}: {r['records']} records ({r['train']} train / {r['holdout']} held out), seed {r['seed']}, "
                     f"split {r.get('split_seed', 0)}; membership AUC +-{tm.auc_noise(r['train'], r['holdout']):.3f} "
                     "from the choice of held-out records alone")
        names = list(r["runs"])
        lines.append(f"{'':>24s}" + "".join(f"{n:>18s}" for n in names))
        for k in KEYS:
            lines.append(f"{k:>24s}" + "".join(f"{r['runs'][n].get(k, float('nan')):>18.3f}" for n in names))
        q = {n: r["runs"][n]["quality"] for n in names}
        lines.append(f"{'quality gap':>24s}  wgangp - CTGAN equal CPU {q['wgangp'] - q['ctgan_equal_cpu']:+.3f}; "
                     f"wgangp in CTGAN's default CPU time - CTGAN default {q.get('wgangp_ctgan_cpu', float('nan')) - q['ctgan_default']:+.3f}")
        if "wgangp_ctgan_cpu" in r["runs"]:
            short, full = r["runs"]["wgangp_ctgan_cpu"]["cpu_seconds"], r["runs"]["ctgan_default"]["cpu_seconds"]
            lines.append(f"{'':>24s}  (that run: {short:.1f} CPU s against CTGAN's {full:.1f}: "
                         f"{'within' if short <= full else 'OVER'} CTGAN's time)")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--tables", nargs="+", default=["breast-cancer", "wine", "penguins", "cars"])
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--split-seed", type=int, default=0, help="data.split_seed: which records are held out")
    p.add_argument("--quick", action="store_true", help="a few iterations / epochs: checks the script, not the tools")
    p.add_argument("--out", type=Path, default=None, help="write the results as JSON here (and the table beside it)")
    args = p.parse_args(argv)
    results = []
    for name in args.tables:
        results.append(bench_table(name, args.seed, args.quick, args.split_seed))
        print(report(results[-1:]), flush=True)
    if args.out:
        args.out.write_text(json.dumps(results, indent=1))
        args.out.with_suffix(".txt").write_text(f"python benchmarks/tables.py{' --quick' if args.quick else ''} "
                                                f"--seed {args.seed} --split-seed {args.split_seed} --tables {' '.join(args.tables)}\n" + report(results) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
