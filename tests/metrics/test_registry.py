"""The metric registry: names checked with the valid ones listed, what each kind reports by default,
the opt-in exact W1 of images, the reference-statistics key, and one data source per evaluation."""
import numpy as np
import pytest
import torch

import wgangp
from wgangp.cli import main
from wgangp.config import DataConfig
from wgangp.domains import domain_for
from wgangp.domains.images.metrics import reference_key
from wgangp.metrics.sliced import sliced_w1


def test_unknown_metric_names_the_valid_ones(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "toy-8gaussians", "--out", str(out), "--quiet", "--set", "train.iterations=2",
                 "--set", "model.hidden=16", "--set", "device=cpu", "--set", "train.eval_samples=64"]) == 0
    capsys.readouterr()
    assert main(["eval", str(out), "--metrics", "fid"]) == 2
    err = capsys.readouterr().err
    assert "unknown metric 'fid' for points runs (a metric of images runs)" in err and "modes, w1" in err
    assert main(["train", "toy-8gaussians", "--out", str(tmp_path / "x"), "--set", "train.eval_metrics=nope"]) == 2
    assert "train.eval_metrics: unknown metric 'nope'" in capsys.readouterr().err


def test_list_metrics_shows_kinds_defaults_and_needs(capsys):
    assert main(["list", "--metrics"]) == 0
    lines = {ln.split()[0]: ln for ln in capsys.readouterr().out.splitlines()[1:]}
    assert "[points*, images, signals*]" in lines["w1"]                # exact W1: opt-in for images only
    assert "[images*]" in lines["sliced_w1"] and "needs conditional, classifier" in lines["class_accuracy"]
    assert {"fidelity", "utility", "privacy", "ngram_js", "spectrum", "modes", "fid", "kid", "is", "tstr"} <= set(lines)


def test_image_runs_report_sliced_w1_and_exact_w1_only_on_request(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x_train=rng.integers(0, 256, (64, 28, 28), dtype=np.uint8))
    run = wgangp.train("mnist-dcgan", tmp_path / "r", {"data.path": str(tmp_path / "d.npz"), "data.batch_size": 16,
                                                        "model.dim": 4, "train.iterations": 1, "train.eval_samples": 32,
                                                        "device": "cpu"}, progress=False)
    default = wgangp.evaluate(run)
    assert "sliced_w1" in default and "w1" not in default
    both = wgangp.evaluate(run, metrics="w1")
    assert both["sliced_w1"] == default["sliced_w1"] and both["w1"] > both["sliced_w1"] > 0


def test_sliced_w1_known_answers():
    a = torch.randn(500, 8, generator=torch.Generator().manual_seed(0))
    t = torch.tensor([0.5] * 8)
    assert sliced_w1(a, a) == 0.0
    gen = torch.Generator().manual_seed(3)          # the directions sliced_w1 draws with seed 3
    u = torch.randn(8, 256, generator=gen, dtype=torch.float64)
    u /= u.norm(dim=0, keepdim=True)
    expected = float((t.double() @ u).abs().mean())  # a shift moves every projection by <u, t>
    assert sliced_w1(a + t, a, seed=3) == pytest.approx(expected, rel=1e-9) and expected < float(t.norm())


def test_reference_key_covers_what_selects_the_images_and_not_the_training_seed(tmp_path):
    (tmp_path / "lsun").mkdir()
    bed = DataConfig(name="lsun", path=str(tmp_path / "lsun"), lsun_class="bedroom_train", resolution=64)
    church = DataConfig(name="lsun", path=str(tmp_path / "lsun"), lsun_class="church_outdoor_train", resolution=64)
    capped = DataConfig(name="lsun", path=str(tmp_path / "lsun"), lsun_class="bedroom_train", resolution=64,
                        max_images=1000)
    keys = [reference_key(d, 1000, 7, (3, 64, 64)) for d in (bed, church, capped)]
    assert keys[0] != keys[1] and keys[0] != keys[2]
    assert reference_key(bed, 1000, 8, (3, 64, 64)) != keys[0]                  # the evaluation seed
    assert reference_key(DataConfig(**{**bed.__dict__, "batch_size": 7}), 1000, 7, (3, 64, 64)) == keys[0]
    seeds = {k for k in keys[0]["data"] if "seed" in k}                     # no training seed anywhere; the
    assert seeds <= {"split_seed"}                                             # hold-out split selects records


def test_an_evaluation_builds_the_data_source_once(tmp_path, monkeypatch):
    run = wgangp.train("signals-sines-cond", tmp_path / "r", {"train.iterations": 1, "model.dim": 4,
                                                              "train.eval_samples": 64, "device": "cpu"}, progress=False)
    loaded = wgangp.load_run(tmp_path / "r")
    domain, built = domain_for("sines"), []
    original = type(domain).build_source
    monkeypatch.setattr(type(domain), "build_source", lambda self, *a: built.append(1) or original(self, *a))
    m = wgangp.evaluate(loaded)
    assert {"w1", "spectrum_distance", "class_agreement"} <= set(m) and len(built) == 1
    wgangp.evaluate(run)                            # the trained run keeps its training source: none built
    assert len(built) == 1


def test_reference_key_changes_when_an_image_under_the_folder_changes(tmp_path):
    import os

    (tmp_path / "imgs" / "cat").mkdir(parents=True)
    img = tmp_path / "imgs" / "cat" / "a.png"
    img.write_bytes(b"x")
    cfg = DataConfig(name="images", path=str(tmp_path / "imgs"))
    before = reference_key(cfg, 10, 0, (3, 8, 8))
    img.write_bytes(b"xy")                                      # same folder mtimes, another image
    os.utime(img, ns=(img.stat().st_atime_ns, img.stat().st_mtime_ns + 10**9))
    assert reference_key(cfg, 10, 0, (3, 8, 8)) != before
