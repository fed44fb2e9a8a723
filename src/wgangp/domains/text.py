"""Text: the paper's character-level language model (``gan_language.py``).

Data: :mod:`wgangp.data.text` (one-hot ``(vocab, seq_len)`` lines, the built-in Python-docs corpus,
Billion Word). A checkpoint keeps the character map, so samples decode without the corpus.
Metrics: character n-gram JS divergences to corpus lines (:mod:`wgangp.metrics.text`). Samples:
``.txt`` files, one generated line each; ``samples.txt`` beside a finished run.
"""
from __future__ import annotations

from wgangp.data.text import TextSource, decode, write_lines
from wgangp.domains.base import EVAL_SEED, Domain, register_domain
from wgangp.errors import UserError
from wgangp.metrics.registry import register_metric
from wgangp.metrics.text import text_metrics


LIVE_LINES, LIVE_SEED = 16, 20_171_108     # the live view's generated lines


def sample_text(run, n: int, seed: int = 0) -> list[str]:
    """``n`` generated strings of a text run: the most likely character at every position."""
    return decode(run.sample(n, seed=seed), run.domain_state["charmap"])


def _write_txt(run, n: int, path, seed: int, classes) -> str:
    written = write_lines(sample_text(run, n, seed=seed), path)
    return f"wrote {n} lines to {written}"


class Text(Domain):
    name = "text"
    data_names = ("text", "python-docs", "billion-word")
    state_key = "text"
    base_metrics = ("ngram_js",)

    def validate(self, cfg) -> None:
        d = cfg.data
        if d.name in ("text", "billion-word") and not d.path:
            raise UserError(f"data.name={d.name} needs --set data.path=" +
                            ("FILE.txt (one example a line)" if d.name == "text" else "DIR (the corpus folder)"))
        if d.seq_len < 1 or d.max_lines < 0:
            raise UserError("config keys 'data.seq_len' must be >= 1 and 'data.max_lines' >= 0; got "
                            f"{d.seq_len} and {d.max_lines}")

    def build_source(self, data_cfg, seed: int, conditional: bool):
        return TextSource(data_cfg, seed)

    def state(self, source) -> dict:
        return source.text_state()

    def writers(self) -> dict:
        return {".txt": _write_txt}

    def pictures(self, run, title: str) -> list:
        return [write_lines(sample_text(run, 64, seed=EVAL_SEED), run.run_dir / "samples.txt")]

    def live_panels(self, run, cache: dict) -> dict:
        return {"kind": "text", "lines": sample_text(run, LIVE_LINES, seed=LIVE_SEED)}     # the same noise each time

    def summary(self, m: dict) -> list[str]:
        if m.get("js4") is None:
            return []
        words = f", tokens that are corpus words {m['words']:.1%}" if m.get("words") is not None else ""
        return [f"n-gram JS divergence js1 {m['js1']:.3f} .. js4 {m['js4']:.3f}, copied lines {m['copied']:.1%}{words}"]


@register_metric("ngram_js", domains=("text",), best={**{f"js{n}": "min" for n in range(1, 5)}, "words": "max"},
                 description="JS divergences (bits) of the character 1- to 4-gram distributions of generated and "
                             "corpus lines, the share of distinct samples, of samples copied from the corpus and of "
                             "space-separated tokens that are corpus words")
def _ngram_js(ctx) -> dict:
    source = ctx.run.reference_source()
    reference = decode(source.fresh(ctx.n, ctx.seed + 1), ctx.run.domain_state["charmap"])
    return text_metrics(reference, sample_text(ctx.run, ctx.n, seed=ctx.seed), corpus=source.lines(),
                        seq_len=ctx.run.domain_state["seq_len"])


register_domain(Text())
