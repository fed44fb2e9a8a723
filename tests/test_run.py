"""A trained run's sampler: the truncation trick (``Run.truncated``, ``--truncation``): every noise entry
from N(0, 1) restricted to [-t, t], reproducible, off by default, and refused in one line when not a
positive number."""
import json

import numpy as np
import pytest
import torch

import wgangp
from wgangp.cli import main
from wgangp.errors import UserError


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("toy") / "r"
    return wgangp.train("toy-8gaussians", out, {"model.hidden": 32, "model.depth": 2, "train.iterations": 30,
                                                "optim.lr": 2e-3, "train.eval_samples": 200, "device": "cpu"},
                        progress=False)


def test_truncated_noise_is_a_truncated_normal_within_the_bound_not_a_clamp(toy_run):
    z = toy_run.truncated(1.0).noise(20_000, torch.Generator().manual_seed(0), "cpu")
    assert z.shape == (20_000, toy_run.config.model.noise_dim)
    assert z.abs().max() <= 1.0
    assert (z.abs() > 0.999).float().mean() < 0.01          # a clamp would put about 32% of the entries at the bound
    assert abs(z.std().item() - 0.5396) < 0.01               # N(0, 1) restricted to [-1, 1] (a uniform law: 0.5774)
    inner = (z.abs() < 0.5).float().mean().item()            # P(|z| < 0.5 | |z| < 1) = 0.3829 / 0.6827 = 0.561
    assert abs(inner - 0.561) < 0.015                        # (uniform: 0.5)
    again = toy_run.truncated(1.0).noise(20_000, torch.Generator().manual_seed(0), "cpu")
    assert torch.equal(z, again)


def test_no_truncation_is_the_plain_sampler_and_a_small_bound_draws_near_one_point(toy_run):
    assert toy_run.truncated(None) is toy_run
    assert torch.equal(wgangp.sample(toy_run, 500, seed=1), toy_run.sample(500, seed=1))
    plain, tight = toy_run.sample(500, seed=1), wgangp.sample(toy_run, 500, seed=1, truncation=0.01)
    assert tight.std(0).max() < 0.05 * plain.std(0).min()
    assert toy_run.truncation == 0.0                          # truncated() returns a copy


@pytest.mark.parametrize("bound", [0, -1.0, float("nan"), float("inf"), True, "1"])
def test_a_bound_that_is_not_a_positive_number_is_refused(toy_run, bound):
    with pytest.raises(UserError, match=r"truncation \(--truncation\) must be a positive number"):
        toy_run.truncated(bound)


def test_sample_and_eval_take_truncation_on_the_command_line(toy_run, tmp_path, capsys):
    d = str(toy_run.run_dir)
    assert main(["sample", d, "-n", "300", "-o", str(tmp_path / "t.npy"), "--truncation", "0.01"]) == 0
    tight = np.load(tmp_path / "t.npy")
    np.testing.assert_allclose(tight, toy_run.truncated(0.01).sample(300, seed=0).numpy(), rtol=1e-6)
    assert main(["eval", d, "--json", "-n", "200", "--truncation", "0.5"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["truncation"] == 0.5
    assert main(["sample", d, "-n", "3", "-o", str(tmp_path / "u.npy"), "--truncation", "0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "(--truncation) must be a positive number" in err[0] and not (tmp_path / "u.npy").exists()
    assert main(["eval", str(tmp_path / "t.npy"), "--real", str(tmp_path / "t.npy"), "--truncation", "1"]) == 2
    assert "--truncation is for sampling a run" in capsys.readouterr().err
