"""The summary of experiments/ucr_augmentation.py: mean +- std over seeds of every score, with each seed's
paired gains and their t-test (the functions the experiment writes ``OUT/summary*.md`` with), and
``python experiments/ucr_summary.py [OUT]`` (default runs/ucr; reads OUT/SET/seed*/result.json): one table
of every finished set but the imbalance runs."""
import glob
import json
import sys
from pathlib import Path

import numpy as np
from scipy.stats import ttest_1samp

from wgangp.metrics.signal_utility import CLASSIFIERS


def paired_gains(row: dict) -> dict:
    """Real + synthetic against real only and against classic augmentation within one seed's result (with
    ``--imbalance``: the minority class's recall, ``CLF.minority_recall.gain_vs_real`` / ``_vs_classic``)."""
    out = {}
    for clf in CLASSIFIERS:
        syn, real, classic = (row.get(f"{clf}.{arm}") for arm in ("trstr", "trtr", "real_classic"))
        if syn is not None and real is not None:
            out[f"{clf}.gain_vs_real"] = syn - real
            out[f"{clf}.seeds_above_real"] = int(syn > real)
        if syn is not None and classic is not None:
            out[f"{clf}.gain_vs_classic"] = syn - classic
            out[f"{clf}.seeds_above_classic"] = int(syn > classic)
        recall = [row.get(f"{clf}.{arm}.minority_recall") for arm in ("real+synthetic", "real", "real+classic")]
        for other, name in ((recall[1], "real"), (recall[2], "classic")):    # --imbalance: the minority's recall
            if recall[0] is not None and other is not None:
                out[f"{clf}.minority_recall.gain_vs_{name}"] = recall[0] - other
                out[f"{clf}.minority_recall.seeds_above_{name}"] = int(recall[0] > other)
        rotated = row.get(f"{clf}.real_rotated")      # data.circular's control arm, where scored
        if syn is not None and rotated is not None:
            out[f"{clf}.gain_vs_rotated"] = syn - rotated
            out[f"{clf}.seeds_above_rotated"] = int(syn > rotated)
    return out


def summarise(results: dict[str, list[dict]]) -> dict:
    """``{set: {key: {"mean", "std", "n"}}}`` over seeds (None: the classifier was not installed), with
    the paired gains of each seed: ``CLF.gain_vs_real`` (real + synthetic minus real only, same seed)
    and ``CLF.gain_vs_classic`` (minus real + classic augmentation), and ``CLF.seeds_above_real`` /
    ``CLF.seeds_above_classic``, the number of seeds where real + synthetic is strictly above, and
    ``CLF.gain_vs_*_p``: the two-sided p-value of a paired t-test of those gains against 0 (3 or more
    seeds whose gains are not all equal)."""
    out = {}
    for tag, rows in results.items():
        rows = [{**r, **paired_gains(r)} for r in rows]
        keys = list(dict.fromkeys(k for r in rows for k, v in r.items() if isinstance(v, (int, float)) or v is None))
        out[tag] = {}
        for k in keys:
            if k in ("seed", "n_synthetic"):
                continue
            v = [r[k] for r in rows if r.get(k) is not None]
            if ".seeds_above_" in k:                                               # a count of seeds
                out[tag][k] = {"count": int(sum(v)), "n": len(v)}
                continue
            out[tag][k] = ({"mean": float(np.mean(v)), "std": float(np.std(v, ddof=1)) if len(v) > 1 else 0.0,
                            "n": len(v)} if v else None)
            if ".gain_vs_" in k and len(v) > 2 and np.std(v) > 0:                  # paired t-test, two-sided
                out[tag][f"{k}_p"] = {"p": float(ttest_1samp(v, 0.0).pvalue), "n": len(v)}
    return out


def markdown(summary: dict) -> str:
    tags = list(summary)
    keys = list(dict.fromkeys(k for t in tags for k in summary[t]))
    lines = ["| score | " + " | ".join(tags) + " |", "| --- |" + " --- |" * len(tags)]
    for k in keys:
        cells = []
        for t in tags:
            c = summary[t].get(k, "absent")
            cells.append("not installed" if c is None else "" if c == "absent" else
                         f"{c['count']} of {c['n']}" if "count" in c else f"p = {c['p']:.2g} ({c['n']})" if "p" in c else
                         f"{c['mean']:.4g} ± {c['std']:.2g} ({c['n']})")
        lines.append(f"| {k} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main(out: str) -> int:
    res = {Path(d).name: [json.load(open(f)) for f in sorted(glob.glob(f"{d}/seed*/result.json"))]
           for d in sorted(glob.glob(f"{out}/*")) if "imbalance" not in d and glob.glob(f"{d}/seed*/result.json")}
    print(markdown(summarise(res)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "runs/ucr"))
