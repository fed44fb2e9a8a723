"""How long the playground needs to show all 25 modes of 25 Gaussians on this CPU.

Starts ``wgangp playground``, asks it (as the page's "train" button does, POST /api/start) for
25 Gaussians with the form's defaults, and reads the run's evaluations (every 500 iterations,
modes counted as the paper's toy metric) until one shows 25 of 25 modes; prints the seconds from
the request to that evaluation's row. No page is open (the browser's own CPU cost is measured in
benchmarks/live_overhead.py).

    python experiments/playground_time.py [--timeout 900] [--seeds 0 1 2]
"""
from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def one(timeout: float, seed: int) -> tuple[float | None, int | None, list]:
    with tempfile.TemporaryDirectory() as work:
        root = Path(work) / "pg"
        proc = subprocess.Popen([sys.executable, "-m", "wgangp", "playground", "--out", str(root)],
                                stderr=subprocess.PIPE, text=True)
        try:
            line = ""
            while "playground at" not in line:
                line = proc.stderr.readline()
                if not line:
                    raise SystemExit(f"the playground ended early: {proc.wait()}")
            url = re.search(r"(http://\S+/)", line).group(1)
            req = urllib.request.Request(url + "api/start", data=json.dumps({"data": "25gaussians", "seed": seed}).encode(), method="POST")
            t0 = time.perf_counter()
            urllib.request.urlopen(req, timeout=30).read()
            metrics, seen = root / "run-001" / "metrics.jsonl", []
            while time.perf_counter() - t0 < timeout:
                rows = [json.loads(x) for x in metrics.read_text().splitlines()] if metrics.is_file() else []
                evals = [r for r in rows if r.get("kind") == "eval"]
                for r in evals[len(seen):]:
                    seen.append((r["step"], r["modes_captured"], round(r["high_quality"], 3), round(time.perf_counter() - t0, 1)))
                    print(f"  step {r['step']}: {r['modes_captured']}/25 modes, high quality {r['high_quality']:.1%}, "
                          f"{seen[-1][3]:.1f} s", flush=True)
                    if r["modes_captured"] == 25:
                        return seen[-1][3], r["step"], seen
                time.sleep(0.5)
            return None, None, seen
        finally:
            proc.terminate()
            proc.wait(timeout=120)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--timeout", type=float, default=900)
    p.add_argument("--seeds", type=int, nargs="+", default=[0], help="the form's seed field, one run each")
    args = p.parse_args(argv)
    times = []
    for seed in args.seeds:
        seconds, step, _ = one(args.timeout, seed)
        times.append(seconds)
        print(f"seed {seed}: 25 of 25 modes after {seconds} s (iteration {step})" if seconds else
              f"seed {seed}: not 25 modes within {args.timeout:.0f} s", flush=True)
    done = [t for t in times if t is not None]
    print(f"RESULT {len(done)} of {len(times)} seeds reached 25 of 25 modes; seconds "
          + " ".join(f"{t}" for t in times) + (f"; median {statistics.median(done):.1f} s" if done else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
