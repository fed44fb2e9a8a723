"""Synthetic records for the bundled breast-cancer table: fidelity, utility and privacy over seeds.

Trains ``table-breast-cancer`` (conditional on the diagnosis) once per seed and reports, as mean
+- std over the seeds, the scores of :func:`wgangp.evaluate` on as many synthetic records as there
are training records, next to the same fidelity scores for the real held-out records (the
sampling-noise floor) and the classifier trained on the real training records.

    python experiments/table_synthesis.py --iterations 2000 --seeds 0 1 2 --out runs/table
"""
from __future__ import annotations

import argparse
import json
import statistics
from pathlib import Path

import wgangp

KEYS = ("marginal_mean", "holdout_marginal_mean", "correlation_gap", "holdout_correlation_gap", "tstr_accuracy",
        "trtr_accuracy", "tstr_auc", "trtr_auc", "dcr_synthetic_median", "dcr_holdout_median",
        "closer_than_holdout_p5", "exact_copies", "membership_auc", "train_seconds")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iterations", type=int, default=2000)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--preset", default="table-breast-cancer")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra config overrides")
    p.add_argument("--out", type=Path, default=Path("runs/table"))
    args = p.parse_args(argv)
    rows = []
    for seed in args.seeds:
        over = {"seed": seed, "train.iterations": args.iterations, "train.eval_every": 0, "device": "cpu",
                **dict(kv.split("=", 1) for kv in args.set)}
        wgangp.train(args.preset, args.out / f"seed-{seed}", over, progress=False)
        m = json.loads((args.out / f"seed-{seed}" / "eval.json").read_text())
        rows.append({k: m[k] for k in KEYS if k in m})
        print(json.dumps({"seed": seed, **rows[-1]}), flush=True)
    print(f"\n{args.preset}, {args.iterations} iterations, {len(rows)} seeds (mean +- std)")
    for k in KEYS:
        v = [r[k] for r in rows if k in r]
        if v:
            print(f"{k:>24s}: {statistics.mean(v):.4f} +- {statistics.stdev(v) if len(v) > 1 else 0.0:.4f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
