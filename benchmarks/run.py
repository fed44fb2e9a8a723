"""Generator iterations/s of the wgangp trainer against a plain textbook loop, in the same run.

    python benchmarks/run.py --preset toy-25gaussians --device cpu [--iters N] [--rounds R]

Both loops run the same networks, data and maths; they alternate in R rounds (so drift in machine
speed hits both) and each round's rate is measured after a warm-up. Prints one line per round and
ends with ``RESULT preset=P device=D wgangp_its=X plain_its=Y ratio=Z peak_mem_mb=M`` (CUDA: peak
allocated by torch; CPU: the process's peak resident set, both loops together). The line before it
gives FLOPs per generator iteration (torch's FlopCounterMode, which counts the double backward) and
the achieved FLOP/s of each loop.
"""
from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plain_loop import PlainWGANGP  # noqa: E402

from wgangp.config import load_config  # noqa: E402
from wgangp.run import build_trainer  # noqa: E402
from wgangp.train.step import resolve_device  # noqa: E402


def _sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def _rate(step, iters: int, device) -> float:
    _sync(device)
    t0 = time.perf_counter()
    for _ in range(iters):
        step()
    _sync(device)
    return iters / (time.perf_counter() - t0)


# PyTorch's own defaults: what a textbook loop runs under unless it sets them (matmuls in full fp32,
# cuDNN convolutions allowed TF32, no cuDNN autotuning)
TORCH_DEFAULTS = {"matmul_tf32": False, "cudnn_tf32": True, "cudnn_benchmark": False}


@contextlib.contextmanager
def torch_defaults():
    """Run the plain loop under PyTorch's default backend flags, whatever the Trainer set for its own
    steps (the flags are process-wide), and restore ours afterwards."""
    b = torch.backends
    ours = {"matmul_tf32": b.cuda.matmul.allow_tf32, "cudnn_tf32": b.cudnn.allow_tf32,
            "cudnn_benchmark": b.cudnn.benchmark}

    def put(flags):
        b.cuda.matmul.allow_tf32, b.cudnn.allow_tf32 = flags["matmul_tf32"], flags["cudnn_tf32"]
        b.cudnn.benchmark = flags["cudnn_benchmark"]

    put(TORCH_DEFAULTS)
    try:
        yield
    finally:
        put(ours)


def _plain(step):
    def run():
        with torch_defaults():
            step()
    return run


class _NoModuleTracker:
    """Stands in for FlopCounterMode's per-module tracker, whose hooks refuse autograd.grad on a
    leaf input (the penalty's x^); everything is then counted under "Global"."""
    parents = {"Global"}

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def flops_per_iteration(step) -> int:
    """FLOPs of one call of ``step`` (matmuls and convolutions, double backward included)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    counter.mod_tracker = _NoModuleTracker()
    with counter:
        step()
    return counter.get_total_flops()


def _peak_mem_mb(device) -> float:
    if device.type == "cuda":
        return torch.cuda.max_memory_allocated(device) / 2**20
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024      # Linux: KiB -> MiB, whole process


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="toy-25gaussians")
    p.add_argument("--device", default="cpu")
    p.add_argument("--iters", type=int, default=100)
    p.add_argument("--warmup", type=int, default=10)
    p.add_argument("--rounds", type=int, default=3)
    p.add_argument("--set", dest="overrides", action="append", default=[])
    args = p.parse_args(argv)
    cfg = load_config(args.preset, [f"device={args.device}", *args.overrides])
    device = resolve_device(cfg.device)
    ours, plain = build_trainer(cfg), PlainWGANGP(cfg, device)
    plain_step = _plain(plain.iteration)      # PyTorch's default flags; ours: what train.tf32 etc. set
    for _ in range(args.warmup):
        ours.iteration()
        plain_step()
    # FLOPs are the maths, the same compiled or not: with train.compile or train.cuda_graphs they are
    # counted on an eager twin (FlopCounterMode's dispatch hooks see neither inside a compiled graph
    # nor inside a CUDA graph replay)
    counted = ours if cfg.train.compile == "none" and not cfg.train.cuda_graphs else build_trainer(load_config(
        args.preset, [f"device={args.device}", *args.overrides, "train.compile=none", "train.cuda_graphs=false"]))
    flops = {"wgangp": flops_per_iteration(counted.iteration), "plain": flops_per_iteration(plain_step)}
    del counted
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats(device)
    rates = {"wgangp": [], "plain": []}
    print(f"# {args.preset} on {device} ({torch.get_num_threads()} threads), torch {torch.__version__}, "
          f"{args.iters} generator iterations per round, train.compile={cfg.train.compile}, "
          f"train.cuda_graphs={cfg.train.cuda_graphs}")
    for r in range(args.rounds):
        rates["plain"].append(_rate(plain_step, args.iters, device))
        rates["wgangp"].append(_rate(ours.iteration, args.iters, device))
        print(f"round {r}: wgangp {rates['wgangp'][-1]:.3g} it/s, plain {rates['plain'][-1]:.3g} it/s, "
              f"ratio {rates['wgangp'][-1] / rates['plain'][-1]:.3f}")
    ours.drain_stats()   # drain the on-device statistics (one sync, outside the timed rounds)
    w, pl = statistics.median(rates["wgangp"]), statistics.median(rates["plain"])
    peak = _peak_mem_mb(device)
    print(f"FLOPS per generator iteration: wgangp {flops['wgangp'] / 1e9:.3f} GFLOP, plain {flops['plain'] / 1e9:.3f} "
          f"GFLOP; achieved: wgangp {flops['wgangp'] * w / 1e9:.1f} GFLOP/s, plain {flops['plain'] * pl / 1e9:.1f} GFLOP/s")
    print(f"RESULT preset={args.preset} device={device.type} wgangp_its={w:.4g} plain_its={pl:.4g} "
          f"ratio={w / pl:.3f} peak_mem_mb={peak:.0f}")


if __name__ == "__main__":
    from wgangp.errors import UserError

    try:
        main()
    except UserError as e:              # a bad --set or a setting this device cannot run: one line
        sys.exit(f"{Path(__file__).name}: error: {e}")
