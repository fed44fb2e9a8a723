"""The classifier score of signal runs (WaveGAN's 'Inception score' with an in-project classifier):
the formula over the logits a given classifier gives the generated series, refused without one."""
import pytest
import torch

import wgangp
from wgangp.errors import UserError

FAST = {"model.dim": 4, "model.noise_dim": 8, "data.batch_size": 16, "train.iterations": 2, "train.eval_samples": 40,
        "device": "cpu"}


class Constant(torch.nn.Module):
    """The same logits for every series: p(y|x) = p(y), so the score is exactly 1."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.tensor([[2.0, 0.0, -1.0, 0.5]]).expand(x.shape[0], 4)


class SignOfFirstSample(torch.nn.Module):
    """Confident logits from the series' own values: class 0..3 by the signs of two samples, so
    generated series of a random generator are spread over the classes, each with near certainty."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        k = (x[:, 0, 0] > 0).long() * 2 + (x[:, 0, 7] > 0).long()
        return 30.0 * torch.nn.functional.one_hot(k, 4).float()


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return wgangp.train("signals-sines-cond", tmp_path_factory.mktemp("score") / "r", FAST, progress=False)


def test_a_classifier_that_ignores_the_series_scores_exactly_one(run):
    out = wgangp.evaluate(run, n=200, metrics=["classifier_score"], feature_net=torch.jit.script(Constant()))
    assert out["is_mean"] == pytest.approx(1.0, abs=1e-9)


def test_confident_and_spread_predictions_score_near_the_number_of_classes_they_use(run):
    out = wgangp.evaluate(run, n=400, metrics=["classifier_score"], feature_net=torch.jit.script(SignOfFirstSample()))
    assert out["is_mean"] > 1.5                       # at least two classes used with near-certain predictions


def test_without_a_classifier_the_score_is_refused_in_one_line(run):
    with pytest.raises(UserError, match="needs --feature-net CLF.pt"):
        wgangp.evaluate(run, n=40, metrics=["classifier_score"])


def test_a_classifier_of_other_classes_is_refused(run, tmp_path):
    class Two(torch.nn.Module):
        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.zeros(x.shape[0], 2)
    with pytest.raises(UserError, match="this run has 4 classes"):
        wgangp.evaluate(run, n=40, metrics=["classifier_score"], feature_net=torch.jit.script(Two()))


@pytest.mark.parametrize("over", [{}, {"data.length": 16, "data.resample": True}], ids=["padded", "resampled"])
def test_timegans_scores_compare_series_at_the_files_length_where_training_changed_it(tmp_path, over):
    """24-sample series padded to 32 for dcgan-1d, or resampled to 16: the real series the scores
    compare are brought back to 24 samples as the generated ones are (they were refused as unequal)."""
    import numpy as np

    x = np.random.default_rng(0).normal(size=(32, 1, 24)).astype(np.float32)
    np.savez(tmp_path / "s.npz", x_train=x, y_train=np.repeat([0, 1], 16))
    run = wgangp.train("signals-sines-cond", tmp_path / "r", {**FAST, "data.name": "signals", "data.batch_size": 8,
                                                              "data.path": str(tmp_path / "s.npz"), **over},
                       progress=False)
    assert run.data_shape[-1] == (16 if over else 32) and run.domain_state["own_length"] == 24
    out = wgangp.evaluate(run, n=40, metrics=["discriminative", "predictive"])
    assert 0 <= out["discriminative_score"] <= 0.5 and out["predictive_score"] >= 0
