"""Text: the paper's character-level language model (``gan_language.py``).

Data: the corpus ``data.name`` names (:data:`CORPORA`: a file of one example a line, the built-in
Python-docs corpus, Billion Word), read by :mod:`wgangp.data.text` into one-hot ``(vocab, seq_len)``
lines. A checkpoint keeps the character map, so samples decode without the corpus.
Metrics: character n-gram JS divergences to corpus lines (:mod:`wgangp.metrics.text`). Samples:
``.txt`` files, one generated line each; ``samples.txt`` beside a finished run.
"""
from __future__ import annotations

from pathlib import Path

from wgangp.data.base import require_file
from wgangp.data.text import (TextSource, billion_word_files, decode, is_prose, python_docs_lines, read_lines,
                              write_lines)
from wgangp.domains.base import EVAL_SEED, Domain, register_domain
from wgangp.domains.keys import TEXT_KEYS
from wgangp.errors import UserError
from wgangp.metrics.registry import register_metric
from wgangp.metrics.text import text_metrics


LIVE_LINES, LIVE_SEED = 16, 20_171_108     # the live view's generated lines


def _file_lines(data_cfg, limit: int, keep) -> list[str]:
    path = Path(data_cfg.path)
    require_file(path, "text file", "pass --set data.path=FILE.txt (one example a line)")
    return read_lines(path, limit, keep)


def _python_docs_lines(data_cfg, limit: int, keep) -> list[str]:
    lines = list(filter(keep, python_docs_lines()))
    return lines[:limit] if limit else lines


def _billion_word_lines(data_cfg, limit: int, keep) -> list[str]:
    lines: list[str] = []
    for path in billion_word_files(data_cfg.path, data_cfg.download):
        read_lines(path, limit, keep, out=lines)
        if limit and len(lines) >= limit:
            break
    return lines


# data.name -> reader(data_cfg, limit, keep) of the corpus lines
CORPORA = {"text": _file_lines, "python-docs": _python_docs_lines, "billion-word": _billion_word_lines}


def load_lines(data_cfg) -> list[str]:
    """The lines of the corpus ``data.name`` names (``data.max_lines`` of them at most, counted after
    ``data.text_filter``)."""
    prose = data_cfg.text_filter == "prose"
    keep = (lambda line: is_prose(line, data_cfg.seq_len)) if prose else (lambda line: True)
    lines = CORPORA[data_cfg.name](data_cfg, data_cfg.max_lines, keep)
    if not lines:
        raise UserError(f"the corpus of data.name={data_cfg.name} holds no non-empty line" +
                        (" that passes data.text_filter=prose (letters, spaces and , . ; : ' ( ) - only)"
                         if prose else ""))
    return lines


def sample_text(run, n: int, seed: int = 0) -> list[str]:
    """``n`` generated strings of a text run: the most likely character at every position."""
    return decode(run.sample(n, seed=seed), run.domain_state["charmap"])


def _write_txt(run, n: int, path, seed: int, classes) -> str:
    written = write_lines(sample_text(run, n, seed=seed), path)
    return f"wrote {n} lines to {written}"


class Text(Domain):
    name = "text"
    data_names = tuple(CORPORA)
    data_keys = TEXT_KEYS
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
        return TextSource(load_lines(data_cfg), data_cfg.seq_len, data_cfg.batch_size, seed)

    def state(self, source) -> dict:
        return source.text_state()

    def transfer_mismatch(self, theirs, mine, conditional):
        if (theirs or {}).get("charmap") != (mine or {}).get("charmap"):
            return "its character map is not this corpus's (each one-hot channel would stand for another character)"
        return None

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
