"""experiments/ucr_augmentation.py runs end to end on a tiny made-up set, resumes, and refuses a missing file."""
import json

import numpy as np
import pytest
import torch

from tests.checks import experiment, ucr_toy

ucr = experiment("ucr_augmentation")

TINY = ["--seeds", "0", "--iterations", "2", "--cnn-epochs", "2", "--score-epochs", "1", "--classifiers", "cnn",
        "--device", "cpu", "--set", "model.dim=4", "--set", "model.noise_dim=8", "--set", "train.eval_samples=40"]


def test_the_experiment_runs_on_a_tiny_set_and_skips_what_is_done(tmp_path, capsys):
    data = ucr_toy(tmp_path / "toy.npz")
    assert ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), *TINY]) == 0
    result = json.loads((tmp_path / "o" / "toy" / "seed0" / "result.json").read_text())
    assert result["train_counts"] == [12, 12] and result["n_synthetic"] == 24
    assert "cnn.real_rotated" not in result                  # data.circular's control arm only with it
    for key in ("cnn.trtr", "cnn.tstr", "cnn.trstr", "cnn.real_classic", "class_agreement"):
        assert 0 <= result[key] <= 1
    assert result["class_agreement_real_test"] > 0.9         # the forest on real test series: 3 against 5 cycles
    assert 0 <= result["discriminative_score"] <= 0.5 and result["predictive_score"] > 0
    assert result["gan_wall_seconds"] > 0 and result["gan_train_seconds"] > 0
    table = (tmp_path / "o" / "summary.md").read_text()
    assert table.startswith("| score | toy |") and "| cnn.tstr | " in table
    gain = result["cnn.trstr"] - result["cnn.trtr"]
    assert f"| cnn.gain_vs_real | {gain:.4g} ± 0 (1) |" in table
    assert f"| cnn.seeds_above_real | {int(gain > 0)} of 1 |" in table
    with np.load(tmp_path / "o" / "toy" / "seed0" / "train.npz") as d:
        assert d["x_train"].shape == (24, 1, 20) and sorted(set(d["y_train"].tolist())) == [1, 2]
    capsys.readouterr()
    assert ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), *TINY]) == 0
    assert "toy seed 0: done before, skipped" in capsys.readouterr().out


def test_imbalance_keeps_a_share_of_one_class_and_reports_its_recall(tmp_path):
    data = ucr_toy(tmp_path / "toy.npz")
    assert ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), "--imbalance", "2:0.25", *TINY]) == 0
    result = json.loads((tmp_path / "o" / "toy-imbalance-2-0.25" / "seed0" / "result.json").read_text())
    assert result["train_counts"] == [12, 3] and result["n_synthetic"] == 9         # class 2 topped up to 12
    for arm in ("real", "real+classic", "real+synthetic"):
        assert 0 <= result[f"cnn.{arm}.minority_recall"] <= 1


def test_a_missing_data_file_is_a_clear_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as e:
        ucr.main(["--shared", str(tmp_path), "--out", str(tmp_path / "o")])
    assert e.value.code == 2 and "ucr-subset.npz' not found" in capsys.readouterr().err


def test_the_filter_keeps_only_series_its_classifier_puts_in_their_class(monkeypatch):
    classes = [0, 1] * 6                                          # 6 wanted per class, a pool of 10 per series
    monkeypatch.setattr(ucr, "generate", lambda run, cls, length, seed:
                        np.arange(len(cls), dtype=np.float32)[:, None, None] * np.ones((1, 1, length), np.float32))
    # the classifier gets the pool's class right on its even rows only: half accepted
    monkeypatch.setattr(ucr, "fit_predict", lambda clf, real, x, **kw:
                        np.where(np.arange(len(x)) % 2 == 0, np.arange(len(x)) // 10 % 2, 1 - np.arange(len(x)) // 10 % 2))
    args = type("A", (), {"filter": "cnn", "pool": 10, "cnn_epochs": 1})()
    (x, y), accepted = ucr.filtered(args, None, (np.zeros((4, 1, 5)), np.array([0, 1, 0, 1])), classes, 5, 0)
    rows = x[:, 0, 0].astype(int)
    assert accepted == 0.5 and np.bincount(y).tolist() == [6, 6]
    assert (rows % 2 == 0).all() and (y == rows // 10 % 2).all()     # only accepted rows, with their own class


def test_a_filtered_arm_reuses_the_unfiltered_gan(tmp_path):
    data = ucr_toy(tmp_path / "toy.npz")
    assert ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), *TINY]) == 0
    gan = tmp_path / "o" / "toy" / "seed0" / "run" / "checkpoint.pt"
    before = gan.stat().st_mtime_ns
    assert ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), "--filter", "cnn", "--pool", "3", *TINY]) == 0
    result = json.loads((tmp_path / "o" / "toy-filter-cnn" / "seed0" / "result.json").read_text())
    assert "gan_wall_seconds" not in result and gan.stat().st_mtime_ns == before
    assert not (tmp_path / "o" / "toy-filter-cnn" / "seed0" / "run").exists()
    assert 0 <= result["filter_accepted"] <= 1 and result["n_synthetic"] <= 24
    assert (tmp_path / "o" / "summary-filter-cnn.md").read_text().startswith("| score | toy-filter-cnn |")


