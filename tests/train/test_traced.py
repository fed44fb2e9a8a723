"""train.trace_steps: the critic and generator steps replayed as traced aten graphs train exactly
as the eager steps do (bit for bit on the CPU), see later weight changes, re-trace on a new shape or
module mode, and refuse what they cannot run."""
import copy

import numpy as np
import pytest
import torch

from wgangp.config import load_config
from wgangp.errors import UserError
from wgangp.run import build_trainer

TOY = {"model.hidden": 16, "device": "cpu", "train.iterations": 6}


def _cases(tmp_path):
    np.savez(tmp_path / "c.npz", x_train=np.random.default_rng(0).integers(0, 256, (64, 32, 32, 3), dtype=np.uint8),
             y_train=np.arange(64) % 10)
    np.savez(tmp_path / "m.npz", x_train=np.random.default_rng(1).integers(0, 256, (64, 28, 28), dtype=np.uint8),
             y_train=np.arange(64) % 10)
    images = {"data.name": "images", "data.path": str(tmp_path / "c.npz"), "model.dim": 4, "data.batch_size": 8,
              "train.n_critic": 2, "device": "cpu", "train.iterations": 6}
    return {
        "toy, linear lr decay, EMA": ("toy-25gaussians-minute", {**TOY, "train.ema": 0.9}),
        "toy, conditional": ("toy-8gaussians-cond", TOY),
        "toy, clipping + rmsprop": ("toy-8gaussians-wgan-clip", TOY),
        "toy, standard GAN": ("toy-8gaussians-gan", TOY),
        "toy, one-sided penalty, native relu": ("toy-8gaussians", {**TOY, "loss.name": "wgan-gp-one-sided",
                                                                   "model.activation": "relu-native"}),
        "dcgan with BatchNorm": ("cifar10-dcgan", images),
        "resnet, AC-GAN": ("cifar10-resnet-acgan", images),
        "mnist dcgan, conditional (label concat)": ("mnist-dcgan-cond-fast", {**images, "data.path": str(tmp_path / "m.npz")}),
        "text": ("text-python-docs", {"device": "cpu", "train.iterations": 6, "data.max_lines": 256,
                                      "model.dim": 8, "data.batch_size": 8}),
    }


def _trainer(preset, over, traced):
    return build_trainer(load_config(preset, {**over, "train.trace_steps": traced}))


def _state(tr):
    return [t.clone() for t in (*tr.G.parameters(), *tr.G.buffers(), *tr.D.parameters(), *tr.D.buffers())]


@pytest.mark.parametrize("case", ["toy, linear lr decay, EMA", "toy, conditional", "toy, clipping + rmsprop",
                                  "toy, standard GAN", "toy, one-sided penalty, native relu", "dcgan with BatchNorm",
                                  "resnet, AC-GAN",
                                  "mnist dcgan, conditional (label concat)", "text"])
def test_traced_steps_train_bit_identically_to_the_eager_steps(tmp_path, case):
    preset, over = _cases(tmp_path)[case]
    eager, traced = _trainer(preset, over, False), _trainer(preset, over, True)
    assert eager.traced is None and traced.traced is not None
    for _ in range(4):
        eager.iteration()
        traced.iteration()
    for a, b in zip(_state(eager), _state(traced)):
        assert torch.equal(a, b)
    if eager.ema is not None:
        for a, b in zip(eager.ema.model.parameters(), traced.ema.model.parameters()):
            assert torch.equal(a, b)
    for key in ("opt_d", "opt_g"):
        for sa, sb in zip(getattr(eager, key).state.values(), getattr(traced, key).state.values()):
            assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert traced.drain_stats() == eager.drain_stats()
    assert len(traced.traced._critic.graphs) == 1 and len(traced.traced._generator.graphs) == 1   # traced once


def test_a_traced_step_sees_weights_loaded_after_tracing():
    over = {**TOY, "train.iterations": 20}
    eager, traced = _trainer("toy-8gaussians", over, False), _trainer("toy-8gaussians", over, True)
    eager.iteration()
    traced.iteration()
    state = eager.state_dict()
    eager.load_state_dict(copy.deepcopy(state))     # both runs go on from a checkpoint of the eager one, as from disk
    traced.load_state_dict(copy.deepcopy(state))
    with torch.no_grad():              # and a weight written in place is read by the next replay
        for tr in (eager, traced):
            next(tr.D.parameters()).mul_(0.5)
    eager.iteration()
    traced.iteration()
    for a, b in zip(_state(eager), _state(traced)):
        assert torch.equal(a, b)


def test_a_gradient_in_another_layout_is_stepped_as_autograd_would_leave_it():
    # torch's fused Adam reads a gradient whose strides differ from its parameter's as one flat array
    # (a silently wrong step): the traced step hands it over in the parameter's own layout
    tr = _trainer("toy-8gaussians", TOY, True)
    p = next(tr.D.parameters())
    g = torch.randn(p.shape[::-1]).t()                     # the transpose of a contiguous tensor, as mm's backward gives
    before = p.detach().clone()
    grads = [g] + [torch.zeros_like(q) for q in list(tr.D.parameters())[1:]]
    tr._apply_grads(grads, tr.D, tr.opt_d)
    ref = torch.nn.Parameter(before.clone())
    opt = torch.optim.Adam([ref], lr=tr.opt_d.param_groups[0]["lr"], betas=tr.cfg.optim.betas)   # unfused
    ref.grad = g.contiguous()
    opt.step()
    torch.testing.assert_close(p.detach(), ref.detach())


def test_a_new_batch_shape_or_module_mode_is_traced_again():
    tr = _trainer("toy-8gaussians", TOY, True)
    real = tr.source.sample_batch()
    z, alpha = torch.randn(real.shape[0], tr.cfg.model.noise_dim), torch.rand(real.shape[0], 1)
    tr.traced.critic(real, None, z, alpha)
    tr.traced.critic(real[:5], None, z[:5], alpha[:5])
    tr.G.eval()
    _, _, _, grads = tr.traced.critic(real, None, z, alpha)
    assert len(tr.traced._critic.graphs) == 3
    assert [g.shape for g in grads] == [p.shape for p in tr.D.parameters()]


@pytest.mark.parametrize("other", [{"train.precision": "bf16"}, {"train.compile": "default"},
                                   {"train.dp_epsilon": 5.0}])
def test_trace_steps_refuses_settings_it_cannot_run(other):
    with pytest.raises(UserError, match="trace_steps"):
        load_config("toy-8gaussians" if "train.dp_epsilon" not in other else "table-breast-cancer",
                    {**TOY, **other, "train.trace_steps": True})


def test_trace_steps_refuses_a_torchrun_job_with_the_fix():
    from types import SimpleNamespace

    with pytest.raises(UserError, match="trace_steps=false"):
        build_trainer(load_config("toy-8gaussians", {**TOY, "train.trace_steps": True}), None,
                      dist=SimpleNamespace(rank=0, world=2, local_rank=0))
