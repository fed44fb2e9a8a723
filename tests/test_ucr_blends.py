"""experiments/ucr_blends.py: the made series stay in their class (and, for closed curves, are made in the
aligned frame), and the experiment scores every arm on a tiny made-up set."""
import argparse
import json

import numpy as np
import pytest

from tests.checks import experiment, ucr_toy

blends = experiment("ucr_blends")


def test_gaussian_draws_lie_in_their_class_mean_and_main_directions():
    rng = np.random.default_rng(0)
    direction = np.sin(np.linspace(0, 3, 16))
    x = np.concatenate([1 + rng.normal(size=(20, 1, 1)) * direction, -5 + rng.normal(size=(20, 1, 1)) * direction])
    y = np.repeat([0, 1], 20)
    classes = np.array([0, 1] * 50)
    made = blends.gaussian(x.astype(np.float32), y, classes, 1, rng)
    for c, level in ((0, 1), (1, -5)):
        rest = made[classes == c, 0] - level                       # what is left is a multiple of the direction
        coef = rest @ direction / (direction @ direction)
        assert np.abs(rest - coef[:, None] * direction).max() < 0.5
        assert 0.5 < coef.std() < 1.5                               # spread as the class's (unit) coefficients


def test_mixed_series_are_blends_of_two_series_of_their_own_class():
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.uniform(0, 1, (10, 2, 8)), rng.uniform(5, 6, (10, 2, 8))]).astype(np.float32)
    y = np.repeat([0, 1], 10)
    classes = np.array([0, 1] * 30)
    made = blends.mixed(x, y, classes, rng)
    assert made[classes == 0].min() >= 0 and made[classes == 0].max() <= 1
    assert made[classes == 1].min() >= 5 and made[classes == 1].max() <= 6
    assert len(np.unique(made[classes == 0].reshape(30, -1), axis=0)) > 20      # not copies of a few series


def test_closed_curves_are_blended_in_the_aligned_frame_and_rotated_to_real_phases():
    """Every series of a class is one outline at a random start: blends made after the alignment are that
    outline again (at some start); blends of the unaligned series are not."""
    rng = np.random.default_rng(2)
    t = np.arange(32) / 32
    templates = [np.sin(2 * np.pi * t) + 0.6 * np.sin(6 * np.pi * t), np.sign(np.sin(2 * np.pi * t)) * t]
    y = np.repeat([0, 1], 12)
    x = np.stack([np.roll(templates[c], rng.integers(32)) for c in y])[:, None].astype(np.float32)

    def rotations_of_their_template(made, labels):
        return all(min(np.abs(s[0] - np.roll(templates[c], k)).max() for k in range(32)) < 1e-4
                   for s, c in zip(made, labels))
    for circular in (False, True):
        made = blends.made_sets(argparse.Namespace(circular=circular, components=[3]), x, y, seed=0)
        assert rotations_of_their_template(*made["mix"]) is circular
    assert rotations_of_their_template(*made["rotated"])           # the control arm: real series, rotated


def test_the_experiment_scores_every_arm_and_skips_what_is_done(tmp_path, capsys):
    data = ucr_toy(tmp_path / "toy.npz")
    argv = ["--data", str(data), "--out", str(tmp_path / "o"), "--sets", "toy", "--seeds", "0", "--components", "2",
            "--circular", "--cnn-epochs", "2", "--classifiers", "cnn"]
    assert blends.main(argv) == 0
    result = json.loads((tmp_path / "o" / "toy-circular" / "seed0" / "result.json").read_text())
    for arm in ("real", "gauss-2", "mix", "rotated"):
        assert 0 <= result[f"cnn.{arm}"] <= 1
    assert result["cnn.mix.gain_vs_real"] == pytest.approx(result["cnn.mix"] - result["cnn.real"])
    assert "cnn.mix.seeds_above_real" in (tmp_path / "o" / "summary.md").read_text()
    capsys.readouterr()
    assert blends.main(argv) == 0
    assert "done before, skipped" in capsys.readouterr().out


def test_an_unknown_set_is_one_line(tmp_path, capsys):
    data = ucr_toy(tmp_path / "toy.npz")
    with pytest.raises(SystemExit) as e:
        blends.main(["--data", str(data), "--sets", "nope"])
    assert e.value.code == 2 and "holds no set 'nope'; it holds toy" in capsys.readouterr().err
    with pytest.raises(SystemExit) as e:                        # a folder where the file should be
        blends.main(["--data", str(tmp_path)])
    assert e.value.code == 2 and "not found: pass --data FILE.npz" in capsys.readouterr().err
