"""What one live-view snapshot of a toy run costs, outside the training loop: a short
``toy-25gaussians-fast`` run with ``--live``, then ``LiveProbe.write`` timed N times on its
trainer (the panels of ``domains/points/live.py``, the JSON, the atomic file write).

    python benchmarks/live_snapshot.py [--repeats 30]
    # ends with: RESULT preset=... ms_per_snapshot=... bytes=...
"""
from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

PRESET = "toy-25gaussians-fast"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--repeats", type=int, default=30)
    args = p.parse_args(argv)
    from wgangp import api
    from wgangp.config import load_config
    from wgangp.viz import live

    held, write = {}, live.LiveProbe.write

    def keep(self, trainer):
        held.update(probe=self, trainer=trainer)
        return write(self, trainer)

    live.LiveProbe.write = keep
    cfg = load_config(PRESET, {"train.iterations": 5, "train.eval_every": 0, "train.eval_samples": 200, "device": "cpu"})
    with tempfile.TemporaryDirectory() as work:
        api.train(cfg, Path(work) / "r", progress=False, live={})
        probe, trainer = held["probe"], held["trainer"]
        write(probe, trainer)                               # warm
        times = []
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            write(probe, trainer)
            times.append(time.perf_counter() - t0)
        size = probe.path.stat().st_size
    print(f"RESULT preset={PRESET} ms_per_snapshot={1000 * statistics.median(times):.2f} "
          f"min={1000 * min(times):.2f} max={1000 * max(times):.2f} bytes={size}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
