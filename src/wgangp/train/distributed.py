"""Many processes through torchrun: ``torchrun --nproc_per_node=K -m wgangp train ...``.

torchrun sets ``RANK``, ``WORLD_SIZE`` and ``LOCAL_RANK``; :func:`from_env` reads them and joins
the process group (NCCL on CUDA, gloo on the CPU). Each rank draws its own data shard and noise;
the critic and generator are wrapped in DistributedDataParallel, so one ordinary ``backward`` of
the loss (penalty included: its ``autograd.grad(create_graph=True)`` runs inside each process)
averages parameter gradients across ranks. Rank 0 alone writes checkpoints, logs and pictures.
"""
from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import timedelta

import torch
import torch.distributed as dist

from wgangp.errors import UserError


@dataclass(frozen=True)
class DistInfo:
    rank: int
    world: int
    local_rank: int

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def from_env(device_name: str) -> DistInfo | None:
    """Join the torchrun process group when ``WORLD_SIZE > 1``; None for a single process."""
    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1:
        return None
    info = DistInfo(int(os.environ.get("RANK", "0")), world, int(os.environ.get("LOCAL_RANK", "0")))
    if not dist.is_initialized():
        use_cuda = device_name != "cpu" and torch.cuda.is_available()
        if use_cuda:
            torch.cuda.set_device(info.local_rank)
        try:      # long timeout: rank 0 may evaluate (FID) while the others wait at the next collective
            dist.init_process_group("nccl" if use_cuda else "gloo", timeout=timedelta(hours=2))
        except (RuntimeError, ValueError) as e:
            raise UserError(f"cannot join the torchrun process group ({str(e).splitlines()[0]}); "
                            "start with: torchrun --nproc_per_node=K -m wgangp train ...") from None
    return info


def device_for(info: DistInfo | None, device: torch.device) -> torch.device:
    """The device of this rank: ``cuda:LOCAL_RANK`` when training on CUDA."""
    if info is not None and device.type == "cuda":
        return torch.device("cuda", info.local_rank)
    return device


def wrap(module: torch.nn.Module, device: torch.device):
    """DistributedDataParallel around ``module`` (rank 0's weights broadcast at construction)."""
    from torch.nn.parallel import DistributedDataParallel as DDP

    return DDP(module, device_ids=[device.index] if device.type == "cuda" else None)


def mean_(t: torch.Tensor) -> torch.Tensor:
    """All-reduce ``t`` in place to its mean over ranks."""
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return t.div_(dist.get_world_size())


def any_of(flags: tuple[bool, ...], device: torch.device) -> tuple[bool, ...]:
    """For each flag: true on every rank if it is true on any (a stop signal, a failure); one all-reduce."""
    t = torch.tensor([1.0 if f else 0.0 for f in flags], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return tuple(bool(v) for v in t.tolist())


def parameters_agree(*modules: torch.nn.Module) -> bool:
    """Whether every rank holds bit-identical parameters (compared through rank 0's copy)."""
    flat = torch.cat([p.detach().reshape(-1).float() for m in modules for p in m.parameters()])
    ref = flat.clone()
    dist.broadcast(ref, src=0)
    same = torch.tensor([1.0 if torch.equal(flat, ref) else 0.0], device=flat.device)
    dist.all_reduce(same, op=dist.ReduceOp.MIN)
    return bool(same.item())


def barrier() -> None:
    if dist.is_initialized():
        dist.barrier()
