"""Differentially private tables: SDMetrics quality and TSTR at several epsilons, over seeds.

Trains wgangp's ``table`` preset with ``train.dp_epsilon = eps`` (delta = 1/n^2) on one bundled
table per (eps, seed), and the same run without DP, and reports mean +- std over the seeds of the
SDMetrics QualityReport score, the TSTR accuracy on the held-out records and the epsilon spent
(Opacus' RDP accountant), next to CTGAN's non-private default run on the same split (one seed).

    python experiments/table_dp.py --table wine --epsilons 1 3 10 --seeds 0 1 2
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import wgangp  # noqa: E402
from tables import load, run_ctgan, score  # noqa: E402  (benchmarks/tables.py: the same data, split and scores)
from wgangp.data.table_columns import frame_to_table  # noqa: E402
from wgangp.data.tabular import split  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--table", default="wine")
    p.add_argument("--epsilons", type=float, nargs="+", default=[1.0, 3.0, 10.0])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--iterations", type=int, default=0, help="0: the preset's size for the table")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE", help="extra config overrides")
    p.add_argument("--only-dp", action="store_true", help="skip the non-private runs")
    p.add_argument("--no-ctgan", action="store_true", help="skip the CTGAN reference run")
    p.add_argument("--out", type=Path, default=None, help="write the rows as JSON here")
    args = p.parse_args(argv)
    df, label, drop = load(args.table)
    df = df.drop(columns=drop).reset_index(drop=True)
    parts = split({"i": np.arange(len(df))}, 0.2)
    train, hold = df.iloc[parts[0]["i"]].reset_index(drop=True), df.iloc[parts[1]["i"]].reset_index(drop=True)
    _, specs, _ = frame_to_table(df)
    rows = []
    epsilons = ([0.0] if not args.only_dp else []) + args.epsilons
    for eps in epsilons:
        for seed in args.seeds:
            over = {"train.eval_every": 0, **({"train.iterations": args.iterations} if args.iterations else {}),
                    **dict(kv.split("=", 1) for kv in args.set)}
            synth = wgangp.TableSynthesizer(label=label, seed=seed, dp_epsilon=eps, overrides=over)
            t0 = time.process_time()
            synth.fit(df)
            row = {"epsilon": eps, "seed": seed, "cpu_seconds": time.process_time() - t0,
                   "epsilon_spent": synth.evaluation.get("dp_epsilon_spent", float("inf")),
                   "noise_multiplier": synth.evaluation.get("dp_noise_multiplier", 0.0),
                   **score(args.table, synth.sample(len(train), seed=seed), train, hold, label, specs)}
            rows.append(row)
            print(json.dumps({k: row[k] for k in ("epsilon", "seed", "quality", "tstr_accuracy", "epsilon_spent",
                                                  "noise_multiplier", "cpu_seconds")}), flush=True)
    ctgan, cpu = {"quality": float("nan"), "tstr_accuracy": float("nan")}, 0.0
    if not args.no_ctgan:
        fake, cpu = run_ctgan(train, specs, label, 300, 0)
        ctgan = score(args.table, fake, train, hold, label, specs)
    print(f"\n{args.table}: {len(train)} training records, delta = 1/n^2, {len(args.seeds)} seeds (mean +- std)")
    print(f"{'epsilon':>10s}{'quality':>18s}{'TSTR accuracy':>18s}{'epsilon spent':>16s}{'CPU s':>10s}")
    for eps in epsilons:
        r = [x for x in rows if x["epsilon"] == eps]

        def ms(k):
            v = [x[k] for x in r]
            return f"{statistics.mean(v):.3f} +- {statistics.stdev(v) if len(v) > 1 else 0.0:.3f}"
        spent = max(x["epsilon_spent"] for x in r)
        print(f"{'off' if eps == 0 else f'{eps:g}':>10s}{ms('quality'):>18s}{ms('tstr_accuracy'):>18s}"
              f"{'-' if eps == 0 else f'{spent:.2f}':>16s}{statistics.mean(x['cpu_seconds'] for x in r):>10.0f}")
    print(f"{'CTGAN':>10s}{ctgan['quality']:>18.3f}{ctgan['tstr_accuracy']:>18.3f}{'- (not private)':>16s}{cpu:>10.0f}")
    if args.out:
        args.out.write_text(json.dumps({"rows": rows, "ctgan": {**ctgan, "cpu_seconds": cpu}}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
