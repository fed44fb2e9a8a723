"""Optimisers of the two networks, and their checkpoint form (the same with or without CUDA graphs)."""
from __future__ import annotations

import torch


def make_optimizer(optim_cfg, params, lr: float, device: torch.device, static: bool) -> torch.optim.Optimizer:
    """Fused Adam (foreach RMSprop). ``static`` (train.cuda_graphs): graph-safe (``capturable``) with
    the learning rate as a device tensor that the schedule writes into; RMSprop is capturable on
    CUDA only, so on other devices it keeps a float learning rate."""
    if optim_cfg.name == "rmsprop":
        graph_safe = static and device.type == "cuda"
        return torch.optim.RMSprop(params, lr=torch.tensor(lr, device=device) if graph_safe else lr, foreach=True,
                                   capturable=graph_safe)
    return torch.optim.Adam(params, lr=torch.tensor(lr, device=device) if static else lr, betas=optim_cfg.betas,
                            fused=True, capturable=static)


def portable_state(opt_state: dict) -> dict:
    """An optimiser state for checkpoints, the same with or without train.cuda_graphs: float
    learning rates, not capturable (:func:`load_state` restores the running optimiser's own)."""
    for group in opt_state["param_groups"]:
        group["lr"] = float(group["lr"])
        group["capturable"] = False
    return opt_state


def load_state(opt: torch.optim.Optimizer, state: dict, device: torch.device) -> None:
    """Load ``state`` keeping ``opt``'s own graph-safety settings (capturable, a tensor learning rate)."""
    keep = [(group.get("capturable", False), isinstance(group["lr"], torch.Tensor)) for group in opt.param_groups]
    opt.load_state_dict(state)
    for group, (capturable, tensor_lr) in zip(opt.param_groups, keep):
        group["capturable"] = capturable
        if tensor_lr:
            group["lr"] = torch.tensor(float(group["lr"]), device=device)
    if any(capturable for capturable, _ in keep):   # a capturable optimiser keeps its step counts on the device
        for st in opt.state.values():
            if isinstance(st.get("step"), torch.Tensor):
                st["step"] = st["step"].to(device, torch.float32)


def set_lr(opt: torch.optim.Optimizer, lr: float) -> None:
    """Every group's learning rate to ``lr`` (written into the tensor a captured graph reads)."""
    for group in opt.param_groups:
        if isinstance(group["lr"], torch.Tensor):
            group["lr"].fill_(lr)
        else:
            group["lr"] = lr
