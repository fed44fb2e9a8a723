"""Where a generator iteration's time goes: torch.profiler over a few wgangp iterations.

    python benchmarks/profile_step.py --preset mnist-dcgan --iters 5 --set data.path=../shared/data/mnist.npz

Prints the top operators by self CPU time (CUDA time too on a GPU) and the share of the total,
then the number of aten operators one generator iteration dispatches (what per-call overhead
multiplies on small networks).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from torch.profiler import ProfilerActivity, profile
from torch.utils._python_dispatch import TorchDispatchMode

from wgangp.config import load_config
from wgangp.run import build_trainer


class _CountOps(TorchDispatchMode):
    """Counts every aten operator call dispatched while active."""

    def __init__(self):
        super().__init__()
        self.calls = 0

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        self.calls += 1
        return func(*args, **(kwargs or {}))


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
    with _CountOps() as count:
        tr.iteration()
    print(f"aten operators dispatched in one generator iteration: {count.calls}")


if __name__ == "__main__":
    from wgangp.errors import UserError

    try:
        main()
    except UserError as e:              # a bad --set or a setting this device cannot run: one line
        sys.exit(f"{Path(__file__).name}: error: {e}")
