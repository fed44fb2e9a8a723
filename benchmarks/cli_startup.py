"""Start-up time of the command line: ``wgangp --help``, ``wgangp list`` and an argument error,
against a bare ``python -c pass`` and against importing the library's API (torch and all), each the
median of several runs in this process's environment; plus ``python -X importtime``'s cumulative
import time of ``wgangp.cli``.

    python benchmarks/cli_startup.py [--runs 7] [--compare-src OLD/src]

``--compare-src``: also time the same commands as ``python -m wgangp`` with another checkout's
``src`` first on ``PYTHONPATH`` (e.g. the version before the lazy imports: ``git archive d8744ef src``).
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def _median_seconds(cmd: list[str], runs: int, env: dict | None = None) -> float:
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _import_us(module: str) -> int:
    err = subprocess.run([sys.executable, "-X", "importtime", "-c", f"import {module}"], capture_output=True,
                         text=True).stderr
    line = [ln for ln in err.splitlines() if re.search(rf"\|\s*{re.escape(module)}$", ln)][-1]
    return int(line.split("|")[1])


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--runs", type=int, default=7)
    p.add_argument("--compare-src", default=None, help="another checkout's src/ to time the same commands with")
    args = p.parse_args()
    wgangp = str(BIN / "wgangp")
    base = _median_seconds([sys.executable, "-c", "pass"], args.runs)
    api = _median_seconds([sys.executable, "-c", "import wgangp.api"], args.runs)
    print(f"python -c pass                 {base:6.3f} s (baseline)")
    print(f"python -c 'import wgangp.api'  {api:6.3f} s (the library with torch, matplotlib, TensorBoard)")
    for label, cmd in (("wgangp --help", [wgangp, "--help"]), ("wgangp list", [wgangp, "list"]),
                       ("wgangp train (argument error)", [wgangp, "train"])):
        t = _median_seconds(cmd, args.runs)
        print(f"{label:<30} {t:6.3f} s  ({t / api:.2f}x the API import, +{t - base:.3f} s over bare python)")
    if args.compare_src:
        env = {**os.environ, "PYTHONPATH": str(Path(args.compare_src).resolve())}
        for label, argv in (("--help", ["--help"]), ("list", ["list"]), ("train (argument error)", ["train"])):
            t = _median_seconds([sys.executable, "-m", "wgangp", *argv], args.runs, env)
            print(f"{args.compare_src}: wgangp {label:<22} {t:6.3f} s")
    print(f"python -X importtime: wgangp.cli {_import_us('wgangp.cli') / 1e6:.3f} s cumulative, "
          f"wgangp.api {_import_us('wgangp.api') / 1e6:.3f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
