"""Every registered network, tiny, unconditional and class-conditional: builds, and one WGAN-GP
critic loss + generator loss reach every parameter with a finite, non-zero gradient."""
import pytest
import torch

from wgangp.config import ModelConfig
from wgangp.errors import UserError
from wgangp.nets import build_networks, list_networks
from wgangp.objectives import critic_loss, generator_loss

# the sample shape each network is tested on: the test's own table, not the registry's
SHAPES = {
    "mlp": (2,),
    "resnet-text": (10, 8),                 # one-hot (vocab, seq_len)
    "dcgan-1d": (2, 32),                    # (channels, length)
    "wavegan": (2, 256),                    # two stride-4 stages: one phase shuffle
    "resnet-1d": (2, 24),
    "mlp-1d": (2, 21),                      # any length
    "dcgan-mnist": (1, 28, 28),
    "dcgan-cifar": (3, 32, 32),
    "resnet-cifar": (3, 32, 32),
    "resnet-64": (3, 64, 64),
    "dcgan-64": (3, 64, 64),
    "resnet101-64": (3, 64, 64),
    "specgan": (1, 128, 128),               # SpecGAN: spectrograms of 16,384 samples
}
NO_CONDITIONAL = {"resnet-text"}
K = 3                                        # classes of the conditional variants


def test_every_registered_network_has_a_test_shape():
    assert set(list_networks()) == set(SHAPES)


def _cfg(arch):
    return ModelConfig(arch=arch, noise_dim=8, hidden=16, depth=2, dim=8)


def test_networks_without_a_conditional_variant_say_so():
    for arch in NO_CONDITIONAL:
        with pytest.raises(UserError, match="no class-conditional variant"):
            build_networks(_cfg(arch), SHAPES[arch], K)


def test_a_domains_generator_head_wraps_the_unconditioned_generator():
    from wgangp.nets.tabular import TableGenerator

    g, _ = build_networks(_cfg("mlp"), (5,), K, generator_head=lambda body: TableGenerator(body, [(1, 3)]))
    assert isinstance(g.base, TableGenerator)               # inside the label concatenation: the keys of before
    x = g(torch.randn(4, _cfg("mlp").noise_dim), torch.tensor([0, 1, 2, 0]))
    torch.testing.assert_close(x[:, 1:4].sum(dim=1), torch.ones(4))
    halved = lambda body: Halved(body)                        # noqa: E731
    for arch in ("dcgan-1d", "resnet-text"):                  # every network's generator takes the head the same way
        n = 0 if arch in NO_CONDITIONAL else K
        g, _ = build_networks(_cfg(arch), SHAPES[arch], n, generator_head=halved)
        assert isinstance(g.base if n else g, Halved)
        z = torch.randn(4, _cfg(arch).noise_dim)
        assert (g(z, torch.tensor([0, 1, 2, 0])) if n else g(z)).abs().max() <= 0.5
    with pytest.raises(UserError, match="model.arch=dcgan-1d needs signals of shape"):   # a table's points: refused
        build_networks(_cfg("dcgan-1d"), (5,), 0, generator_head=lambda body: TableGenerator(body, [(1, 3)]))


class Halved(torch.nn.Module):
    """A test head: the generator's output, halved."""

    def __init__(self, base):
        super().__init__()
        self.base = base

    def forward(self, z):
        return self.base(z) / 2


@pytest.mark.parametrize("arch, n_classes", [(a, 0) for a in sorted(SHAPES)] +
                         [(a, K) for a in sorted(SHAPES) if a not in NO_CONDITIONAL])
def test_network_wgan_gp_step_reaches_every_parameter_with_finite_gradients(arch, n_classes):
    shape, cfg = SHAPES[arch], _cfg(arch)
    # seed 1: at this width resnet101-64's bottlenecks are 2 channels wide, and seed 0 draws one whose
    # 1x1 conv weights (reading ReLU outputs, zero bias) are all negative -- a unit dead at init,
    # it and its two convs get no gradient whatever the wiring
    torch.manual_seed(1)
    g, d = build_networks(cfg, shape, n_classes)
    n = 3
    y = torch.arange(n) % K if n_classes else None         # every class present: each class's gamma/beta is used

    def generate(z):
        return g(z, y) if n_classes else g(z)

    real = torch.rand(n, *shape) * 2 - 1
    fake = generate(torch.randn(n, cfg.noise_dim))
    assert fake.shape == real.shape and torch.isfinite(fake).all()
    out = d(real)
    assert out.shape == (n, 1 + n_classes)
    alpha = torch.rand(n, *([1] * len(shape)))
    # the AC term (ac_weight=1) is what gives the class-logit weights their gradients
    loss, _, penalty = critic_loss(d, real, fake, alpha, "wgan-gp", 10.0, labels=y, ac_weight=1.0)
    assert torch.isfinite(loss) and penalty > 0
    loss.backward()
    # the critic loss is blind to a constant added to the critic's output (its final bias, in
    # resnet-text also the last residual conv's): those get their gradient from the generator loss,
    # which goes to the critic here too (training freezes it there)
    generator_loss(d, generate(torch.randn(n, cfg.noise_dim)), "wgan-gp", labels=y, ac_weight=0.1).backward()
    for net, module in (("critic", d), ("generator", g)):
        for name, p in module.named_parameters():
            assert p.grad is not None, f"{net} {name}: no gradient"
            assert torch.isfinite(p.grad).all(), f"{net} {name}: non-finite gradient"
            assert p.grad.abs().sum() > 0, f"{net} {name}: zero gradient"


def test_specgan_at_the_papers_width_has_its_layer_shapes():
    """DIM 64: the generator's dense layer makes (1024, 4, 4) and five stride-2 deconvolutions reach
    128x128; the critic mirrors them down to (1024, 4, 4) before its linear layer."""
    g, d = build_networks(ModelConfig(arch="specgan", noise_dim=100, dim=64), (1, 128, 128))
    assert g.fc.out_features == 4 * 4 * 1024 and d.net[-1].in_features == 4 * 4 * 1024
    widths = [m.out_channels for m in g.up if isinstance(m, torch.nn.ConvTranspose2d)]
    assert widths == [512, 256, 128, 64, 1]
    assert g(torch.randn(2, 100)).shape == (2, 1, 128, 128)
