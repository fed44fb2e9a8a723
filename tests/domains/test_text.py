"""Text (the paper's character-level language model): corpus lines to one-hot sequences and back,
the 1-D ResNets, n-gram JS divergences, a run end to end, and one that learns a tiny corpus."""
import json

import pytest
import torch

import wgangp
from wgangp.cli import main
from wgangp.config import load_config
from wgangp.data import text
from wgangp.domains import text as text_domain
from wgangp.errors import UserError
from wgangp.metrics.text import js_divergence, text_metrics, word_share

WORDS = ["the cat sat", "a dog ran", "the dog sat", "a cat ran"]


def _corpus(path, n=400):
    path.write_text("".join(WORDS[i % len(WORDS)] + "\n" for i in range(n)))
    return path


def _cfg(path, **over):
    return load_config("text-python-docs", {"data.name": "text", "data.path": str(path), "data.seq_len": 12,
                                            "data.batch_size": 32, "model.dim": 32, "model.depth": 2,
                                            "device": "cpu", **over})


def _source(data_cfg):
    """The text domain's source for ``data_cfg`` (the corpus it names, read and encoded)."""
    return text_domain.Text().build_source(data_cfg, seed=0, conditional=False)


def test_lines_become_one_hot_sequences_and_back(tmp_path):
    lines = ["hello", "a line longer than eight", "caf\u00e9"]
    charmap = text.build_charmap(lines[:2], 8)
    assert charmap[0] == text.UNKNOWN and text.PAD in charmap
    idx = text.encode_lines(lines, charmap, 8)
    assert idx.shape == (3, 8)
    one_hot = torch.nn.functional.one_hot(idx.long(), len(charmap)).transpose(1, 2).float()
    u = text.UNKNOWN                              # c, f and é are not among the first two lines' characters
    assert text.decode(one_hot, charmap) == ["hello", "a line l", u + "a" + u + u]


def test_text_source_batches_and_errors(tmp_path):
    src = _source(_cfg(_corpus(tmp_path / "c.txt")).data)
    x = src.sample_batch()
    assert x.shape == (32, len(src.charmap), 12) == (32, *src.shape)
    torch.testing.assert_close(x.sum(1), torch.ones(32, 12))
    assert set(src.lines()) == set(WORDS)
    with pytest.raises(UserError, match="not found"):
        _source(_cfg(tmp_path / "missing.txt").data)
    (tmp_path / "empty.txt").write_text("\n\n")
    with pytest.raises(UserError, match="no non-empty line"):
        _source(_cfg(tmp_path / "empty.txt").data)
    with pytest.raises(UserError, match="fewer than data.batch_size"):
        _source(_cfg(_corpus(tmp_path / "few.txt", n=5)).data)
    with pytest.raises(UserError, match="data.path=FILE.txt"):
        load_config("text-python-docs", {"data.name": "text"})


def test_billion_word_reads_the_shuffled_files_and_fails_clearly_offline(tmp_path, monkeypatch):
    folder = tmp_path / text.BILLION_WORD_DIR
    folder.mkdir(parents=True)
    (folder / "news.en-00001-of-00100").write_text("first sentence .\nsecond one .\n")
    (folder / "news.en-00002-of-00100").write_text("third .\n")
    cfg = load_config("text-billion-word", {"data.path": str(tmp_path), "data.max_lines": 2})
    assert text_domain.load_lines(cfg.data) == ["first sentence .", "second one ."]
    empty = load_config("text-billion-word", {"data.path": str(tmp_path / "nothing")})
    with pytest.raises(UserError, match="statmt.org"):
        text_domain.load_lines(empty.data)

    def offline(*args, **kwargs):
        raise OSError("no route to host")

    import torchvision.datasets.utils as tv

    monkeypatch.setattr(tv, "download_and_extract_archive", offline)
    empty.data.download = True
    with pytest.raises(UserError, match="could not download the Billion Word corpus"):
        text_domain.load_lines(empty.data)


def test_builtin_corpus_needs_no_download():
    lines = text_domain.load_lines(load_config("text-python-docs").data)
    assert len(lines) > 5000 and all(len(s) >= 20 for s in lines)


