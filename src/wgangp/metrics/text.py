"""Character n-gram statistics of generated text against real text: the language model's
evaluation in the paper's code (``gan_language.py`` reports the Jensen-Shannon divergence between
the character n-gram distributions of samples and of the corpus, n = 1..4).

``js_divergence(real, fake, n)``: JS divergence in bits (0 = same distribution, 1 = disjoint)
between the empirical distributions of the n-grams of the two sets of strings (each string padded
to its own n-grams; n-grams counted over all strings). Computed exactly over the union of the
n-grams seen.
"""
from __future__ import annotations

import collections
import math


def ngram_counts(lines: list[str], n: int) -> collections.Counter:
    """How often every character n-gram occurs in ``lines`` (within lines, not across them)."""
    counts: collections.Counter = collections.Counter()
    for line in lines:
        for i in range(len(line) - n + 1):
            counts[line[i:i + n]] += 1
    return counts


def js_divergence(real: list[str], fake: list[str], n: int) -> float:
    """JS divergence (bits) of the n-gram distributions; 1.0 when either side has no n-gram."""
    p, q = ngram_counts(real, n), ngram_counts(fake, n)
    tp, tq = sum(p.values()), sum(q.values())
    if not tp or not tq:
        return 1.0
    js = 0.0
    for g in p.keys() | q.keys():
        a, b = p.get(g, 0) / tp, q.get(g, 0) / tq
        m = 0.5 * (a + b)
        if a:
            js += 0.5 * a * math.log2(a / m)
        if b:
            js += 0.5 * b * math.log2(b / m)
    return max(0.0, min(1.0, js))


def text_metrics(real: list[str], fake: list[str], max_n: int = 4, corpus: list[str] | None = None) -> dict:
    """``{"js1": ..., ..., "js4": ..., "unique": share of distinct samples, "copied": share of
    samples that are lines of ``corpus`` (default ``real``)}``."""
    out = {f"js{n}": js_divergence(real, fake, n) for n in range(1, max_n + 1)}
    seen = set(real if corpus is None else corpus)
    out["unique"] = len(set(fake)) / max(len(fake), 1)
    out["copied"] = sum(s in seen for s in fake) / max(len(fake), 1)
    return out
