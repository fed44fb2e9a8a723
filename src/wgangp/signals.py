"""Runs on 1-D signals: generated signals against real ones (:mod:`wgangp.metrics.signals`)."""
from __future__ import annotations

import torch

from wgangp.data import build_source
from wgangp.metrics.signals import class_agreement, spectrum_distance


def evaluate_signals(run, samples: torch.Tensor, reference: torch.Tensor, n: int, seed: int) -> dict:
    """``spectrum_distance`` of ``samples`` to ``reference`` (both scaled ``(n, C, L)``) and, for a
    conditional run, ``class_agreement`` of ``n`` class-balanced samples with a classifier trained
    on the real signals (read again)."""
    out = {"spectrum_distance": spectrum_distance(reference, samples)}
    if run.n_classes:
        source = build_source(run.config.data, run.config.seed)
        labels = run.class_labels(n)
        fake = run.sample(n, seed=seed, classes=labels.tolist())
        out["class_agreement"] = class_agreement(source.points, source.labels, fake, labels, seed=seed)
    return out
