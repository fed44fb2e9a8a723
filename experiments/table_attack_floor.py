"""The membership attack on records no model made: is the privacy score unbiased?

Each run splits a benchmark table at random into three: 60% "training", 20% held out and 20%
"fresh" real records that stand in for a perfect generator (new draws from the same population).
The distance attack of ``wgangp.metrics.tabular.privacy`` then compares training against held-out
records by their distance to the fresh ones, in the evaluation's encoding (fitted on the
training part). An unbiased attack scores 0.5 on average, spread by the null noise
(``membership_auc_noise``); this prints the mean and spread over the splits.

    python experiments/table_attack_floor.py --table penguins --splits 40
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from tables import as_table, load  # noqa: E402

from wgangp.data.table_columns import frame_to_table  # noqa: E402
from wgangp.data.tabular import encoder_for  # noqa: E402
from wgangp.domains.tables import distance_space  # noqa: E402
from wgangp.metrics import tabular as tm  # noqa: E402


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--table", default="penguins")
    p.add_argument("--splits", type=int, default=40)
    args = p.parse_args(argv)
    df, _, drop = load(args.table)
    df = df.drop(columns=drop).reset_index(drop=True)
    _, specs, _ = frame_to_table(df)
    aucs = []
    for r in range(args.splits):
        order, k = np.random.default_rng(r).permutation(len(df)), len(df) // 5
        hold, fresh, train = (as_table(df.iloc[i].reset_index(drop=True), specs)
                              for i in (order[:k], order[k:2 * k], order[2 * k:]))
        enc = encoder_for(train, specs, extra={c: np.concatenate([hold[c], fresh[c]]) for c in train})
        out = tm.privacy(*(distance_space(enc, enc.encode(t)) for t in (fresh, train, hold)))
        aucs.append(out["membership_auc"])
    print(f"{args.table}: fresh real records as the synthetic set, {args.splits} splits "
          f"({len(df) - 2 * k} training / {k} held out): membership AUC {np.mean(aucs):.3f} +- {np.std(aucs):.3f} "
          f"(null noise of one split {out['membership_auc_noise']:.3f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
