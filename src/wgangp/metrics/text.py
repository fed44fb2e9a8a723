"""Character n-gram statistics of generated text against real text: the language model's
evaluation in the paper's code (``gan_language.py`` reports the Jensen-Shannon divergence between
the character n-gram distributions of samples and of the corpus, n = 1..4).

``js_divergence(real, fake, n)``: JS divergence in bits (0 = same distribution, 1 = disjoint)
between the empirical distributions of the n-grams of the two sets of strings (each string padded
to its own n-grams; n-grams counted over all strings). Computed exactly over the union of the
n-grams seen.

``word_share(corpus, fake, seq_len)``: the share of the samples' space-separated tokens that are
words of the corpus (the issue's "reads like words" figure). Lines are cut at ``seq_len``
characters, so a line's last token is left out on both sides when the line fills every position
(it may be a cut word).
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


def whole_tokens(line: str, seq_len: int | None) -> list[str]:
    """The space-separated tokens of ``line``, less the last one when the line fills ``seq_len``."""
    tokens = line.split()
    return tokens[:-1] if seq_len is not None and len(line) >= seq_len else tokens


def word_share(corpus: list[str], fake: list[str], seq_len: int | None = None) -> float:
    """Share of the whole tokens of ``fake`` that are whole tokens of some ``corpus`` line (0 when
    the samples hold no token)."""
    words = {t for line in corpus for t in whole_tokens(line, seq_len)}
    tokens = [t for line in fake for t in whole_tokens(line, seq_len)]
    return sum(t in words for t in tokens) / len(tokens) if tokens else 0.0


def text_metrics(real: list[str], fake: list[str], max_n: int = 4, corpus: list[str] | None = None,
                 seq_len: int | None = None) -> dict:
    """``{"js1": ..., ..., "js4": ..., "unique": share of distinct samples, "copied": share of
    samples that are lines of ``corpus`` (default ``real``), "words": :func:`word_share`}``."""
    out = {f"js{n}": js_divergence(real, fake, n) for n in range(1, max_n + 1)}
    corpus = real if corpus is None else corpus
    seen = set(corpus)
    out["words"] = word_share(corpus, fake, seq_len)
    out["unique"] = len(set(fake)) / max(len(fake), 1)
    out["copied"] = sum(s in seen for s in fake) / max(len(fake), 1)
    return out
