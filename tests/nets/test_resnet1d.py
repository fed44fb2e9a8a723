"""The 1-D ResNet for short series: shapes and range, a critic of any length, the double backward of
the gradient penalty, one-line errors, and short runs on the built-in sines (AC and projection)."""
import pytest
import torch

import wgangp
from wgangp.cli import main
from wgangp.config import ModelConfig
from wgangp.errors import UserError
from wgangp.nets import build_networks


def _cfg():
    return ModelConfig(arch="resnet-1d", noise_dim=8, dim=4)


@pytest.mark.parametrize("length", [8, 24, 152])
def test_shapes_and_range(length):
    torch.manual_seed(0)
    g, d = build_networks(_cfg(), (3, length), 2)
    x = g(torch.randn(5, 8), torch.arange(5) % 2)
    assert x.shape == (5, 3, length) and x.abs().max() <= 1
    assert d(x).shape == (5, 1 + 2)
    assert d(torch.randn(5, 3, 2 * length + 3)).shape == (5, 3)          # global mean: any length reads


def test_gradient_penalty_double_backward_reaches_the_critic_weights():
    torch.manual_seed(0)
    _, d = build_networks(_cfg(), (2, 32))
    x = torch.randn(4, 2, 32, requires_grad=True)
    (grad,) = torch.autograd.grad(d(x).sum(), x, create_graph=True)
    ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean().backward()
    for name, p in d.named_parameters():
        if name.endswith("weight"):
            assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name


def test_a_length_it_cannot_build_is_a_one_line_error():
    with pytest.raises(UserError, match=r"model.arch=resnet-1d: signals of length 30: resnet-1d builds lengths "
                                        r"that are multiples of 8 \(set data.length=24 or 32\)") as e:
        build_networks(_cfg(), (1, 30))
    assert "\n" not in str(e.value)
    with pytest.raises(UserError, match="set data.length=8"):
        build_networks(_cfg(), (1, 4))


@pytest.mark.parametrize("conditioning", ["ac", "projection"])
def test_a_short_conditional_run_on_the_sines(tmp_path, conditioning):
    sets = ["model.arch=resnet-1d", f"loss.conditioning={conditioning}", "data.batch_size=8", "model.dim=4",
            "model.noise_dim=8", "train.iterations=2", "train.eval_samples=40", "device=cpu"]
    assert main(["train", "signals-sines-cond", "--out", str(tmp_path / "r"), "--quiet",
                 *[a for s in sets for a in ("--set", s)]]) == 0
    run = wgangp.load_run(tmp_path / "r")
    assert run.data_shape == (1, 64) and run.n_classes == 4
    assert run.sample(5, seed=0, classes=3).shape == (5, 1, 64)
