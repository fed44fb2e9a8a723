"""The training step and loop: clipping, frozen critic in the G step, EMA, lr decay, resume."""
import math
import os
import signal
import subprocess
import sys
import time

import pytest
import torch

import wgangp
from wgangp.config import load_config
from wgangp.train.checkpoint import load_checkpoint
from wgangp.run import build_trainer

from tests.checks import assert_same_state


def _trainer(tiny, **extra):
    return build_trainer(load_config("toy-8gaussians", {**tiny, **extra}))


def test_weight_clipping_keeps_critic_in_range(tiny):
    tr = _trainer(tiny, **{"loss.name": "wgan-clip", "optim.name": "rmsprop", "optim.lr": 0.5,
                           "loss.clip_value": 0.01})
    for _ in range(3):
        tr.iteration()
    params = torch.cat([p.flatten() for p in tr.D.parameters()])
    assert params.abs().max().item() <= 0.01
    assert (params.abs() == 0.01).float().mean() > 0.5      # lr 0.5 pushed most weights to the bound


def test_generator_step_leaves_critic_unchanged(tiny):
    tr = _trainer(tiny)
    before = {k: v.clone() for k, v in tr.D.state_dict().items()}
    g_before = [p.clone() for p in tr.G.parameters()]
    tr.generator_step()
    for k, v in tr.D.state_dict().items():
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)
    assert all(p.grad is None for p in tr.D.parameters())
    assert all(p.requires_grad for p in tr.D.parameters())
    assert any(not torch.equal(a, b) for a, b in zip(g_before, tr.G.parameters()))


def test_alpha_is_drawn_per_sample(tiny):
    tr = _trainer(tiny)
    tr.critic_step(tr.source.sample_batch())
    assert tr.alpha.shape == (tiny["data.batch_size"], 1)
    assert tr.alpha.unique().numel() == tiny["data.batch_size"]
    assert 0 <= tr.alpha.min() and tr.alpha.max() <= 1


def test_ema_follows_the_formula(tiny):
    tr = _trainer(tiny, **{"train.ema": 0.9})
    ema0 = [p.clone() for p in tr.ema.model.parameters()]
    tr.iteration()
    for e0, e1, p in zip(ema0, tr.ema.model.parameters(), tr.G.parameters()):
        torch.testing.assert_close(e1, 0.9 * e0 + 0.1 * p)


def test_linear_lr_decay_reaches_zero(tiny):
    """Each update runs at base * (1 - step / iterations), ``step`` the iterations done before it, for
    both optimisers (each from its own base): the run's last update at base / iterations, and 0 from
    step == iterations on -- not negative, and an update there moves no weight."""
    T, lr_d, lr_g = 4, 1e-3, 4e-4
    tr = _trainer(tiny, **{"optim.lr_decay": "linear", "train.iterations": T, "optim.lr": lr_d, "optim.lr_g": lr_g})

    def weights():
        return [p.detach().clone() for p in (*tr.G.parameters(), *tr.D.parameters())]

    for i in range(T + 2):                           # the run's T updates, then two past its end
        assert tr.step == i
        before = weights()
        tr.iteration()
        frac = max(0.0, 1.0 - i / T)                 # 1, 3/4, 1/2, 1/4, then 0, 0
        for opt, base in ((tr.opt_d, lr_d), (tr.opt_g, lr_g)):
            assert [g["lr"] for g in opt.param_groups] == pytest.approx([base * frac], rel=1e-12, abs=1e-15), i
        moved = any(not torch.equal(a, b) for a, b in zip(before, weights()))
        assert moved == (i < T), f"step {i}: lr {tr.opt_d.param_groups[0]['lr']}"
    assert tr.opt_d.param_groups[0]["lr"] == tr.opt_g.param_groups[0]["lr"] == 0.0


# what a checkpoint holds that a bitwise resume must reproduce: all of it but the wall-clock
# seconds, the version string and the config (a resume may change e.g. train.iterations)
_NOT_STATE = ("train_seconds", "train_cpu_seconds", "version", "config")


def _assert_same_checkpoint(a, b, *, ema=False, scalers=False):
    """The checkpoints in run dirs ``a`` and ``b`` hold the same training state: generator, critic,
    EMA, both optimisers (moments, step counts, param_groups with their lr), GradScalers, RNG
    states (torch, noise generator, data source) and step. ``ema`` / ``scalers``: the run has them
    (so a comparison of two Nones cannot pass for one of them)."""
    sa, sb = load_checkpoint(a / "checkpoint.pt"), load_checkpoint(b / "checkpoint.pt")
    assert {"generator", "critic", "ema", "opt_g", "opt_d", "scalers", "rng", "step"} <= set(sa)
    assert (sa["ema"] is not None) == ema and (sa["scalers"] is not None) == scalers
    assert all(sa[k]["state"] for k in ("opt_g", "opt_d")), "no optimiser state to compare"
    assert_same_state({k: v for k, v in sa.items() if k not in _NOT_STATE},
                       {k: v for k, v in sb.items() if k not in _NOT_STATE}, "checkpoint")


