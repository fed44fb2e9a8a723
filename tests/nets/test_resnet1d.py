"""The 1-D ResNet for short series: shapes and range, a critic of any length, the double backward of
the gradient penalty, one-line errors, and short runs on the built-in sines (AC and projection)."""
import pytest
import torch

import wgangp
from wgangp.cli import main
from wgangp.config import ModelConfig
from wgangp.errors import UserError
from wgangp.nets import build_networks


def _cfg(depth=3):
    return ModelConfig(arch="resnet-1d", noise_dim=8, dim=4, depth=depth)


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
    with pytest.raises(UserError, match=r"model.arch=resnet-1d: signals of length 30: resnet-1d with 3 stages "
                                        r"builds lengths that are multiples of 8 \(set data.length=24 or 32\)") as e:
        build_networks(_cfg(), (1, 30))
    assert "\n" not in str(e.value)
    with pytest.raises(UserError, match="set data.length=8"):
        build_networks(_cfg(), (1, 4))
    with pytest.raises(UserError, match="with 5 stages builds lengths that are multiples of 32 "
                                        r"\(set data.length=416 or 448\)"):
        build_networks(_cfg(5), (1, 432))
    with pytest.raises(UserError, match="model.depth=0: resnet-1d takes 1 to 8 stages"):
        build_networks(_cfg(0), (1, 64))


def _span(critic, length):
    """How many input samples one critic feature (the middle one, before the mean over time) reads."""
    x = torch.randn(1, 1, length, requires_grad=True)
    h = critic.blocks(x)
    h[0, :, h.shape[2] // 2].sum().backward()
    seen = (x.grad[0, 0] != 0).nonzero()
    return int(seen.max() - seen.min() + 1)


def test_model_depth_sets_the_stages_and_the_span_the_critic_reads():
    torch.manual_seed(0)
    g3, d3 = build_networks(_cfg(), (1, 448))
    g5, d5 = build_networks(_cfg(5), (1, 448), 2)
    assert len(g3.blocks) == len(d3.blocks) == 3
    x = g5(torch.randn(4, 8), torch.arange(4) % 2)
    assert x.shape == (4, 1, 448) and d5(x).shape == (4, 3)
    assert _span(d3, 448) <= 64 < 200 < _span(d5, 448) <= 280          # at most 9 * 2^S - 8 (a dead ReLU reads less)


def test_the_default_depth_builds_the_three_stage_network_of_earlier_checkpoints():
    g, d = build_networks(_cfg(), (2, 24))
    assert [n for n, _ in g.named_parameters() if n.startswith("blocks")][-1].startswith("blocks.2.")
    assert g.input.weight.shape == (4 * 4 * 3, 8)                      # 4DIM x L/8
    assert [tuple(b.conv2.weight.shape[:2]) for b in d.blocks] == [(4, 4), (8, 8), (16, 16)]
    assert d.output.weight.shape == (1, 16)


@pytest.mark.parametrize("conditioning", ["ac", "projection"])
def test_a_short_conditional_run_on_the_sines(tmp_path, conditioning):
    sets = ["model.arch=resnet-1d", f"loss.conditioning={conditioning}", "data.batch_size=8", "model.dim=4",
            "model.noise_dim=8", "train.iterations=2", "train.eval_samples=40", "device=cpu"]
    assert main(["train", "signals-sines-cond", "--out", str(tmp_path / "r"), "--quiet",
                 *[a for s in sets for a in ("--set", s)]]) == 0
    run = wgangp.load_run(tmp_path / "r")
    assert run.data_shape == (1, 64) and run.n_classes == 4
    assert run.sample(5, seed=0, classes=3).shape == (5, 1, 64)
