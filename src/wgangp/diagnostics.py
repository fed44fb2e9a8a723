"""Critic diagnostics of the paper's Section 3 / Figure 1: per-layer gradient norms and weight
statistics (how far weight clipping pushes weights to the two ends of its range).

Pure functions of a critic and a batch; the training loop logs them every ``train.diag_every``
iterations (``metrics.jsonl`` rows of kind ``diag``, TensorBoard scalars and weight histograms) and
:mod:`wgangp.viz.diagnostics` draws them. Layers are the critic's weight tensors (parameters of
two or more dimensions: linear and convolution weights), in the order the critic declares them,
i.e. from the input to the output.
"""
from __future__ import annotations

import torch
from torch import nn

from wgangp import objectives

# a clipped weight counts as "at the bound" when |w| >= (1 - AT_CLIP_RTOL) * c
AT_CLIP_RTOL = 1e-3


def weight_layers(module: nn.Module) -> list[tuple[str, torch.Tensor]]:
    """``[(name, weight)]`` of every parameter with two or more dimensions, input side first."""
    return [(name, p) for name, p in module.named_parameters() if p.dim() >= 2]


def critic_report(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, loss: str,
                  clip_value: float | None = None, labels: torch.Tensor | None = None,
                  projection: bool = False) -> dict[str, float]:
    """Per-layer statistics of ``critic`` on one batch, as ``{"grad_norm/<layer>": ..., ...}``.

    * ``grad_norm/<layer>``: L2 norm of the gradient of the critic's adversarial term
      (:func:`wgangp.objectives.critic_gradients`, no penalty) w.r.t. that weight tensor;
      ``grad_norm/all``: over every critic parameter.
    * ``weight_std/<layer>``, ``weight_absmax/<layer>``: spread and largest magnitude of the weights.
    * ``at_clip/<layer>`` (only with ``clip_value``): fraction of the weights at ``±clip_value``;
      ``at_clip/all`` over every critic parameter.

    ``real``, ``fake``: ``(N, ...)`` batches; ``labels``: their classes (conditional critics).
    """
    names = [name for name, _ in critic.named_parameters()]
    grads = objectives.critic_gradients(critic, real, fake, loss, labels=labels, projection=projection)
    grads = {n: (g if g is not None else torch.zeros_like(p)) for n, g, p in zip(names, grads, critic.parameters())}
    row: dict[str, float] = {}
    total = torch.zeros((), device=real.device, dtype=torch.float64)
    for name, g in grads.items():
        total += g.double().square().sum()
    row["grad_norm/all"] = float(total.sqrt())
    for name, w in weight_layers(critic):
        row[f"grad_norm/{name}"] = float(torch.linalg.vector_norm(grads[name].double()))
        row[f"weight_std/{name}"] = float(w.detach().double().std())
        row[f"weight_absmax/{name}"] = float(w.detach().abs().max())
    if clip_value is not None:
        bound = (1.0 - AT_CLIP_RTOL) * clip_value
        at, n = 0, 0
        for name, w in critic.named_parameters():
            hits = int((w.detach().abs() >= bound).sum())
            at, n = at + hits, n + w.numel()
            if w.dim() >= 2:
                row[f"at_clip/{name}"] = hits / w.numel()
        row["at_clip/all"] = at / max(n, 1)
    return row


def layer_series(rows: list[dict], stat: str = "grad_norm") -> tuple[list[str], list[int], list[list[float]]]:
    """From ``diag`` rows of a run's metrics: ``(layer names, steps, values[step][layer])`` of one
    statistic, layers in the critic's order (the ``all`` summary left out)."""
    diag = [r for r in rows if r.get("kind") == "diag"]
    if not diag:
        return [], [], []
    prefix = f"{stat}/"
    layers = [k[len(prefix):] for k in diag[-1] if k.startswith(prefix) and k != f"{prefix}all"]
    steps = [int(r["step"]) for r in diag]
    values = [[float(r.get(prefix + name, float("nan"))) for name in layers] for r in diag]
    return layers, steps, values