def test_interrupted_and_resumed_equals_uninterrupted(tmp_path, tiny):
    over = {**tiny, "train.ema": 0.99, "optim.lr_decay": "linear"}
    wgangp.train("toy-25gaussians", tmp_path / "a", over, progress=False)
    part = wgangp.train("toy-25gaussians", tmp_path / "b", over, progress=False, stop_after=6)
    assert not part.completed and part.step == 6
    done = wgangp.train(None, tmp_path / "b", resume=True, progress=False)
    assert done.completed and done.step == tiny["train.iterations"]
    _assert_same_checkpoint(tmp_path / "a", tmp_path / "b", ema=True)
    steps = [r["step"] for r in wgangp.api.read_metrics(tmp_path / "b") if r["kind"] == "train"]
    assert steps == sorted(set(steps))                 # no duplicated log rows after the resume


def test_ema_switched_on_at_a_resume_starts_from_the_trained_generator(tmp_path, tiny):
    part = wgangp.train("toy-25gaussians", tmp_path / "r", tiny, progress=False, stop_after=4)
    trained = [p.clone() for p in part.generator.parameters()]
    tr = _trainer(tiny, **{"train.ema": 0.9})
    tr.load_state_dict(load_checkpoint(tmp_path / "r" / "checkpoint.pt"))
    for e, p in zip(tr.ema.model.parameters(), trained):      # not the fresh initial weights
        torch.testing.assert_close(e, p, rtol=0, atol=0)
    tr.iteration()
    for e, e0, p in zip(tr.ema.model.parameters(), trained, tr.G.parameters()):
        torch.testing.assert_close(e, 0.9 * e0 + 0.1 * p)
    from wgangp.cli import main                                   # the same through the CLI's --resume
    assert main(["train", "--out", str(tmp_path / "r"), "--resume", "--quiet", "--set", "train.ema=0.9"]) == 0
    assert load_checkpoint(tmp_path / "r" / "checkpoint.pt")["ema"] is not None


