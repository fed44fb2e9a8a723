"""Metrics that several kinds of vector data share (registered once, imported by their domains)."""
from __future__ import annotations

from wgangp.metrics.registry import register_metric


@register_metric("w1", domains=("points", "images", "signals"), best={"w1": "min"},
                 description="exact Wasserstein-1 (earth mover's) distance between the flattened samples and as many "
                             "fresh real ones (POT; memory grows as n^2)")
def exact_w1(ctx) -> dict:
    from wgangp.metrics.toy import w1_distance

    return {"n_samples": ctx.n, "w1": w1_distance(ctx.samples().flatten(1), ctx.reference().flatten(1))}
