"""Runs on text: generated lines against corpus lines (:mod:`wgangp.metrics.text`)."""
from __future__ import annotations

from wgangp.data import build_source
from wgangp.data.text import decode
from wgangp.metrics.text import text_metrics


def evaluate_text(run, n: int, seed: int) -> dict:
    """n-gram JS divergences of ``n`` generated lines against ``n`` corpus lines drawn with
    ``seed + 1``; ``copied`` is checked against the whole corpus. Reads the corpus again."""
    source = build_source(run.config.data, run.config.seed)
    reference = decode(source.fresh(n, seed + 1), run.text["charmap"])
    return text_metrics(reference, run.sample_text(n, seed=seed), corpus=source.lines())