def test_prose_filter_keeps_only_lines_of_letters_spaces_and_plain_punctuation(tmp_path):
    path = tmp_path / "c.txt"
    path.write_text("The cat sat, on (the) mat.\nx = f(a) + 1\nIt's plain-text; yes: fine\n"
                    "a long clean start then { late\nThe end\n", encoding="utf-8")
    cfg = _cfg(path).data
    cfg.text_filter = "prose"
    # seq_len 12: only the first 12 characters are judged ("a long clean" passes, the brace is cut off)
    assert text_domain.load_lines(cfg) == ["The cat sat, on (the) mat.", "It's plain-text; yes: fine",
                                    "a long clean start then { late", "The end"]
    cfg.max_lines = 2                     # counted among the lines that pass
    assert text_domain.load_lines(cfg) == ["The cat sat, on (the) mat.", "It's plain-text; yes: fine"]
    path.write_text("x = 1\n{}\n", encoding="utf-8")
    with pytest.raises(UserError, match="passes data.text_filter=prose"):
        text_domain.load_lines(cfg)
    builtin = load_config("text-python-docs", {"data.text_filter": "prose"}).data
    lines = text_domain.load_lines(builtin)
    assert 3000 < len(lines) < len(text_domain.load_lines(load_config("text-python-docs").data))
    assert all(text.is_prose(s, 32) for s in lines)


def test_sequence_generator_outputs_a_distribution_at_every_position(tmp_path):
    from wgangp.nets import build_networks

    cfg = _cfg(tmp_path / "x").model
    g, d = build_networks(cfg, (7, 12))
    y = g(torch.randn(5, cfg.noise_dim))
    assert y.shape == (5, 7, 12)
    torch.testing.assert_close(y.sum(1), torch.ones(5, 12))
    assert d(y).shape == (5, 1)
    with pytest.raises(UserError, match="text data"):
        build_networks(_cfg(tmp_path / "x").model, (2,))


def test_js_divergence_values():
    assert js_divergence(["abc"], ["abc"], 2) == 0.0
    assert js_divergence(["aaa"], ["bbb"], 1) == 1.0
    # p = {a: 1}, q = {a: 1/2, b: 1/2}: JS = (log2(4/3) + (log2(2/3) + log2(2)) / 2) / 2
    assert js_divergence(["a"], ["ab"], 1) == pytest.approx(0.311278, abs=1e-6)
    m = text_metrics(["ab", "cd"], ["ab", "ab", "xy"])
    assert m["copied"] == pytest.approx(2 / 3) and m["unique"] == pytest.approx(2 / 3)


def test_word_share_counts_corpus_words_and_leaves_out_a_cut_last_token():
    corpus = ["the cat sat", "a dog ran far"]
    assert word_share(corpus, ["the dog", "cat xq"]) == pytest.approx(3 / 4)
    assert word_share(corpus, ["zz yy"]) == 0.0 and word_share(corpus, ["", "   "]) == 0.0
    # seq_len 8: the corpus line "a dog ra" fills it, so its "ra" (maybe cut) is no word; the sample
    # "a dog ra" loses its "ra" too, while "ra dog" (shorter) keeps it: 3 of 4 tokens are words
    assert word_share(["a dog ra"], ["a dog ra", "ra dog"], seq_len=8) == pytest.approx(3 / 4)
    assert word_share(["a dog ra"], ["a dog ra", "ra dog"]) == pytest.approx(1.0)


def test_text_run_end_to_end(tmp_path, capsys):
    corpus = _corpus(tmp_path / "c.txt")
    out = tmp_path / "r"
    assert main(["train", "text-python-docs", "--out", str(out), "--quiet", "--set", "data.name=text",
                 "--set", f"data.path={corpus}", "--set", "data.seq_len=12", "--set", "data.batch_size=32",
                 "--set", "model.dim=16", "--set", "model.depth=1", "--set", "train.iterations=3",
                 "--set", "train.eval_samples=50", "--set", "device=cpu"]) == 0
    assert (out / "samples.txt").is_file() and (out / "training_curves.png").is_file()
    assert main(["eval", str(out), "--json"]) == 0
    m = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert {"js1", "js2", "js3", "js4", "unique", "copied", "words"} <= set(m) and 0.0 <= m["words"] <= 1.0
    corpus.unlink()                                       # samples decode from the checkpoint alone
    assert main(["sample", str(out), "-n", "7", "-o", str(tmp_path / "s.txt")]) == 0
    lines = (tmp_path / "s.txt").read_text().split("\n")
    assert len(lines) == 8 and lines[-1] == "" and all(len(s) <= 12 for s in lines)


def test_language_model_learns_a_tiny_corpus(tmp_path):
    """Four short sentences: after 300 iterations the samples' character and bigram statistics
    approach the corpus's and whole corpus lines appear (measured: js1 0.17 / js2 0.63 / no whole
    line at 100 iterations; js1 0.07 / js2 0.20 / 25% whole lines at 300)."""
    cfg = _cfg(_corpus(tmp_path / "c.txt"), **{"train.iterations": 300, "train.eval_every": 0, "optim.lr": 3e-4})
    m = wgangp.evaluate(wgangp.train(cfg, tmp_path / "r", progress=False), n=500)
    assert m["js1"] < 0.12 and m["js2"] < 0.35
    assert m["copied"] > 0.05
