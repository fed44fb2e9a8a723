"""Text as the paper's character-level language model sees it (``gan_language.py``).

Every line of the corpus is one example: cut to ``data.seq_len`` characters (32) and padded with
the backtick ````` ``; the character map holds the 2,047 most frequent characters plus an unknown
symbol at index 0 (the official ``language_helpers.load_dataset``). A sample is a one-hot float
tensor ``(vocab, seq_len)`` (characters along the channel axis of a 1-D convolution); the
generator outputs a softmax over the same axis, so the critic compares probability vectors with
one-hot text and nothing is sampled in training.

The readers of the corpora the text domain (:mod:`wgangp.domains.text`) chooses from on ``data.name``:

* ``data.name=text``: ``data.path`` a UTF-8 text file, one example a line.
* ``data.name=python-docs``: the English prose of the Python documentation topics that ship with
  CPython (``pydoc_data``), lines of at least 20 characters: a small built-in corpus (7k lines),
  no download.
* ``data.name=billion-word``: the paper's Google Billion Word corpus (the shuffled training files
  ``news.en-000NN-of-00100``); ``data.path`` its folder (the archive's top folder or the one
  holding those files), ``data.download=true`` fetches and unpacks the 1.7 GB archive there.
* ``data.max_lines``: keep the first N lines (0 = all; the official run used 10 million).
* ``data.text_filter=prose``: keep only the lines whose first ``seq_len`` characters are all
  letters, spaces and ``, . ; : ' ( ) -`` (:data:`PROSE`), counted before ``data.max_lines``: on
  the Python-docs corpus this drops code, grammar rules and tables (7,316 -> 3,552 lines).
"""
from __future__ import annotations

import collections
import os
from pathlib import Path

import torch

from wgangp.data.base import PointSource
from wgangp.errors import UserError

PAD = "`"
UNKNOWN = "\ufffd"                     # index 0: characters outside the map
MAX_VOCAB = 2048
PROSE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ ,.;:'()-")
BILLION_WORD_URL = "http://www.statmt.org/lm-benchmark/1-billion-word-language-modeling-benchmark-r13output.tar.gz"
BILLION_WORD_DIR = "1-billion-word-language-modeling-benchmark-r13output/training-monolingual.tokenized.shuffled"


def read_lines(path: Path, limit: int = 0, keep=lambda line: True, out: list[str] | None = None) -> list[str]:
    """The non-empty lines of the UTF-8 file ``path`` that ``keep`` accepts, appended to ``out`` (a new
    list by default) until it holds ``limit`` (0 = no limit); a clear error for a file that cannot be read."""
    out = [] if out is None else out
    if limit and len(out) >= limit:
        return out
    try:
        with path.open(encoding="utf-8") as f:
            for line in f:
                line = line.rstrip("\n")
                if line and keep(line):
                    out.append(line)
                    if limit and len(out) >= limit:
                        break
    except (OSError, UnicodeDecodeError) as e:
        raise UserError(f"cannot read text file '{path}' ({e})") from None
    return out


def python_docs_lines() -> list[str]:
    """The lines of at least 20 characters of the Python documentation topics (``pydoc_data``)."""
    try:
        from pydoc_data.topics import topics
    except ImportError:
        raise UserError("this Python has no pydoc_data (the built-in corpus); use data.name=text with a file") from None
    return [s.strip() for text in topics.values() for s in text.splitlines() if len(s.strip()) >= 20]


