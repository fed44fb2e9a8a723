"""Toy metrics on samples whose answers are known."""
import pytest
import torch

from wgangp.data import toy_distribution
from wgangp.metrics import mode_metrics, w1_distance


def test_true_samples_capture_every_mode_at_the_gaussian_3_sigma_rate():
    d = toy_distribution("25gaussians")
    x = d.sample(2500, torch.Generator().manual_seed(0))
    m = mode_metrics(x, d.centers, d.std)
    assert m["modes_captured"] == 25 and m["n_modes"] == 25
    assert m["high_quality"] == pytest.approx(1 - torch.exp(torch.tensor(-4.5)).item(), abs=0.01)  # 2-D: P(r<3s)


def test_collapsed_samples_capture_only_their_modes():
    d = toy_distribution("8gaussians")
    g = torch.Generator().manual_seed(1)
    x = d.centers[torch.arange(2500) % 3] + d.std * torch.randn(2500, 2, generator=g)
    assert mode_metrics(x, d.centers, d.std)["modes_captured"] == 3
    far = x + 10 * d.std                             # all just off their modes: no high-quality sample
    m = mode_metrics(far, d.centers, d.std)
    assert m["high_quality"] == 0.0 and m["modes_captured"] == 0


def test_w1_of_identical_and_translated_sets():
    x = torch.randn(300, 2, generator=torch.Generator().manual_seed(2))
    assert w1_distance(x, x) == pytest.approx(0.0, abs=1e-12)
    shift = torch.tensor([0.3, -0.4])               # W1(P, P + v) = |v| exactly
    assert w1_distance(x, x + shift) == pytest.approx(0.5, rel=1e-6)
