"""``train.on_nonfinite=rollback``: a NaN reloads the last finite checkpoint, lowers the learning rates
when asked, goes on with fresh streams and says so in metrics.jsonl; a divergence that keeps coming
back stops after ``train.max_rollbacks`` with the message of the stop policy."""
import json

import pytest
import torch

import wgangp
from wgangp import objectives
from wgangp.errors import Diverged
from wgangp.train.checkpoint import load_checkpoint

CFG = {"model.hidden": 16, "model.depth": 1, "data.batch_size": 32, "train.log_every": 1, "train.ckpt_every": 4,
       "train.eval_samples": 64, "train.iterations": 12, "optim.lr": 1e-3, "device": "cpu",
       "train.on_nonfinite": "rollback", "train.rollback_lr_scale": 0.5}


def _poison(monkeypatch, calls: set):
    """critic_loss returns NaN at the critic-step numbers in ``calls`` (each once)."""
    real, count = objectives.critic_loss, [0]

    def critic_loss(*a, **k):
        count[0] += 1
        out = real(*a, **k)
        if count[0] in calls:
            calls.discard(count[0])
            return tuple(t * float("nan") for t in out)
        return out
    monkeypatch.setattr(objectives, "critic_loss", critic_loss)


def test_a_nan_rolls_back_to_the_last_checkpoint_and_the_run_completes(tmp_path, monkeypatch):
    _poison(monkeypatch, {5 * 6 + 1})                  # the first critic step of iteration 7
    out = tmp_path / "r"
    run = wgangp.train("toy-8gaussians", out, CFG, progress=False)
    assert run.completed and run.step == 12
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    events = [r for r in rows if r["kind"] == "event"]
    assert len(events) == 1 and events[0]["event"] == "rollback"
    assert events[0]["step"] == 4 and events[0]["from_step"] == 7 and events[0]["lr_scale"] == 0.5
    steps = [r["step"] for r in rows if r["kind"] == "train"]
    assert steps == list(range(1, 13))                 # the diverged iterations' rows were dropped
    lrs = {r["step"]: r["lr"] for r in rows if r["kind"] == "train"}
    assert lrs[4] == pytest.approx(1e-3) and lrs[5] == pytest.approx(5e-4)
    state = load_checkpoint(out / "checkpoint.pt")
    assert state["rollbacks"] == 1 and state["lr_scale"] == 0.5
    assert all(torch.isfinite(v).all() for v in state["generator"].values())


def test_a_rolled_back_run_resumes_with_its_lowered_learning_rate(tmp_path, monkeypatch):
    _poison(monkeypatch, {5 * 6 + 1})
    out = tmp_path / "r"
    wgangp.train("toy-8gaussians", out, {**CFG, "train.iterations": 8}, progress=False)
    monkeypatch.undo()
    run = wgangp.train(None, out, {"train.iterations": 12}, resume=True, progress=False)
    assert run.step == 12
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines() if '"train"' in line]
    assert all(r["lr"] == pytest.approx(5e-4) for r in rows if r["step"] > 8)


def test_a_divergence_that_keeps_coming_back_stops_after_max_rollbacks(tmp_path, monkeypatch):
    _poison(monkeypatch, set(range(5 * 4 + 1, 10_000)))      # every critic step from iteration 5 on
    out = tmp_path / "r"
    with pytest.raises(Diverged, match=r"after 2 rollback\(s\).*still holds iteration 4 \(finite\)"):
        wgangp.train("toy-8gaussians", out, {**CFG, "train.max_rollbacks": 2}, progress=False)
    assert load_checkpoint(out / "checkpoint.pt")["step"] == 4


def test_without_a_checkpoint_there_is_nothing_to_roll_back_to(tmp_path, monkeypatch):
    _poison(monkeypatch, {1})
    with pytest.raises(Diverged, match="by iteration 1: .*no checkpoint.pt was written"):
        wgangp.train("toy-8gaussians", tmp_path / "r", CFG, progress=False)
