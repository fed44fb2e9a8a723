"""Every registered network, tiny: builds, trains one WGAN-GP step with finite gradients everywhere."""
import pytest
import torch

from wgangp.config import ModelConfig
from wgangp.nets import _IMAGE_NETS, build_networks, list_networks
from wgangp.objectives import critic_loss, generator_loss

_SHAPES = {"mlp": (2,), "resnet-text": (10, 8), "dcgan-1d": (2, 32), **{name: entry[-1] for name, entry in _IMAGE_NETS.items()}}


def test_every_registered_network_has_a_test_shape():
    assert set(list_networks()) == set(_SHAPES)


@pytest.mark.parametrize("arch", sorted(_SHAPES))
def test_network_wgan_gp_step_reaches_every_parameter_with_finite_gradients(arch):
    torch.manual_seed(0)
    cfg = ModelConfig(arch=arch, noise_dim=8, hidden=16, depth=2, dim=4 if "64" in arch else 8)
    g, d = build_networks(cfg, _SHAPES[arch])
    n = 2
    real = torch.rand(n, *_SHAPES[arch]) * 2 - 1
    fake = g(torch.randn(n, cfg.noise_dim))
    assert fake.shape == real.shape and torch.isfinite(fake).all()
    alpha = torch.rand(n, *([1] * len(_SHAPES[arch])))
    loss, _, penalty = critic_loss(d, real, fake, alpha, "wgan-gp", 10.0)
    loss.backward()
    assert penalty > 0
    for name, p in d.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all(), f"critic {name}"
    generator_loss(d, g(torch.randn(n, cfg.noise_dim)), "wgan-gp").backward()
    for name, p in g.named_parameters():
        assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, f"generator {name}"