def billion_word_files(root: str | Path, download: bool) -> list[Path]:
    """The Billion Word training files under ``root`` (the archive's top folder or the one holding
    them), fetched and unpacked there first when ``download`` and missing."""
    root = Path(root)
    for folder in (root, root / "training-monolingual.tokenized.shuffled", root / BILLION_WORD_DIR):
        files = sorted(folder.glob("news.en-*-of-00100")) if folder.is_dir() else []
        if files:
            return files
    if not download:
        raise UserError(f"no Billion Word training files (news.en-*-of-00100) under '{root}'; unpack "
                        f"{BILLION_WORD_URL} there or add --set data.download=true (needs internet)")
    from torchvision.datasets.utils import download_and_extract_archive

    try:
        download_and_extract_archive(BILLION_WORD_URL, download_root=str(root))
    except OSError as e:
        raise UserError(f"could not download the Billion Word corpus into '{root}' ({e}); without internet, "
                        "unpack it there by hand or use data.name=text with your own corpus") from None
    return sorted((root / BILLION_WORD_DIR).glob("news.en-*-of-00100"))


def is_prose(line: str, seq_len: int) -> bool:
    """Whether the first ``seq_len`` characters of ``line`` are all in :data:`PROSE`."""
    return PROSE.issuperset(line[:seq_len])


def build_charmap(lines: list[str], seq_len: int) -> list[str]:
    """``[UNKNOWN, most frequent character, ...]``, at most :data:`MAX_VOCAB` entries, the padding
    character included."""
    counts = collections.Counter(c for line in lines for c in line[:seq_len].ljust(seq_len, PAD))
    return [UNKNOWN] + [c for c, _ in counts.most_common(MAX_VOCAB - 1) if c != UNKNOWN]


def encode_lines(lines: list[str], charmap: list[str], seq_len: int) -> torch.Tensor:
    """``(N, seq_len)`` int16 character indices (cut, padded, unknown characters to 0)."""
    index = {c: i for i, c in enumerate(charmap)}
    return torch.tensor([[index.get(c, 0) for c in line[:seq_len].ljust(seq_len, PAD)] for line in lines],
                        dtype=torch.int16)


def decode(x: torch.Tensor, charmap: list[str]) -> list[str]:
    """One-hot or probability tensors ``(N, vocab, seq_len)`` -> strings (the most likely
    character at every position; trailing padding removed)."""
    idx = x.argmax(1).tolist()
    return ["".join(charmap[i] for i in row).rstrip(PAD) for row in idx]


class TextSource(PointSource):
    """One-hot batches ``(batch, vocab, seq_len)`` of the corpus ``lines``, reshuffled every epoch."""

    def __init__(self, lines: list[str], seq_len: int, batch_size: int, seed: int):
        if seq_len < 1:
            raise UserError(f"config key 'data.seq_len' must be >= 1, got {seq_len}")
        if len(lines) < batch_size:
            raise UserError(f"the corpus holds {len(lines)} lines, fewer than data.batch_size={batch_size}")
        self.seq_len = seq_len
        self.charmap = build_charmap(lines, self.seq_len)
        super().__init__(batch_size, seed, points=encode_lines(lines, self.charmap, self.seq_len))
        self.shape = (len(self.charmap), self.seq_len)

    def _one_hot(self, idx: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.one_hot(idx.long(), len(self.charmap)).transpose(1, 2).float()

    def sample_batch(self) -> torch.Tensor:
        return self._one_hot(self.points[self._next_indices()])

    def fresh(self, n: int, seed: int) -> torch.Tensor:
        gen = torch.Generator().manual_seed(seed)
        return self._one_hot(self.points[torch.randint(len(self.points), (n,), generator=gen)])

    def lines(self) -> list[str]:
        """Every corpus line as the model sees it (cut, unknown characters mapped)."""
        return ["".join(self.charmap[i] for i in row).rstrip(PAD) for row in self.points.tolist()]

    def text_state(self) -> dict:
        """What a checkpoint keeps to decode samples without the corpus."""
        return {"charmap": list(self.charmap), "seq_len": int(self.seq_len)}


def write_lines(lines: list[str], path: str | Path) -> Path:
    """Write one string a line, atomically (temp file + rename)."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as e:
        raise UserError(f"cannot write '{path}' ({e.strerror or e})") from None
    return path
