"""Soak of the two-process gloo test's worker: how often does a rank abort at exit? (session 40's CI failure)

Runs ``tests/train/test_distributed.py``'s ``_worker`` (2 processes, one thread each, 3 iterations
of a small toy run) N times and prints how many runs ended with a failed rank. A rank that leaves
the process group while DDP wrappers still hold Gloo work aborts at interpreter exit ("terminate
called without an active exception"); before the worker freed its trainer first, 2 of 20 did.

    python benchmarks/ddp_exit_soak.py 40
"""
import sys
import tempfile
from pathlib import Path

import torch.multiprocessing as mp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.train.test_distributed import WORLD, _free_port, _worker  # noqa: E402

if __name__ == "__main__":
    n, failed = int(sys.argv[1]) if len(sys.argv) > 1 else 20, 0
    for i in range(n):
        with tempfile.TemporaryDirectory() as out:
            try:
                mp.spawn(_worker, args=(_free_port(), out), nprocs=WORLD, join=True)
            except Exception as e:          # noqa: BLE001 (a failed rank is what this counts)
                failed += 1
                print(f"run {i}: {type(e).__name__}: {e}", flush=True)
    print(f"{failed} of {n} runs had a failed rank")
