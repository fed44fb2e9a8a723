"""wgangp's own scores of one benchmark table over seeds (the table preset at its defaults).

The tables of ``benchmarks/tables.py`` (breast-cancer, wine, penguins, cars), the run's own
evaluation (its fixed 20% hold-out): TSTR accuracy and the privacy scores per seed, then mean +- std;
and the share of missing cells per column, real against 5000 generated records.

    python experiments/table_seeds.py --table penguins --seeds 0 1 2 3 4
    python experiments/table_seeds.py --table penguins --seeds 0 1 2 3 4 --vary-split   # a new hold-out split per seed

With ``--vary-split`` every seed also draws its own hold-out split (``data.split_seed`` = the seed):
the spread then includes which records were held out, which the membership AUC depends on most
(its noise level, ``membership_auc_noise``, is printed too).
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import wgangp  # noqa: E402
from tables import load  # noqa: E402

KEYS = ("tstr_accuracy", "dcr_synthetic_median", "dcr_holdout_median", "closer_than_holdout_p5", "exact_copies",
        "membership_auc", "membership_auc_noise")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--table", default="penguins")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--iterations", type=int, default=0, help="0: the preset's size for the table")
    p.add_argument("--vary-split", action="store_true", help="each seed also holds out its own records")
    p.add_argument("--set", nargs="*", default=[], metavar="KEY=VALUE", help="config overrides for every run")
    args = p.parse_args(argv)
    over = {"train.iterations": args.iterations} if args.iterations else {}
    over.update(kv.split("=", 1) for kv in args.set)
    df, label, drop = load(args.table)
    rows, gaps = [], [c for c in df.columns if c not in drop and df[c].isna().any()]
    for seed in args.seeds:
        split = {"data.split_seed": seed} if args.vary_split else {}
        synth = wgangp.TableSynthesizer(label=label, drop=drop, seed=seed, overrides={**over, **split}).fit(df)
        rows.append(synth.evaluation)
        print(seed, " ".join(f"{k}={rows[-1][k]:.3f}" for k in KEYS), flush=True)
        if gaps:
            fake = synth.sample(5000, seed=seed)
            print("  missing cells, real / generated:", ", ".join(f"{c} {df[c].isna().mean():.3f} / "
                                                                  f"{fake[c].isna().mean():.3f}" for c in gaps))
    print(f"\n{args.table}, {len(rows)} seeds{', each its own split' if args.vary_split else ''} (mean +- std)")
    for k in KEYS:
        v = [r[k] for r in rows]
        print(f"{k:>24s}: {statistics.mean(v):.3f} +- {statistics.stdev(v) if len(v) > 1 else 0.0:.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
