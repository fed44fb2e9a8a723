"""What the interpreter's teardown costs a short ``wgangp train``: the command as installed
(``python -m wgangp``, which leaves with ``os._exit`` once everything is written) against the same
``main`` left through ``sys.exit`` (the interpreter then finalises torch's module graph), in
alternating pairs, plus a bare ``import torch`` both ways for scale.

    python benchmarks/cli_exit.py [--rounds 6] [--preset toy-25gaussians-minute] [--iterations 100]

Prints each pair's seconds and the median of the per-pair differences and ratios.
"""
from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SYS_EXIT = "import sys; from wgangp.cli import main; sys.exit(main(sys.argv[1:]))"


def _seconds(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    took = time.perf_counter() - t0
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode}): {proc.stderr[-800:]}")
    return took


def _pairs(a: list[str], b: list[str], rounds: int, fresh: Path | None) -> list[tuple[float, float]]:
    out = []
    for i in range(rounds):
        pair = []
        for cmd in ((a, b) if i % 2 == 0 else (b, a)):
            if fresh is not None:
                shutil.rmtree(fresh, ignore_errors=True)
            pair.append((cmd is a, _seconds(cmd)))
        out.append(tuple(t for _, t in sorted(pair, reverse=True)))   # (a, b)
    return out


def _report(name: str, pairs: list[tuple[float, float]]) -> None:
    for i, (a, b) in enumerate(pairs):
        print(f"  {name} round {i}: os._exit {a:.2f} s, sys.exit {b:.2f} s")
    diff = statistics.median(b - a for a, b in pairs)
    ratio = statistics.median(b / a for a, b in pairs)
    print(f"RESULT {name}: os._exit median {statistics.median(a for a, _ in pairs):.2f} s, sys.exit median "
          f"{statistics.median(b for _, b in pairs):.2f} s, saved {diff:.2f} s a command (median of pairs), "
          f"sys.exit/os._exit {ratio:.3f}")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=6)
    p.add_argument("--preset", default="toy-25gaussians-minute")
    p.add_argument("--iterations", type=int, default=100)
    args = p.parse_args(argv)
    py = sys.executable
    bare = _pairs([py, "-c", "import os, torch; os._exit(0)"], [py, "-c", "import torch"], args.rounds, None)
    _report("import torch", bare)
    with tempfile.TemporaryDirectory() as work:
        out = Path(work) / "run"
        tail = ["train", args.preset, "--out", str(out), "--quiet", "--set", "device=cpu",
                "--set", f"train.iterations={args.iterations}"]
        runs = _pairs([py, "-m", "wgangp", *tail], [py, "-c", SYS_EXIT, *tail], args.rounds, out)
    _report(f"wgangp train {args.preset} ({args.iterations} iterations)", runs)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