def test_sigkill_then_resume_is_bitwise_identical(tmp_path):
    args = ["toy-8gaussians", "--quiet", "--set", "model.hidden=32", "--set", "data.batch_size=64",
            "--set", "train.iterations=600", "--set", "train.ckpt_every=20", "--set", "train.eval_every=0",
            "--set", "train.eval_samples=200", "--set", "device=cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "wgangp", "train"]
    subprocess.run(cmd + args + ["--out", str(tmp_path / "a")], env=env, check=True, capture_output=True)
    proc = subprocess.Popen(cmd + args + ["--out", str(tmp_path / "b")], env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = tmp_path / "b" / "checkpoint.pt"
    deadline = time.time() + 120
    while not ckpt.exists() and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    killed_at = load_checkpoint(ckpt)["step"]           # loadable: never half-written
    assert killed_at < 600, "the run finished before it could be killed; make it longer"
    out = subprocess.run(cmd + ["--out", str(tmp_path / "b"), "--resume", "--quiet"], env=env,
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    _assert_same_checkpoint(tmp_path / "a", tmp_path / "b")


def test_sigint_stops_cleanly_with_a_checkpoint(tmp_path):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    out = tmp_path / "r"
    proc = subprocess.Popen([sys.executable, "-m", "wgangp", "train", "toy-8gaussians", "--out", str(out), "--quiet",
                             "--set", "model.hidden=32", "--set", "train.iterations=100000", "--set",
                             "train.ckpt_every=100000", "--set", "train.log_every=10", "--set", "device=cpu"],
                            env=env, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 120
    metrics = out / "metrics.jsonl"
    while (not metrics.exists() or not metrics.read_text()) and time.time() < deadline and proc.poll() is None:
        time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "--resume" in err and "Traceback" not in err
    step = load_checkpoint(out / "checkpoint.pt")["step"]      # saved on the way out, though ckpt_every is huge
    assert 10 <= step < 100000


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_mixed_precision_runs_finite_and_resumes_bitwise(tmp_path, tiny, precision):
    over = {**tiny, "train.precision": precision}
    wgangp.train("toy-8gaussians", tmp_path / "a", over, progress=False)
    wgangp.train("toy-8gaussians", tmp_path / "b", over, progress=False, stop_after=3)
    wgangp.train(None, tmp_path / "b", resume=True, progress=False)
    _assert_same_checkpoint(tmp_path / "a", tmp_path / "b", scalers=precision == "fp16")
    from wgangp.train.logging import read_metrics

    train_rows = [r for r in read_metrics(tmp_path / "a") if r["kind"] == "train"]
    assert train_rows and all(math.isfinite(r["penalty"]) and math.isfinite(r["w_estimate"]) for r in train_rows)


def test_fp16_scaler_skips_an_overflowing_critic_step_and_backs_off():
    from wgangp.config import load_config
    from wgangp.run import build_trainer

    tr = build_trainer(load_config("toy-8gaussians", {"model.hidden": 16, "device": "cpu", "train.precision": "fp16"}))
    tr.scaler_d = torch.amp.GradScaler("cpu", init_scale=2.0 ** 40)
    before = [p.detach().clone() for p in tr.D.parameters()]
    tr.critic_step(tr.source.sample_batch())
    assert all(torch.equal(a, b) for a, b in zip(before, tr.D.parameters()))     # inf gradients: no step
    assert tr.scaler_d.get_scale() == 2.0 ** 39


def test_compile_leaves_the_penalty_path_eager(tiny):
    tr = _trainer(tiny, **{"train.compile": "default"})       # torch.compile is lazy: nothing compiled yet
    assert tr.D_step is tr.D and not isinstance(tr.D_step, torch._dynamo.eval_frame.OptimizedModule)
    assert isinstance(tr.G_fwd, torch._dynamo.eval_frame.OptimizedModule) and tr.G_step is tr.G_fwd
    assert isinstance(tr.D_gen, torch._dynamo.eval_frame.OptimizedModule) and tr.D_gen._orig_mod is tr.D


@pytest.mark.slow
@pytest.mark.parametrize("policy", ["", "translation,cutout"])
def test_compiled_steps_train_as_the_eager_ones(tmp_path, policy):
    """torch.compile of the generator and the generator-step critic (CPU inductor; ~1 min to compile),
    also under train.diffaugment (its ops run eagerly around the compiled critic, from the same draws)."""
    import numpy as np
    from torch._dynamo.utils import counters

    np.savez(tmp_path / "c.npz", x_train=np.random.default_rng(0).integers(0, 256, (64, 32, 32, 3), dtype=np.uint8))

    def train(mode):
        cfg = load_config("cifar10-dcgan", {"data.name": "images", "data.path": str(tmp_path / "c.npz"),
                                            "model.dim": 4, "data.batch_size": 8, "train.n_critic": 2,
                                            "device": "cpu", "train.compile": mode, "train.diffaugment": policy})
        tr = build_trainer(cfg)
        for _ in range(3):
            tr.iteration()
        return tr

    torch._dynamo.reset()                 # a graph compiled by the other case would be reused, not counted
    counters.clear()
    eager, compiled = train("none"), train("default")
    assert counters["stats"]["unique_graphs"] >= 2                # the generator and the critic were compiled
    for p, q in zip(eager.D.parameters(), compiled.D.parameters()):
        torch.testing.assert_close(q, p, rtol=0, atol=1e-6)
    z = torch.randn(16, eager.cfg.model.noise_dim, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():                 # train-mode BN: the output does not depend on the pre-BN biases,
        torch.testing.assert_close(compiled.G(z), eager.G(z), rtol=0, atol=1e-5)  # whose Adam steps are noise


def test_fp16_scalers_hold_their_scale_before_the_first_step_and_after_a_resume(tmp_path):
    """The penalty's input-gradient is taken of the scaled critic output: without a scale tensor
    before the first ``scale()`` (a new run, or a resume) the first penalty was unscaled."""
    from wgangp.config import load_config
    from wgangp.run import build_trainer

    cfg = load_config("toy-8gaussians", {"model.hidden": 16, "data.batch_size": 16, "device": "cpu",
                                         "train.precision": "fp16"})
    tr = build_trainer(cfg)
    assert tr.scaler_d._get_scale_async() is not None and float(tr.scaler_d._get_scale_async()) == 1024.0
    tr.iteration()
    state = tr.state_dict()
    state["scalers"][0]["scale"] = 256.0
    fresh = build_trainer(cfg)
    fresh.load_state_dict(state)
    assert float(fresh.scaler_d._get_scale_async()) == 256.0
