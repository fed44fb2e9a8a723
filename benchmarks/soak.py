"""Soak: a long toy run with evaluations, rotating and best checkpoints, its memory (RSS) sampled.

    python benchmarks/soak.py [--minutes 30] [--interval 60] [--preset toy-25gaussians-fast]
                              [--threads 1] [--out benchmarks/results/soak.json]

The run is the real command line (``python -m wgangp train``) in a child process with evaluation every
``--eval-every`` iterations, a checkpoint every ``--ckpt-every`` (``train.keep_last=3``, a ``best.pt``
by ``high_quality``) and an iteration count it cannot reach; the parent reads the child's resident
set size from ``/proc/PID/status`` every ``--interval`` seconds, stops the run with SIGTERM after
``--minutes`` (a clean stop: checkpoint, exit 130) and prints one line per sample and the growth
after the warm-up: the median of the last 5 samples against the median of the first 5 samples from
``--warmup`` minutes on (medians, so that a sample taken during an evaluation -- its exact W1 holds a
2500 x 2500 cost matrix for a moment -- is not read as growth); the largest sample against the
same reference is printed too (``peak``: transient, not the verdict). Goal (issue #13): no growth
beyond 5% after the first 5 minutes. ``--from-json FILE`` recomputes the verdict of an earlier
``--out`` file. Linux only (``/proc``).
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


def verdict_of(samples: list, warmup: float) -> tuple[float, float, float, float, str]:
    """``(reference MiB, last MiB, growth, peak growth, PASS/FAIL)`` of ``[(minute, rss), ...]``."""
    import statistics

    after = [r for m, r in samples if m >= warmup] or [r for _, r in samples]
    if not after:
        return float("nan"), float("nan"), float("nan"), float("nan"), "FAIL"
    ref, last = statistics.median(after[:5]), statistics.median(after[-5:])
    growth, peak = (last - ref) / ref, (max(after) - ref) / ref
    return ref, last, growth, peak, "PASS" if growth <= 0.05 else "FAIL"


def result_line(minutes: float, samples: list, warmup: float) -> str:
    ref, last, growth, peak, verdict = verdict_of(samples, warmup)
    return (f"RESULT soak minutes={minutes:g} samples={len(samples)} rss_ref_mib={ref:.1f} rss_last_mib={last:.1f} "
            f"growth={growth:+.2%} peak={peak:+.2%} goal=growth<=5% {verdict}")


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
    ap.add_argument("--from-json", default=None, help="print the verdict of an earlier --out file and exit")
    args = ap.parse_args()
    if args.from_json:
        saved = json.loads(Path(args.from_json).read_text())
        samples = saved["samples_minute_rss_mib"]
        for minute, rss in samples:
            print(f"minute {minute:6.2f}  RSS {rss:8.1f} MiB")
        print(result_line(samples[-1][0] if samples else 0, samples, args.warmup))
        return 0

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
    ref, last, growth, peak, verdict = verdict_of(samples, args.warmup)
    print(f"exit {child.returncode} after {steps[-1] if steps else 0} iterations; kept checkpoints {kept}; "
          f"best.json {'present' if (run_dir / 'best.json').is_file() else 'missing'}")
    print(result_line(args.minutes, samples, args.warmup))
    if child.returncode not in (0, 130):
        print(err[-2000:], file=sys.stderr)
    if args.out:
        Path(args.out).write_text(json.dumps({"command": cmd[1:], "samples_minute_rss_mib": samples,
                                              "growth": growth, "peak": peak, "verdict": verdict,
                                              "iterations": steps[-1] if steps else 0, "exit": child.returncode},
                                             indent=1) + "\n")
    return 0 if child.returncode in (0, 130) else 1


if __name__ == "__main__":
    sys.exit(main())
