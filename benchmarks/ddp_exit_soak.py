"""Soak of the two-process gloo test's worker: how often does a rank abort at exit? (session 40's CI failure)

Runs ``tests/train/test_distributed.py``'s ``_worker`` (2 processes, one thread each, 3 iterations
of a small toy run) N times and prints how many runs ended with a failed rank. A rank that leaves
the process group while DDP wrappers still hold Gloo work aborts at interpreter exit ("terminate
called without an active exception"); before the worker freed its trainer first, 2 of 20 did.

    python benchmarks/ddp_exit_soak.py 40
    python benchmarks/ddp_exit_soak.py 20 --error   # rank 0's evaluation raises (the test's _failing_worker)

``--error``: the worker of ``test_an_error_in_rank_0s_evaluation_stops_every_rank_promptly`` instead:
rank 0's evaluation raises, rank 1 stops on the failure, and both catch the exception and write it;
a run counts as failed when a rank's exit status is not 0 (SIGABRT at exit: -6).
"""
import sys
import tempfile
from pathlib import Path

import torch.multiprocessing as mp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.train.test_distributed import WORLD, _failing_worker, _free_port, _worker  # noqa: E402


def _error_run(out: str) -> list[int]:
    """The exit statuses of the ranks of one job whose rank-0 evaluation raises."""
    ctx = mp.get_context("spawn")
    port = _free_port()
    procs = [ctx.Process(target=_failing_worker, args=(r, port, str(Path(out) / "run"), out)) for r in range(WORLD)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
        if p.is_alive():
            p.kill()
            p.join()
    return [p.exitcode for p in procs]


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--error"]
    n, failed, error = int(args[0]) if args else 20, 0, "--error" in sys.argv
    for i in range(n):
        with tempfile.TemporaryDirectory() as out:
            if error:
                codes = _error_run(out)
                if any(codes):
                    failed += 1
                    print(f"run {i}: exit statuses {codes}", flush=True)
                continue
            try:
                mp.spawn(_worker, args=(_free_port(), out), nprocs=WORLD, join=True)
            except Exception as e:          # noqa: BLE001 (a failed rank is what this counts)
                failed += 1
                print(f"run {i}: {type(e).__name__}: {e}", flush=True)
    print(f"{failed} of {n} runs had a failed rank" + (" (rank 0's evaluation raising)" if error else ""))