def test_a_share_draws_that_many_synthetic_series_per_real_one_from_the_same_gan(tmp_path, capsys):
    data = ucr_toy(tmp_path / "toy.npz")
    assert ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), *TINY]) == 0
    gan = tmp_path / "o" / "toy" / "seed0" / "run" / "checkpoint.pt"
    before = gan.stat().st_mtime_ns
    assert ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), "--share", "0.25", *TINY]) == 0
    result = json.loads((tmp_path / "o" / "toy-share-0.25" / "seed0" / "result.json").read_text())
    assert result["n_synthetic"] == 6 and gan.stat().st_mtime_ns == before
    assert "discriminative_score" not in result and "cnn.trstr" in result      # the scores belong to share 1
    assert (tmp_path / "o" / "summary-share-0.25.md").read_text().startswith("| score | toy-share-0.25 |")
    for bad in (["--share", "0"], ["--share", "x"], ["--share", "0.5", "--imbalance", "2:0.25"]):
        with pytest.raises(SystemExit) as e:
            ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), *bad, *TINY])
        assert e.value.code == 2 and "--share" in capsys.readouterr().err


def test_a_gan_or_result_made_with_other_settings_is_refused_not_reused(tmp_path):
    data = ucr_toy(tmp_path / "toy.npz")
    assert ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), *TINY]) == 0
    for other in (["--arch", "dcgan-1d"], ["--set", "loss.ac_weight_g=2"]):
        with pytest.raises(SystemExit, match=r"holds a GAN trained with (model.arch='resnet-1d', not 'dcgan-1d'|"
                                             r"loss.ac_weight_g=0.1, not 2.0): pass another --out"):
            ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), *TINY, *other])
    with pytest.raises(SystemExit, match="train.iterations=2, not 3"):           # a filtered arm reads the same GAN
        ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), "--filter", "cnn", *TINY, "--iterations", "3"])
    assert ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), *TINY, "--device", "auto"]) == 0   # device may differ


def test_the_summary_gives_a_paired_t_test_of_the_gains_from_three_seeds():
    gains = [0.01, 0.02, 0.03, 0.01]
    rows = [{"cnn.trtr": 0.9, "cnn.trstr": 0.9 + g, "cnn.real_classic": 0.9} for g in gains]
    s = ucr.summarise({"x": rows, "two": rows[:2], "flat": [rows[0]] * 3})["x"]
    t = np.mean(gains) / (np.std(gains, ddof=1) / np.sqrt(4))        # 3.66 on 3 degrees of freedom
    # a t table: 3.182 and 4.541 are the two-sided 5% and 2% points at 3 degrees of freedom
    assert abs(t - 3.656) < 1e-3 and 0.02 < s["cnn.gain_vs_real_p"]["p"] < 0.05
    table = ucr.markdown(ucr.summarise({"x": rows, "two": rows[:2], "flat": [rows[0]] * 3}))
    assert "| cnn.gain_vs_real_p | p = 0.035 (4) |  |  |" in table                  # none from 2 seeds or equal gains


def test_the_summary_pairs_the_minority_recall_of_an_imbalance_run_within_each_seed():
    rows = [{f"cnn.{arm}.minority_recall": r for arm, r in zip(("real", "real+classic", "real+synthetic"), rec)}
            for rec in ((0.8, 0.9, 0.85), (0.7, 0.75, 0.8), (0.9, 0.9, 0.95))]
    s = ucr.summarise({"x": rows})["x"]
    assert s["cnn.minority_recall.gain_vs_real"]["mean"] == pytest.approx(0.1 / 3 + 0.05 * 2 / 3)
    assert s["cnn.minority_recall.gain_vs_classic"]["mean"] == pytest.approx((-0.05 + 0.05 + 0.05) / 3)
    assert s["cnn.minority_recall.seeds_above_classic"] == {"count": 2, "n": 3}
    assert "cnn.minority_recall.gain_vs_real_p" in s


