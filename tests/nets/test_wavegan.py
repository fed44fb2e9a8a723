"""WaveGAN: phase shuffle is a reflected shift by at most r (twice differentiable, off in eval mode),
the stage rule and shapes for several lengths, the paper's 16,384-sample network at DIM 64, one-line
errors, and a short conditional run from a signal file."""
import numpy as np
import pytest
import torch

import wgangp
from wgangp.cli import main
from wgangp.config import ModelConfig
from wgangp.errors import UserError
from wgangp.nets import build_networks
from wgangp.nets.wavegan import PhaseShuffle, WaveGANCritic, WaveGANSizes, phase_shift, stages


def _reflected_shift(row: np.ndarray, s: int, r: int) -> np.ndarray:
    """The reference: pad by reflection, then crop -- the official code's two steps, in numpy."""
    return np.pad(row, [(0, 0), (r, r)], mode="reflect")[:, r - s:r - s + row.shape[1]]


def test_phase_shuffle_shifts_each_example_by_at_most_r_with_reflected_edges():
    r, n = 2, 400
    torch.manual_seed(0)
    x = torch.arange(n * 3 * 10, dtype=torch.float32).view(n, 3, 10)    # every value distinct
    out = PhaseShuffle(r).train()(x).numpy()
    seen = []
    for xi, oi in zip(x.numpy(), out):
        shifts = [s for s in range(-r, r + 1) if np.array_equal(oi, _reflected_shift(xi, s, r))]
        assert len(shifts) == 1, "each output row is the input row shifted by one s in [-r, r], all channels alike"
        seen.append(shifts[0])
    counts = np.bincount(np.array(seen) + r, minlength=2 * r + 1)
    assert (counts > 0).all() and counts.max() < 2 * counts.min(), counts    # every shift, drawn about evenly
    assert len(set(seen)) > 1                                                # per example, not per batch


def test_phase_shuffle_is_the_identity_in_eval_mode_and_at_radius_0():
    x = torch.randn(4, 3, 10)
    assert torch.equal(PhaseShuffle(2).eval()(x), x)
    assert torch.equal(PhaseShuffle(0).train()(x), x)


def test_phase_shift_is_twice_differentiable():
    x = torch.randn(3, 2, 7, dtype=torch.float64, requires_grad=True)
    shift = torch.tensor([-2, 0, 2])
    assert torch.autograd.gradcheck(lambda t: phase_shift(t, shift, 2), (x,))
    assert torch.autograd.gradgradcheck(lambda t: phase_shift(t, shift, 2), (x,))


def test_gradient_penalty_double_backward_through_the_critic_with_phase_shuffle():
    torch.manual_seed(0)
    d = WaveGANCritic(WaveGANSizes(2, 1024, dim=4)).train()      # three stages: two phase shuffles
    x = torch.randn(5, 2, 1024, requires_grad=True)
    (grad,) = torch.autograd.grad(d(x).sum(), x, create_graph=True)
    ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean().backward()
    # the penalty reaches every weight (biases only move the LeakyReLU's piecewise-constant slopes)
    for name, p in d.named_parameters():
        if name.endswith("weight"):
            assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("length, k", [(16, 1), (255, 1), (256, 2), (1000, 2), (1024, 3), (16383, 4),
                                       (16384, 5), (70000, 5)])
def test_the_number_of_stages_follows_the_length(length, k):
    assert stages(length) == k


@pytest.mark.parametrize("length", [16, 300, 1024])
def test_shapes_and_range_for_several_lengths(length):
    torch.manual_seed(0)
    cfg = ModelConfig(arch="wavegan", noise_dim=8, dim=4)
    g, d = build_networks(cfg, (2, length), 3)
    x = g(torch.randn(4, 8), torch.arange(4) % 3)
    assert x.shape == (4, 2, length) and x.abs().max() <= 1
    assert d(x).shape == (4, 1 + 3)


def test_the_paper_network_at_16384_samples_and_dim_64():
    """Donahue et al. 2019, tables 3 and 4 (WaveGAN, d = 64, c = 1); built only, no forward pass."""
    g, d = build_networks(ModelConfig(arch="wavegan", noise_dim=100, dim=64), (1, 16384))
    assert (g.input.in_features, g.input.out_features, g.base) == (100, 16 * 1024, 16)
    convs = [m for m in g.body if isinstance(m, torch.nn.ConvTranspose1d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size[0], c.stride[0]) for c in convs] == [
        (1024, 512, 25, 4), (512, 256, 25, 4), (256, 128, 25, 4), (128, 64, 25, 4), (64, 1, 25, 4)]
    convs = [m for m in d.body if isinstance(m, torch.nn.Conv1d)]
    assert [(c.in_channels, c.out_channels, c.kernel_size[0], c.stride[0]) for c in convs] == [
        (1, 64, 25, 4), (64, 128, 25, 4), (128, 256, 25, 4), (256, 512, 25, 4), (512, 1024, 25, 4)]
    assert [m.radius for m in d.body if isinstance(m, PhaseShuffle)] == [2, 2, 2, 2]     # all but the last layer
    assert d.output.in_features == 16 * 1024
    assert sum(p.numel() for p in g.parameters()) == 19_065_345
    assert sum(p.numel() for p in d.parameters()) == 17_427_969


@pytest.mark.parametrize("shape, message", [((1, 10), "model.arch=wavegan: signals of length 10: wavegan builds "
                                                      "series of at least 16 samples"),
                                            ((1, 32, 32), r"needs signals of shape \(channels, length\)")])
def test_a_shape_it_cannot_build_is_a_one_line_error(shape, message):
    with pytest.raises(UserError, match=message) as e:
        build_networks(ModelConfig(arch="wavegan", noise_dim=8, dim=4), shape)
    assert "\n" not in str(e.value)


def test_a_short_conditional_run_from_a_file_of_300_samples_keeps_its_length(tmp_path, capsys):
    rng = np.random.default_rng(0)
    t = np.arange(300) / 300
    y = np.arange(24) % 2
    x = np.sin(2 * np.pi * (3 + 5 * y[:, None]) * t + rng.uniform(0, 6, (24, 1)))[:, None, :]
    np.savez(tmp_path / "s.npz", x_train=x.astype(np.float32), y_train=y)
    sets = ["data.name=signals", f"data.path={tmp_path / 's.npz'}", "data.batch_size=8", "model.arch=wavegan",
            "model.dim=4", "model.noise_dim=8", "train.iterations=2", "train.eval_samples=20", "device=cpu"]
    assert main(["train", "signals-sines-cond", "--out", str(tmp_path / "r"), "--quiet",
                 *[a for s in sets for a in ("--set", s)]]) == 0
    assert "zero-padded" not in capsys.readouterr().err                    # wavegan builds 300 samples as they are
    run = wgangp.load_run(tmp_path / "r")
    assert run.data_shape == (1, 300) and run.n_classes == 2
    assert run.sample(6, seed=0, classes=1).shape == (6, 1, 300)
