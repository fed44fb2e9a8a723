"""Time to quality of a toy preset, as a user meets it: the whole ``wgangp train`` command, from its
start (Python's imports included) to its exit (the final evaluation included), over seeds.

Each run is ``python -m wgangp train PRESET --out TMP --quiet --set seed=S [--set ...]``; the
wall time is measured around the process, the quality read from the run's final ``eval.json``
(modes captured and the high-quality share for the Gaussian mixtures, W1 for all). Variants
(``--variant NAME KEY=V[,KEY=V...]``) run the same seeds with keys changed, alternating with the
preset itself, for a table of what each change does.

    python experiments/toy_time_to_quality.py --preset toy-25gaussians-fast --seeds 0 1 2
    python experiments/toy_time_to_quality.py --preset toy-25gaussians-fast --seeds 0 \\
        --variant n_critic2 train.n_critic=2 --variant batch512 data.batch_size=512
    # ends with one RESULT line per variant: seconds, modes, high quality and W1, mean +- std
"""
from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one(preset: str, seed: int, sets: list[str], work: Path) -> dict:
    out = work / f"run-{time.monotonic_ns()}"
    cmd = [sys.executable, "-m", "wgangp", "train", preset, "--out", str(out), "--quiet", "--set", f"seed={seed}",
           "--set", "device=cpu"]
    for s in sets:
        cmd += ["--set", s]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-1500:]}")
    m = json.loads((out / "eval.json").read_text())
    m = m.get("metrics", m)
    shutil.rmtree(out, ignore_errors=True)
    return {"seconds": seconds, "train_seconds": m.get("train_seconds"), "modes": m.get("modes_captured"),
            "hq": m.get("high_quality"), "w1": m.get("w1")}


def _stat(values) -> str:
    values = [v for v in values if v is not None]
    if not values:
        return "n/a"
    if len(values) == 1:
        return f"{values[0]:.3f}"
    return f"{statistics.mean(values):.3f}+-{statistics.stdev(values):.3f}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="toy-25gaussians-fast")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--set", action="append", default=[], dest="sets", help="KEY=VALUE for every run")
    p.add_argument("--variant", nargs=2, action="append", default=[], metavar=("NAME", "KEY=V[,KEY=V]"),
                   help="also run with these keys changed")
    p.add_argument("--variants-only", action="store_true", help="do not run the preset unchanged beside them")
    args = p.parse_args(argv)
    variants = ([] if args.variants_only else [("preset", [])]) + [(n, spec.split(",")) for n, spec in args.variant]
    got = {name: [] for name, _ in variants}
    with tempfile.TemporaryDirectory() as work:
        for seed in args.seeds:
            for name, sets in variants:
                r = one(args.preset, seed, args.sets + sets, Path(work))
                got[name].append(r)
                print(f"seed {seed} {name}: {r['seconds']:.1f} s (training {r['train_seconds']} s), "
                      f"modes {r['modes']}, high quality {r['hq'] if r['hq'] is None else round(r['hq'], 3)}, "
                      f"W1 {r['w1']:.4f}", flush=True)
    for name, sets in variants:
        rs = got[name]
        print(f"RESULT preset={args.preset} variant={name} sets={','.join(args.sets + sets) or '-'} "
              f"seconds={_stat([r['seconds'] for r in rs])} train_seconds={_stat([r['train_seconds'] for r in rs])} "
              f"modes={_stat([r['modes'] for r in rs])} "
              f"high_quality={_stat([r['hq'] for r in rs])} w1={_stat([r['w1'] for r in rs])} "
              f"min_modes={min((r['modes'] for r in rs if r['modes'] is not None), default='n/a')}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
