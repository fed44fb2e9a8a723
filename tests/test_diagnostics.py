"""Critic diagnostics (the paper's Figure 1): per-layer gradient norms and weight statistics, their
logging every train.diag_every iterations, and the figures."""
import json

import numpy as np
import pytest
import torch

import wgangp
from wgangp import diagnostics, objectives
from wgangp.config import load_config
from wgangp.nets.mlp import MLP, MLPSizes
from wgangp.run import build_trainer


def _critic(depth=3, hidden=16, seed=0):
    torch.manual_seed(seed)
    return MLP(MLPSizes(2, 1, hidden=hidden, depth=depth))


@pytest.mark.parametrize("loss", ["wgan-gp", "gan"])
def test_critic_gradients_are_those_of_the_adversarial_term(loss):
    critic = _critic()
    real, fake = torch.randn(32, 2), torch.randn(32, 2) + 1
    grads = objectives.critic_gradients(critic, real, fake, loss)
    assert all(p.grad is None for p in critic.parameters())          # nothing accumulated
    d_real, d_fake = critic(real)[:, 0], critic(fake)[:, 0]
    value = (torch.nn.functional.softplus(-d_real).mean() + torch.nn.functional.softplus(d_fake).mean()
             if loss == "gan" else d_fake.mean() - d_real.mean())
    value.backward()
    for (name, p), g in zip(critic.named_parameters(), grads):
        torch.testing.assert_close(g, p.grad, msg=name)


def test_critic_report_norms_and_clip_share_per_layer():
    critic = _critic()
    objectives.clip_weights_(critic, 0.05)
    with torch.no_grad():
        critic.net[0].weight[:2] = 0.0                                # 2 rows of 16 x 2 off the bound
    real, fake = torch.randn(32, 2), torch.randn(32, 2)
    row = diagnostics.critic_report(critic, real, fake, "wgan-clip", clip_value=0.05)
    grads = dict(zip([n for n, _ in critic.named_parameters()],
                     objectives.critic_gradients(critic, real, fake, "wgan-clip")))
    layers = [n for n, _ in diagnostics.weight_layers(critic)]
    assert layers == ["net.0.weight", "net.2.weight", "net.4.weight", "net.6.weight"]   # input side first
    for name in layers:
        assert row[f"grad_norm/{name}"] == pytest.approx(float(grads[name].norm()), rel=1e-6)
        w = dict(critic.named_parameters())[name].detach()
        assert row[f"at_clip/{name}"] == pytest.approx(float((w.abs() >= 0.05 * (1 - 1e-3)).float().mean()))
        assert row[f"weight_absmax/{name}"] == pytest.approx(float(w.abs().max()))
    assert row["at_clip/net.0.weight"] == pytest.approx(1 - 4 / 32)
    assert row["grad_norm/all"] == pytest.approx(float(torch.cat([g.flatten() for g in grads.values()]).norm()),
                                                 rel=1e-6)
    assert "at_clip/all" not in diagnostics.critic_report(critic, real, fake, "wgan-gp")


def test_deep_clipped_critic_gradients_vanish_and_penalised_ones_do_not():
    """Figure 1a's claim on a 13-layer critic after a few iterations: with c = 0.01 the gradient
    shrinks by orders of magnitude from the output layer to the input layer; with the penalty not."""
    ratio = {}
    for loss, over in (("clip", {"loss.name": "wgan-clip", "optim.name": "rmsprop", "optim.lr": 5e-5}),
                       ("gp", {})):
        cfg = load_config("toy-swissroll", {**over, "model.depth": 12, "model.hidden": 64, "device": "cpu",
                                            "train.iterations": 10, "data.batch_size": 64})
        tr = build_trainer(cfg)
        for _ in range(10):
            tr.iteration()
        row = tr.diagnose()
        norms = [row[f"grad_norm/{n}"] for n, _ in diagnostics.weight_layers(tr.D)]
        ratio[loss] = norms[-1] / norms[0]
    assert ratio["clip"] > 1e4
    assert 1e-2 < ratio["gp"] < 1e2


def test_diagnostics_leave_training_untouched(tmp_path):
    """A BatchNorm generator and an image stream: diagnostics mid-run change no weight, no
    normalisation statistic and no later batch."""
    np.savez(tmp_path / "c.npz", x_train=np.random.default_rng(0).integers(0, 256, (64, 32, 32, 3), dtype=np.uint8))
    over = {"data.name": "images", "data.path": str(tmp_path / "c.npz"), "model.dim": 4, "data.batch_size": 8,
            "train.n_critic": 2, "device": "cpu", "train.iterations": 4}
    plain, probed = build_trainer(load_config("cifar10-dcgan", over)), build_trainer(load_config("cifar10-dcgan", over))
    for _ in range(4):
        plain.iteration()
        probed.iteration()
        probed.diagnose()
    assert any(b.numel() for b in probed.G.buffers())
    for a, b in zip(plain.state_dict()["generator"].values(), probed.state_dict()["generator"].values()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    for a, b in zip(plain.D.parameters(), probed.D.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    torch.testing.assert_close(plain.source.sample_batch(), probed.source.sample_batch(), rtol=0, atol=0)


def test_a_run_logs_diagnostics_and_draws_them(tmp_path, tiny):
    out = tmp_path / "r"
    wgangp.train("toy-8gaussians-wgan-clip", out, {**tiny, "train.diag_every": 4}, progress=False)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    diag = [r for r in rows if r["kind"] == "diag"]
    assert [r["step"] for r in diag] == [4, 8, 12]
    assert {"grad_norm/net.0.weight", "at_clip/all", "weight_std/net.4.weight"} <= set(diag[0])
    assert diag[-1]["at_clip/all"] > 0.5          # clipping at c = 0.01 holds most weights at the bound
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(out / "tb"), size_guidance={"histograms": 0, "scalars": 0})
    events.Reload()
    assert [e.step for e in events.Histograms("weights/critic/net.0.weight")] == [4, 8, 12]
    assert "diag/grad_norm/net.0.weight" in events.Tags()["scalars"]
    for name in ("critic_weights.png", "critic_gradients.png"):
        assert (out / name).read_bytes()[:4] == b"\x89PNG"


def test_diag_every_may_change_at_resume_and_must_not_be_negative(tmp_path, tiny):
    out = tmp_path / "r"
    wgangp.train("toy-8gaussians", out, {**tiny, "train.iterations": 4}, progress=False)
    wgangp.train("toy-8gaussians", out, {**tiny, "train.iterations": 8, "train.diag_every": 2}, resume=True,
                 progress=False)
    steps = [json.loads(line)["step"] for line in (out / "metrics.jsonl").read_text().splitlines()
             if json.loads(line)["kind"] == "diag"]
    assert steps == [6, 8]
    with pytest.raises(wgangp.UserError, match="train.diag_every"):
        load_config("toy-8gaussians", {"train.diag_every": -1})
