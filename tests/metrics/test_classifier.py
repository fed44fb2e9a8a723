"""The in-project domain classifier: it learns, it loads as a feature net, coverage counts classes."""

import numpy as np
import torch

from wgangp.cli import main
from wgangp.metrics.classifier import class_coverage
from wgangp.metrics.features import load_feature_net


def _blobs(n_per=60, k=3, seed=0):
    """k classes of 16x16 images: a bright square in a class-specific corner, plus noise."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 60, size=(n_per * k, 16, 16)).astype(np.uint8)
    y = np.repeat(np.arange(k), n_per)
    for i, c in enumerate(y):
        r, q = divmod(int(c), 2)
        x[i, r * 8:r * 8 + 8, q * 8:q * 8 + 8] = 220
    return x, y


def test_classifier_learns_and_works_as_feature_net(tmp_path, capsys):
    x, y = _blobs()
    xt, yt = _blobs(seed=1)
    np.savez(tmp_path / "d.npz", x_train=x, y_train=y, x_test=xt, y_test=yt)
    assert main(["classifier", str(tmp_path / "d.npz"), "--out", str(tmp_path / "clf.pt"), "--epochs", "5"]) == 0
    assert "test accuracy 100.00%" in capsys.readouterr().out
    net = load_feature_net(tmp_path / "clf.pt")
    imgs = torch.from_numpy(xt[:, None]).float() / 127.5 - 1
    assert net(imgs).shape == (len(xt), 128)
    assert (net.logits(imgs).argmax(1).numpy() == yt).mean() == 1.0


def test_class_coverage_counts_classes_above_the_share():
    logits = torch.eye(4)[torch.tensor([0] * 50 + [1] * 45 + [2] * 5 + [3] * 0)]
    cov = class_coverage(logits, min_share=0.05)
    assert cov["classes_covered"] == 3 and cov["n_classes"] == 4 and cov["min_class_share"] == 0.0
    assert cov["class_shares"] == [0.5, 0.45, 0.05, 0.0]


def test_classifier_needs_labels(tmp_path, capsys):
    np.savez(tmp_path / "d.npz", x_train=_blobs()[0])
    assert main(["classifier", str(tmp_path / "d.npz"), "--out", str(tmp_path / "c.pt")]) == 2
    err = capsys.readouterr().err
    assert "needs x_train and y_train" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "c.pt").exists()


def test_classifier_trains_on_class_subfolders_with_a_test_split(tmp_path, capsys, monkeypatch):
    from PIL import Image

    monkeypatch.setenv("WGANGP_CACHE", str(tmp_path / "cache"))
    names = ["circle", "square", "stripe"]                  # sorted: folder index = label
    for split, seed in (("train", 0), ("test", 1)):
        x, y = _blobs(n_per=40, seed=seed)
        for i, (img, c) in enumerate(zip(x, y)):
            (tmp_path / "set" / split / names[c]).mkdir(parents=True, exist_ok=True)
            Image.fromarray(img).save(tmp_path / "set" / split / names[c] / f"{i}.png")
    assert main(["classifier", str(tmp_path / "set"), "--out", str(tmp_path / "clf.pt"), "--epochs", "5"]) == 0
    assert "3 classes, 120 training images, test accuracy 100.00%" in capsys.readouterr().out
    flat = tmp_path / "flat"
    flat.mkdir()
    for i in range(4):
        Image.fromarray(_blobs()[0][i]).save(flat / f"{i}.png")
    assert main(["classifier", str(flat), "--out", str(tmp_path / "c2.pt")]) == 2
    assert "not in class sub-folders" in capsys.readouterr().err