def test_per_class_trains_one_unconditional_gan_per_class_and_draws_each_class_from_its_own(tmp_path):
    data = ucr_toy(tmp_path / "toy.npz")
    assert ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), "--per-class", *TINY]) == 0
    root = tmp_path / "o" / "toy-per-class" / "seed0"
    for k, label in enumerate([1, 2]):
        with np.load(root / f"class{k}" / "train.npz") as d:
            assert d["x_train"].shape == (12, 1, 20) and set(d["y_train"].tolist()) == {label}
        assert ucr.wgangp.load_run(root / f"class{k}" / "run").n_classes == 0
    result = json.loads((root / "result.json").read_text())
    assert result["n_synthetic"] == 24 and 0 <= result["class_agreement"] <= 1 and result["gan_train_seconds"] > 0
    assert (tmp_path / "o" / "summary.md").read_text().startswith("| score | toy-per-class |")

    class Constant:                                    # an unconditional run whose every sample is its class index
        n_classes, data_shape = 0, (1, 24)

        def __init__(self, k):
            self.k = k

        def sample(self, n, seed, classes):
            assert classes is None
            return torch.full((n, 1, 24), float(self.k))

        def to_data_units(self, x):
            return x
    x = ucr.generate({0: Constant(0), 1: Constant(1)}, [0, 1, 1, 0, 1], 20, 0)
    assert x.shape == (5, 1, 20) and x[:, 0, 0].tolist() == [0, 1, 1, 0, 1]


def test_finetune_starts_every_class_gan_from_one_gan_trained_on_every_series(tmp_path, capsys):
    data = ucr_toy(tmp_path / "toy.npz")
    assert ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), "--per-class", "--finetune", "3", *TINY]) == 0
    root = tmp_path / "o" / "toy-per-class-finetune-3" / "seed0"
    with np.load(root / "base" / "train.npz") as d:
        assert d["x_train"].shape == (24, 1, 20) and set(d["y_train"].tolist()) == {1, 2}
    base = ucr.wgangp.load_run(root / "base" / "run")
    assert base.n_classes == 0 and base.step == 2
    for k in (0, 1):
        cfg = json.loads((root / f"class{k}" / "run" / "config.json").read_text())
        assert cfg["train"]["init_from"] == str((root / "base" / "run").resolve()) and cfg["train"]["iterations"] == 3
        assert ucr.wgangp.load_run(root / f"class{k}" / "run").step == 3
    assert "train.init_from: generator and critic start from" in capsys.readouterr().err
    assert json.loads((root / "result.json").read_text())["n_synthetic"] == 24
    with pytest.raises(SystemExit):
        ucr.parse(["--data", str(data), "--finetune", "3"])              # only with --per-class


def test_truncation_scores_a_truncated_draw_of_the_same_gans_in_its_own_folder(tmp_path, monkeypatch):
    data = ucr_toy(tmp_path / "toy.npz")
    assert ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), *TINY]) == 0
    ckpt = tmp_path / "o" / "toy" / "seed0" / "run" / "checkpoint.pt"
    before = ckpt.stat().st_mtime_ns
    bounds = []
    from wgangp.run import Run
    real_truncated = Run.truncated

    def spy(self, bound):
        bounds.append(bound)
        return real_truncated(self, bound)
    monkeypatch.setattr(Run, "truncated", spy)
    assert ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), "--truncation", "0.5", *TINY]) == 0
    result = json.loads((tmp_path / "o" / "toy-trunc-0.5" / "seed0" / "result.json").read_text())
    assert "gan_wall_seconds" not in result and ckpt.stat().st_mtime_ns == before      # the same GAN, not trained again
    assert [b for b in bounds if b] == [0.5] and 0 <= result["class_agreement"] <= 1   # (load_run passes None)


def test_circular_gans_get_the_control_arm_of_rotated_real_series(tmp_path):
    """With --set data.circular=true the GAN trains at one phase and each classifier also scores real +
    rotated real series, whose copies are rotations of real series of the class asked for."""
    data = ucr_toy(tmp_path / "toy.npz")
    assert ucr.main(["--data", str(data), "--out", str(tmp_path / "o"), *TINY, "--set", "data.circular=true",
                     "--set", "data.length=24", "--set", "data.resample=true"]) == 0   # not zero-padded: refused
    result = json.loads((tmp_path / "o" / "toy" / "seed0" / "result.json").read_text())
    assert 0 <= result["cnn.real_rotated"] <= 1
    gain = result["cnn.trstr"] - result["cnn.real_rotated"]
    assert f"| cnn.gain_vs_rotated | {gain:.4g} ± 0 (1) |" in (tmp_path / "o" / "summary.md").read_text()
    s = ucr.load_set(data, "toy")
    real = (s["x_train"], s["y_train"])
    x, y = ucr.rotated_real(real, np.array([1, 2, 2]), seed=0)
    assert x.shape == (27, 1, 20) and y[24:].tolist() == [1, 2, 2] and np.array_equal(x[:24], real[0])
    for copy, c in zip(x[24:], y[24:]):
        rolls = [np.roll(r, k, axis=-1) for r in real[0][real[1] == c] for k in range(20)]
        assert any(np.allclose(copy, r) for r in rolls)
