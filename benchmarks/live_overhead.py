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
    # ends with: RESULT plain_its=... live_its=... page_its=... live_ratio=... page_ratio=...
"""
from __future__ import annotations

import argparse
import json
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
    cfg = load_config(PRESET, {"train.iterations": iterations, "train.eval_every": 0, "train.eval_samples": 500,
                               "device": "cpu"})
    api.train(cfg, out, progress=False, live={} if live else None)
    print(f"FIT {timed['seconds']:.4f} {timed['iterations']}", flush=True)


def _browser():
    from selenium import webdriver

    opts = webdriver.ChromeOptions()
    opts.binary_location = shutil.which("chromium") or shutil.which("chromium-browser")
    for arg in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu"):
        opts.add_argument(arg)
    return webdriver.Chrome(service=webdriver.ChromeService(executable_path=shutil.which("chromedriver")), options=opts)


def one(kind: str, iterations: int, work: Path) -> float:
    out = work / f"{kind}-{time.monotonic_ns()}"
    cmd = [sys.executable, __file__, "--child", str(out), "--iterations", str(iterations)] + (
        ["--live"] if kind in ("live", "page") else [])
    browser = None
    if kind in ("blank", "page"):          # a browser already running, as a user's is: its start-up is not timed
        browser = _browser()
        browser.get("about:blank")
        time.sleep(SETTLE)
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
    finally:
        if browser is not None:
            if kind == "page":
                shown = browser.execute_script("return +document.getElementById('step').dataset.step || 0")
                print(f"  (the page last showed step {shown})", flush=True)
            browser.quit()
    if proc.returncode != 0:
        raise SystemExit(f"{kind} run failed ({proc.returncode}): {stderr[-1500:]}")
    seconds, its = next(line.split()[1:] for line in stdout.splitlines() if line.startswith("FIT "))
    shutil.rmtree(out, ignore_errors=True)
    return int(its) / float(seconds)


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
    rates = {k: [] for k in kinds}
    with tempfile.TemporaryDirectory() as work:
        for r in range(args.rounds):
            order = kinds[r % len(kinds):] + kinds[:r % len(kinds)]      # rotated: no kind always runs first
            for k in order:
                rates[k].append(one(k, args.iterations, Path(work)))
                print(f"round {r}: {k:>5s} {rates[k][-1]:7.1f} it/s", flush=True)
    med = {k: statistics.median(v) for k, v in rates.items()}
    paired = {k: [a / b for a, b in zip(rates[k], rates["plain"])] for k in kinds if k != "plain"}
    result = {"preset": PRESET, "iterations": args.iterations, "rounds": args.rounds,
              "its": rates, **{f"{k}_its": med[k] for k in kinds},
              **{f"{k}_ratio": statistics.median(v) for k, v in paired.items()},
              **{f"{k}_ratio_range": f"{min(v):.3f}-{max(v):.3f}" for k, v in paired.items()}}
    print("RESULT " + " ".join(f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
                               for k, v in result.items() if k != "its"))
    if args.out:
        args.out.write_text(json.dumps(result, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
