"""Activations whose double backward is written out.

The gradient penalty differentiates the critic's input-gradient once more (double backward).
For ``y = relu(x)`` torch's backward is ``g * (x > 0)``, and torch's derivative of *that* with
respect to ``x`` is an explicit zero tensor which autograd then propagates through every layer
below (real matrix products on zeros). Here the backward multiplies by a boolean mask that carries
no graph, so the zero branch is never built. Forward values and every gradient are unchanged
(tests/test_layers.py checks first and second order against ``torch.relu``).
"""
from __future__ import annotations

import torch
from torch import nn


class _ReLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = torch.relu(x)
        ctx.save_for_backward(y > 0)   # bool mask: 1 byte per element
        return y

    @staticmethod
    def backward(ctx, grad):
        (mask,) = ctx.saved_tensors
        # Differentiable in `grad` only (mask is a constant): d/dx of relu' is 0 almost everywhere.
        return grad * mask


class ReLU(nn.Module):
    """Drop-in ``nn.ReLU`` with a lean double backward (for critics under a gradient penalty)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ReLUFunction.apply(x)


def activation(name: str) -> nn.Module:
    """``relu`` (lean double backward) or ``relu-native`` (``nn.ReLU``)."""
    if name == "relu":
        return ReLU()
    if name == "relu-native":
        return nn.ReLU()
    raise ValueError(f"unknown activation {name!r}")
