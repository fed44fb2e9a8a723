"""Critic layers: activations whose double backward is written out, and the minibatch standard
deviation (:class:`MinibatchStd`).

The gradient penalty differentiates the critic's input-gradient once more (double backward).
For ``y = relu(x)`` torch's backward is ``g * (x > 0)``, and torch's derivative of *that* with
respect to ``x`` is an explicit zero tensor which autograd then propagates through every layer
below (real matrix products on zeros). Here the backward applies the same kernel to a detached
output, so autograd records a derivative in the incoming gradient only and the zero branch is never
built. A second source of zeros: in the double backward, a convolution's input-gradient node hands
its input an *undefined* gradient (the input-gradient does not depend on the input); a Python
``autograd.Function`` would turn that into a zero tensor (``materialize_grads``) and send it through
the forward graph below (a full convolution backward on zeros per layer, ~7% of an mnist-dcgan
iteration). These functions do not materialise it and pass nothing on. Forward values and every
gradient are unchanged
(tests/nets/test_layers.py checks first and second order against ``torch.relu``).
"""
from __future__ import annotations

import torch
from torch import nn


class _ReLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        y = torch.relu(x)
        ctx.save_for_backward(y)       # the next layer keeps y anyway: no extra memory
        ctx.set_materialize_grads(False)
        return y

    @staticmethod
    def backward(ctx, grad):
        if grad is None:               # nothing flows here (see the module docstring): pass nothing on
            return None
        (y,) = ctx.saved_tensors
        # torch's own fused kernel (grad where y > 0, else 0), applied to a *detached* y: autograd
        # records its derivative in `grad` only (the same kernel again), never the zero branch in y.
        return torch.ops.aten.threshold_backward(grad, y.detach(), 0)


class _LeakyReLUFunction(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x, slope):
        y = torch.nn.functional.leaky_relu(x, slope)
        ctx.save_for_backward(y)
        ctx.slope = slope
        ctx.set_materialize_grads(False)
        return y

    @staticmethod
    def backward(ctx, grad):
        if grad is None:
            return None, None
        (y,) = ctx.saved_tensors
        # sign(y) = sign(x) for slope > 0; same kernel as torch, on a detached output (see above).
        return torch.ops.aten.leaky_relu_backward(grad, y.detach(), ctx.slope, True), None


class LeakyReLU(nn.Module):
    """Drop-in ``nn.LeakyReLU`` (slope > 0) with a lean double backward."""

    def __init__(self, negative_slope: float = 0.2):
        super().__init__()
        if negative_slope <= 0:
            raise ValueError("negative_slope must be > 0")
        self.negative_slope = negative_slope

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _LeakyReLUFunction.apply(x, self.negative_slope)


class ReLU(nn.Module):
    """Drop-in ``nn.ReLU`` with a lean double backward (for critics under a gradient penalty)."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _ReLUFunction.apply(x)


def activation(name: str, leaky: float = 0.0) -> nn.Module:
    """``relu`` (lean double backward) or ``relu-native`` (torch's); ``leaky > 0`` gives the leaky variant."""
    if name == "relu":
        return LeakyReLU(leaky) if leaky else ReLU()
    if name == "relu-native":
        return nn.LeakyReLU(leaky) if leaky else nn.ReLU()
    raise ValueError(f"unknown activation {name!r}")


class MinibatchStd(nn.Module):
    """The minibatch standard deviation feature of Progressive GAN (Karras et al. 2018, which trained it
    under the WGAN-GP loss): the batch is split into groups of ``group`` samples; for each group, the
    standard deviation of every feature over the group's samples, averaged over features and positions,
    is appended to each of its samples as one constant channel. ``(N, C, *S) -> (N, C + 1, *S)``.

    A generator that gives every noise vector nearly the same series (mode collapse) makes this channel
    lower than real batches do, so the critic can tell; without it, a critic that sees one sample at a
    time cannot. The group is the largest divisor of ``N`` not above ``group`` (a batch of 1: the
    channel is 0). Each output depends on the other samples of its group, the gradient penalty
    included, as in Progressive GAN.
    """

    def __init__(self, group: int = 4):
        super().__init__()
        if group < 2:
            raise ValueError(f"a minibatch-std group needs 2 or more samples, got {group}")
        self.group = group

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        n = x.shape[0]
        g = max(d for d in range(1, min(self.group, n) + 1) if n % d == 0)
        y = x.reshape(g, n // g, *x.shape[1:])                          # (G, N/G, C, *S): group members on dim 0
        std = (y.var(dim=0, unbiased=False) + 1e-8).sqrt()             # (N/G, C, *S)
        std = std.flatten(1).mean(dim=1)                               # (N/G,)
        feat = std.repeat(g).view(n, 1, *([1] * (x.dim() - 2))).expand(n, 1, *x.shape[2:])
        return torch.cat([x, feat], dim=1)
