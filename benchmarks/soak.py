"""Soak: a long toy run with evaluations, rotating and best checkpoints, its memory (RSS) sampled.

    python benchmarks/soak.py [--minutes 30] [--interval 60] [--preset toy-25gaussians-fast]
                              [--threads 1] [--out benchmarks/results/soak.json]

The run is the real command line (``python -m wgangp train``) in a child process with evaluation every
``--eval-every`` iterations, a checkpoint every ``--ckpt-every`` (``train.keep_last=3``, a ``best.pt``
by ``high_quality``) and an iteration count it cannot reach; the parent reads the child's resident
set size from ``/proc/PID/status`` every ``--interval`` seconds, stops the run with SIGTERM after
``--minutes`` (a clean stop: checkpoint, exit 130) and prints one line per sample and the growth
after the warm-up: ``(last RSS - RSS at --warmup minutes) / RSS at --warmup minutes``, and the
largest RSS after the warm-up against it. Goal (issue #13): no growth beyond 5% after the first 5
minutes. Linux only (``/proc``).
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def rss_mib(pid: int) -> float | None:
    """Resident set size of ``pid`` in MiB (None once it has exited)."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--interval", type=float, default=60.0, help="seconds between RSS samples")
    ap.add_argument("--warmup", type=float, default=5.0, help="minutes before the reference RSS")
    ap.add_argument("--preset", default="toy-25gaussians-fast")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--ckpt-every", type=int, default=250)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--out", default=None, help="also write the samples and the verdict as JSON here")
    args = ap.parse_args()

    run_dir = Path(tempfile.mkdtemp(prefix="wgangp-soak-")) / "run"
    cmd = [sys.executable, "-m", "wgangp", "train", args.preset, "--out", str(run_dir), "--quiet",
           "--set", "device=cpu", "--set", "train.iterations=100000000", "--set", "optim.lr_decay=none",
           "--set", f"train.eval_every={args.eval_every}", "--set", f"train.ckpt_every={args.ckpt_every}",
           "--set", "train.keep_last=3", "--set", "train.best_metric=high_quality", "--set", "train.eval_samples=2500",
           "--set", f"train.log_every={min(100, args.ckpt_every)}"]
    env = {**os.environ, "OMP_NUM_THREADS": str(args.threads), "MKL_NUM_THREADS": str(args.threads)}
    child = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    t0, samples = time.time(), []
    print(f"soak: {' '.join(cmd[1:])} (pid {child.pid}), {args.minutes:g} min, RSS every {args.interval:g} s")
    while time.time() - t0 < args.minutes * 60:
        time.sleep(min(args.interval, max(0.0, args.minutes * 60 - (time.time() - t0))))
        rss = rss_mib(child.pid)
        if rss is None or child.poll() is not None:
            break
        minute = (time.time() - t0) / 60
        samples.append((round(minute, 2), round(rss, 1)))
        print(f"minute {minute:6.2f}  RSS {rss:8.1f} MiB", flush=True)
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=600)
    steps = [json.loads(line)["step"] for line in (run_dir / "metrics.jsonl").read_text().splitlines()
             if '"train"' in line] if (run_dir / "metrics.jsonl").is_file() else []
    kept = sorted(p.name for p in (run_dir / "checkpoints").glob("step-*.pt")) if (run_dir / "checkpoints").is_dir() else []
    after = [r for m, r in samples if m >= args.warmup] or [r for _, r in samples]
    ref = after[0] if after else float("nan")
    growth = (after[-1] - ref) / ref if after else float("nan")
    peak = (max(after) - ref) / ref if after else float("nan")
    verdict = "PASS" if after and max(growth, peak) <= 0.05 else "FAIL"
    print(f"exit {child.returncode} after {steps[-1] if steps else 0} iterations; kept checkpoints {kept}; "
          f"best.json {'present' if (run_dir / 'best.json').is_file() else 'missing'}")
    print(f"RESULT soak minutes={args.minutes:g} rss_at_warmup_mib={ref:.1f} rss_last_mib={after[-1] if after else 0:.1f} "
          f"growth={growth:+.2%} peak_growth={peak:+.2%} goal=<=5% {verdict}")
    if child.returncode not in (0, 130):
        print(err[-2000:], file=sys.stderr)
    if args.out:
        Path(args.out).write_text(json.dumps({"command": cmd[1:], "samples_minute_rss_mib": samples,
                                              "growth": growth, "peak_growth": peak, "verdict": verdict,
                                              "iterations": steps[-1] if steps else 0, "exit": child.returncode},
                                             indent=1) + "\n")
    return 0 if child.returncode in (0, 130) else 1


if __name__ == "__main__":
    sys.exit(main())
