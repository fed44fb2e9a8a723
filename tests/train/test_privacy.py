"""Differential privacy (train.dp_epsilon): per-sample gradients of the whole critic loss, clipping
on every step, the accountant, refusals before training, and no silent non-private fallback."""
import json

import numpy as np
import pytest
import torch

from wgangp import objectives
from wgangp.cli import main
from wgangp.config import load_config
from wgangp.errors import UserError
from wgangp.nets.mlp import MLP, MLPSizes
from wgangp.train import privacy


def _table(path, n=150, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    path.write_text("x,z,site,y\n" + "".join(f"{rng.normal(y[i]):.3f},{rng.normal():.3f},{['a', 'b'][i % 2]},{y[i]}\n"
                                             for i in range(n)))
    return path


@pytest.mark.parametrize("loss", ["wgan-gp", "wgan-gp-one-sided"])
def test_per_sample_gradients_sum_to_the_batch_gradient_penalty_included(loss):
    torch.manual_seed(0)
    critic = MLP(MLPSizes(5, 1, 16, 2, "relu-native")).double()
    real, fake, alpha = torch.randn(7, 5).double(), torch.randn(7, 5).double(), torch.rand(7, 1).double()
    per, stats = objectives.per_sample_critic_grads(critic, real, fake, alpha, loss, 10.0)
    batch_loss, w, penalty = objectives.critic_loss(critic, real, fake, alpha, loss, 10.0)
    assert penalty > 0
    torch.testing.assert_close(stats.mean(0), torch.stack((w, penalty, batch_loss.detach())))   # the log's statistics
    want = torch.autograd.grad(batch_loss * 7, list(critic.parameters()))       # the batch loss is the mean
    for (name, _), g in zip(critic.named_parameters(), want):
        torch.testing.assert_close(per[name].sum(0), g, rtol=1e-8, atol=1e-10)
    solo = objectives.critic_loss(critic, real[:1], fake[:1], alpha[:1], loss, 10.0)[0]   # sample 0 alone
    for (name, p), g in zip(critic.named_parameters(), torch.autograd.grad(solo, list(critic.parameters()))):
        torch.testing.assert_close(per[name][0], g, rtol=1e-8, atol=1e-10)


def test_the_noise_multiplier_meets_the_target_by_two_accountants():
    cfg = load_config("table", {"data.path": "x.csv", "train.dp_epsilon": 3.0, "train.iterations": 400})
    p = privacy.plan(cfg.train, 64, 1000)
    assert p.delta == 1e-6 and p.sample_rate == 0.064 and p.steps == 2000
    assert abs(p.spent() - 3.0) < 0.05                            # RDP: the epsilon asked for
    from opacus.accountants import PRVAccountant, RDPAccountant

    rdp = RDPAccountant()
    for _ in range(p.steps):                                       # stepped one at a time, as Opacus' optimiser does
        rdp.step(noise_multiplier=p.noise_multiplier, sample_rate=p.sample_rate)
    assert abs(rdp.get_epsilon(p.delta) - p.spent()) < 1e-9
    prv = PRVAccountant()
    prv.history = [(p.noise_multiplier, p.sample_rate, p.steps)]
    assert 0.5 * p.spent() < prv.get_epsilon(p.delta) <= p.spent() + 0.05   # a tighter accountant: never above RDP
    assert p.spent(p.steps // 4) < p.spent()


def test_a_target_too_small_or_an_unsupported_setting_is_refused_before_training(tmp_path, capsys):
    path = _table(tmp_path / "t.csv")
    out = tmp_path / "r"
    assert main(["train", "table", "--out", str(out), "--quiet", "--set", f"data.path={path}", "--set", "device=cpu",
                 "--set", "train.dp_epsilon=0.01", "--set", "train.iterations=3000"]) == 2
    assert "train.dp_epsilon=0.01 is too small for 15000 critic steps" in capsys.readouterr().err
    assert not (out / "checkpoint.pt").exists()
    with pytest.raises(UserError, match="cannot be combined with loss.name=wgan-clip"):
        load_config("table", {"data.path": str(path), "train.dp_epsilon": 1, "loss.name": "wgan-clip"})
    assert load_config("table", {"data.path": str(path), "train.dp_epsilon": 1}).model.activation == "relu-native"


def test_every_step_is_clipped_and_noised_and_the_plain_critic_loss_never_runs(tmp_path, monkeypatch):
    norms, calls = [], {"per_sample": 0}
    real_step, real_grads = privacy.PrivateCritic._noisy_step, objectives.per_sample_critic_grads

    def watched_step(self, grads, b):
        real_step(self, grads, b)
        norms.append(self.last_norms.max().item() if b else 0.0)

    def counted(*a, **k):
        calls["per_sample"] += 1
        return real_grads(*a, **k)

    def forbidden(*a, **k):
        raise AssertionError("the non-private critic loss ran in a DP run")

    monkeypatch.setattr(privacy.PrivateCritic, "_noisy_step", watched_step)
    monkeypatch.setattr(objectives, "per_sample_critic_grads", counted)
    monkeypatch.setattr(objectives, "critic_loss", forbidden)
    out = tmp_path / "r"
    assert main(["train", "table", "--out", str(out), "--quiet", "--set", f"data.path={_table(tmp_path / 't.csv')}",
                 "--set", "data.label=y", "--set", "model.conditional=true", "--set", "device=cpu",
                 "--set", "train.dp_epsilon=5", "--set", "train.dp_max_grad_norm=0.5", "--set", "train.iterations=4",
                 "--set", "model.hidden=32"]) == 0
    assert len(norms) == 20 and calls["per_sample"] >= 18              # 4 iterations x 5 critic steps
    assert max(norms) <= 0.5 + 1e-5 and max(norms) > 0.4                 # clipped to C, and C was reached
    result = json.loads((out / "eval.json").read_text())
    assert result["dp"] and 0 < result["dp_epsilon_spent"] <= 5.0 + 0.05 and result["dp_delta"] == pytest.approx(1 / 120 ** 2)


def test_dp_without_the_accountant_library_is_an_error_not_a_plain_run(tmp_path, monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_opacus(name, *a, **k):
        if name.startswith("opacus"):
            raise ImportError("No module named 'opacus'")
        return real_import(name, *a, **k)

    monkeypatch.setattr(builtins, "__import__", no_opacus)
    cfg = load_config("table", {"data.path": str(_table(tmp_path / "t.csv")), "train.dp_epsilon": 1.0})
    with pytest.raises(UserError, match="needs Opacus' privacy accountant"):
        privacy.plan(cfg.train, 64, 120)


def test_the_ledger_counts_redone_steps_and_a_dp_resume_keeps_its_noise(tmp_path, capsys):
    path = _table(tmp_path / "t.csv")
    out = tmp_path / "r"
    args = ["train", "table", "--out", str(out), "--quiet", "--set", f"data.path={path}", "--set", "device=cpu",
            "--set", "train.dp_epsilon=5", "--set", "train.iterations=4", "--set", "model.hidden=16",
            "--set", "train.ckpt_every=2", "--set", "train.eval_every=0"]
    assert main(args) == 0
    assert json.loads((out / privacy.LEDGER).read_text()) == {"critic_steps": 20}
    first = json.loads((out / "eval.json").read_text())["dp_epsilon_spent"]
    (out / privacy.LEDGER).write_text(json.dumps({"critic_steps": 30}))    # as if 10 steps were re-done after a kill
    capsys.readouterr()
    assert main(["eval", str(out), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["dp_critic_steps"] == 30 and again["dp_epsilon_spent"] > first      # counted, not hidden
    assert main(["train", "--out", str(out), "--resume", "--set", "train.iterations=8"]) == 2
    assert "cannot change train.iterations (4 -> 8)" in capsys.readouterr().err
    with pytest.raises(UserError, match="on_nonfinite=rollback"):
        load_config("table", {"data.path": str(path), "train.dp_epsilon": 1, "train.on_nonfinite": "rollback"})
