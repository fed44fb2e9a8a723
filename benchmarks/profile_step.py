"""Where a generator iteration's time goes: torch.profiler over a few wgangp iterations.

    python benchmarks/profile_step.py --preset mnist-dcgan --iters 5 --set data.path=../shared/data/mnist.npz

Prints the top operators by self CPU time (CUDA time too on a GPU) and the share of the total.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile

from wgangp.config import load_config
from wgangp.run import build_trainer


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="toy-25gaussians")
    p.add_argument("--device", default="cpu")
    p.add_argument("--iters", type=int, default=5)
    p.add_argument("--top", type=int, default=15)
    p.add_argument("--set", dest="overrides", action="append", default=[])
    args = p.parse_args(argv)
    cfg = load_config(args.preset, [f"device={args.device}", *args.overrides])
    tr = build_trainer(cfg)
    tr.iteration()                                   # warm-up
    activities = [ProfilerActivity.CPU] + ([ProfilerActivity.CUDA] if tr.device.type == "cuda" else [])
    with profile(activities=activities) as prof:
        for _ in range(args.iters):
            tr.iteration()
        if tr.device.type == "cuda":
            torch.cuda.synchronize()
    key = "self_cuda_time_total" if tr.device.type == "cuda" else "self_cpu_time_total"
    events = prof.key_averages()
    total = sum(getattr(e, key) for e in events)
    print(f"# {args.preset} on {tr.device}, {args.iters} generator iterations, {torch.get_num_threads()} threads")
    for e in sorted(events, key=lambda e: getattr(e, key), reverse=True)[:args.top]:
        print(f"{e.key:<45} {getattr(e, key) / 1e3:10.1f} ms  {100 * getattr(e, key) / total:5.1f}%  calls {e.count}")


if __name__ == "__main__":
    from wgangp.errors import UserError

    try:
        main()
    except UserError as e:              # a bad --set or a setting this device cannot run: one line
        sys.exit(f"{Path(__file__).name}: error: {e}")
