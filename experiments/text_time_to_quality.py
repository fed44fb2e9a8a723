"""Time to quality of a text preset, as a user meets it: the whole ``wgangp train`` command on the
built-in corpus, from its start to its exit, with the curve of its periodic evaluations.

Each run is ``python -m wgangp train PRESET --out OUT --quiet --set seed=S --set device=cpu
[--set ...]``; the wall time is measured around the process. Every ``kind: eval`` row of the run's
``metrics.jsonl`` is printed (iteration, training seconds, js1..js4, the share of tokens that are
corpus words, the share of distinct samples), then one RESULT line per run with the final figures.

    python experiments/text_time_to_quality.py --preset text-python-docs-fast --seeds 0
    python experiments/text_time_to_quality.py --preset text-python-docs --seeds 0 --keep runs/text-official
    python experiments/text_time_to_quality.py --show runs/text-fast      # the curve of a finished run
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one(preset: str, seed: int, sets: list[str], out: Path) -> float:
    """Train; the command's wall seconds."""
    cmd = [sys.executable, "-m", "wgangp", "train", preset, "--out", str(out), "--quiet", "--set", f"seed={seed}",
           "--set", "device=cpu"]
    for s in sets:
        cmd += ["--set", s]
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-1500:]}")
    return seconds


def curve(run_dir: Path) -> list[dict]:
    rows = [json.loads(line) for line in (run_dir / "metrics.jsonl").read_text().splitlines() if line.strip()]
    return [r for r in rows if r.get("kind") == "eval"]


def _row(r: dict) -> str:
    js = " ".join(f"js{n} {r[f'js{n}']:.3f}" for n in range(1, 5))
    return (f"step {r['step']:>6} training {r['train_seconds']:>8.1f} s  {js}  words {r.get('words', float('nan')):.3f} "
            f"unique {r['unique']:.3f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--preset", default="text-python-docs-fast")
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--set", action="append", default=[], dest="sets", help="KEY=VALUE for every run")
    p.add_argument("--keep", type=Path, help="keep the runs under this folder (seed-S beneath it)")
    p.add_argument("--show", type=Path, help="print the curve of this finished run and stop")
    args = p.parse_args(argv)
    if args.show:
        for r in curve(args.show):
            print(_row(r))
        return 0
    with tempfile.TemporaryDirectory() as work:
        base = args.keep or Path(work)
        for seed in args.seeds:
            out = base / f"seed-{seed}"
            if out.exists():
                raise SystemExit(f"{out} exists; pass another --keep folder")
            seconds = one(args.preset, seed, args.sets, out)
            rows = curve(out)
            print(f"# {args.preset} seed {seed} sets {','.join(args.sets) or '-'}: whole command {seconds:.1f} s")
            for r in rows:
                print(_row(r), flush=True)
            last = rows[-1]
            print(f"RESULT preset={args.preset} seed={seed} seconds={seconds:.1f} step={last['step']} "
                  f"js4={last['js4']:.3f} words={last.get('words', float('nan')):.3f}", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
