"""What the live view costs a training run: iterations/s of ``toy-25gaussians-fast`` without the
view, with ``--live`` and no page open, and with ``--live`` and the page open in a headless
chromium (Selenium), measured in the same run, alternating in rounds (drift in machine speed hits
all three alike; the order rotates). A ratio is the median over rounds of the round's it/s against
the same round's plain run.

Each run is a child process (``wgangp.api.train``) whose training loop is timed from its first to
its last iteration (``Trainer.fit``: the live probe's snapshots and waits are inside it, start-up
and the final evaluation are not). The page's own CPU use (drawing, JSON parsing) competes with
training on the same cores, as it would on a laptop; it is part of the "page open" figure. The
browser is started (on an empty page) before the run, as a user's browser is already running: its
own start-up, a few CPU seconds, is not charged to the live view.

    python benchmarks/live_overhead.py --iterations 1500 --rounds 2
    python benchmarks/live_overhead.py --blank        # and a plain run beside an open blank browser page
    # ends with: RESULT plain_its=... live_its=... page_its=... live_ratio=... page_ratio=... page_accounted_ratio=...

Wall-time ratios on a shared 2-core machine drift by tens of percent between runs, so the
benchmark also accounts for the cost directly: the share of the training loop's time spent in
the view's snapshots (timed inside the loop) and the browser's CPU seconds during the run (all
chromium processes, from /proc) as a share of the machine's CPU time;
``page_accounted_ratio = 1 - probe share - browser share`` is what the run keeps if the browser's
CPU comes out of training one for one.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PRESET = "toy-25gaussians-fast"
SETTLE = 3.0                     # seconds a fresh browser gets to finish starting before the run


def child(out: str, iterations: int, live: bool) -> None:
    """Train and print ``FIT <seconds> <iterations>`` (the training loop alone)."""
    from wgangp import api
    from wgangp.config import load_config
    from wgangp.train.loop import Trainer

    fit, timed = Trainer.fit, {}

    def timed_fit(self, *a, **k):
        t0, s0 = time.perf_counter(), self.step
        try:
            return fit(self, *a, **k)
        finally:
            timed.update(seconds=time.perf_counter() - t0, iterations=self.step - s0)

    Trainer.fit = timed_fit
    from wgangp.viz import live as live_view

    write, probe = live_view.LiveProbe.write, {"seconds": 0.0, "snapshots": 0}

    def timed_write(self, trainer):             # the view's own time inside the training loop
        t0 = time.perf_counter()
        try:
            return write(self, trainer)
        finally:
            probe["seconds"] += time.perf_counter() - t0
            probe["snapshots"] += 1

    live_view.LiveProbe.write = timed_write
    cfg = load_config(PRESET, {"train.iterations": iterations, "train.eval_every": 0, "train.eval_samples": 500,
                               "device": "cpu"})
    api.train(cfg, out, progress=False, live={} if live else None)
    print(f"FIT {timed['seconds']:.4f} {timed['iterations']} {probe['seconds']:.4f} {probe['snapshots']}", flush=True)


def _browser():
    from selenium import webdriver

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=webdriver.ChromeService(executable_path=shutil.which("chromedriver")), options=opts)


def browser_cpu() -> float:
    """CPU seconds used so far by every chromium process (user + system, from /proc)."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if b"chrom" not in Path(f"/proc/{pid}/cmdline").read_bytes():
                continue
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            continue                       # a process that ended meanwhile
    return total


def one(kind: str, iterations: int, work: Path) -> dict:
    out = work / f"{kind}-{time.monotonic_ns()}"
    cmd = [sys.executable, __file__, "--child", str(out), "--iterations", str(iterations)] + (
        ["--live"] if kind in ("live", "page") else [])
    browser = None
    if kind in ("blank", "page"):          # a browser already running, as a user's is: its start-up is not timed
        browser = _browser()
        browser.get("about:blank")
        time.sleep(SETTLE)
    cpu0 = browser_cpu()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        if kind == "page":                 # the page opens when the run says where, before its first iteration
            line = ""
            while "live view at" not in line:
                line = proc.stderr.readline()
                if not line:
                    raise SystemExit(f"the live run ended early: {proc.wait()}")
            browser.get(re.search(r"(http://\S+/)", line).group(1))
        stdout, stderr = proc.communicate(timeout=3600)
        cpu = browser_cpu() - cpu0
    finally:
        if browser is not None:
            if kind == "page":
                shown = browser.execute_script("return +document.getElementById('step').dataset.step || 0")
                print(f"  (the page last showed step {shown})", flush=True)
            browser.quit()
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run failed ({proc.returncode}): {stderr[-1500:]}")
    seconds, its, probe, snaps = next(line.split()[1:] for line in stdout.splitlines() if line.startswith("FIT "))
    shutil.rmtree(out, ignore_errors=True)
    fit = float(seconds)
    return {"its": int(its) / fit, "probe_share": float(probe) / fit, "snapshots": int(snaps),
            "browser_share": (cpu / (fit * (os.cpu_count() or 1))) if browser is not None else 0.0}


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iterations", type=int, default=1500)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--no-page", action="store_true", help="skip the variant with a browser (no chromium here)")
    p.add_argument("--blank", action="store_true", help="add a plain run beside a browser showing an empty page "
                   "(what the browser costs by itself)")
    p.add_argument("--out", type=Path, default=None, help="also write the result as JSON here")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    p.add_argument("--live", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        child(args.child, args.iterations, args.live)
        return 0
    kinds = ["plain", "live"] + ([] if args.no_page else ["page"] + (["blank"] if args.blank else []))
    rates, shares = {k: [] for k in kinds}, {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as work:
        for r in range(args.rounds):
            order = kinds[r % len(kinds):] + kinds[:r % len(kinds)]      # rotated: no kind always runs first
            for k in order:
                got = one(k, args.iterations, Path(work))
                rates[k].append(got["its"])
                shares[k].append((got["probe_share"], got["browser_share"]))
                print(f"round {r}: {k:>5s} {got['its']:7.1f} it/s, snapshots {got['snapshots']} taking "
                      f"{got['probe_share']:.2%} of the loop, browser {got['browser_share']:.2%} of the CPUs", flush=True)
    med = {k: statistics.median(v) for k, v in rates.items()}
    paired = {k: [a / b for a, b in zip(rates[k], rates["plain"])] for k in kinds if k != "plain"}
    result = {"preset": PRESET, "iterations": args.iterations, "rounds": args.rounds,
              "its": rates, **{f"{k}_its": med[k] for k in kinds},
              **{f"{k}_ratio": statistics.median(v) for k, v in paired.items()},
              **{f"{k}_ratio_range": f"{min(v):.3f}-{max(v):.3f}" for k, v in paired.items()},
              **{f"{k}_probe_share": statistics.median(a for a, _ in shares[k]) for k in ("live", "page") if k in kinds},
              **{f"{k}_browser_share": statistics.median(b for _, b in shares[k]) for k in ("page", "blank") if k in kinds}}
    if "page" in kinds:                    # the accounted cost: the view's time in the loop plus the browser's CPU
        result["page_accounted_ratio"] = 1 - result["page_probe_share"] - result["page_browser_share"]
    print("RESULT " + " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                               for k, v in result.items() if k != "its"))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
