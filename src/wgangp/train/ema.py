"""Exponential moving average of generator weights (used for sampling and evaluation)."""
from __future__ import annotations

import copy

import torch
from torch import nn


class EMA:
    """Holds ``model_ema = decay * model_ema + (1 - decay) * model`` after every ``update``."""

    def __init__(self, model: nn.Module, decay: float):
        self.decay = decay
        self.model = copy.deepcopy(model).eval().requires_grad_(False)
        self._dst = list(self.model.parameters())
        self._bufs = list(self.model.buffers())

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        torch._foreach_lerp_(self._dst, list(model.parameters()), 1.0 - self.decay)
        for dst, src in zip(self._bufs, model.buffers()):
            dst.copy_(src)

    def state_dict(self) -> dict:
        return self.model.state_dict()

    def load_state_dict(self, state: dict) -> None:
        self.model.load_state_dict(state)
