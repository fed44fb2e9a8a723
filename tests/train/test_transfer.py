"""``train.init_from``: a new run that starts from a trained run's generator and critic weights
(fine-tuning), at iteration 0 with its own optimisers; a resume of it needs only its own checkpoint;
a source that does not fit is refused in one line before anything is written."""
import json

import pytest
import torch

import wgangp
from wgangp.cli import main
from wgangp.train.checkpoint import load_checkpoint

BASE = {"model.hidden": 32, "model.depth": 2, "data.batch_size": 64, "train.log_every": 10, "train.eval_samples": 500,
        "optim.lr": 2e-3, "device": "cpu", "train.ckpt_every": 1000}


def _trained(tmp_path, iterations=300, **over):
    src = tmp_path / "source"
    wgangp.train("toy-8gaussians", src, {**BASE, "train.iterations": iterations, **over}, progress=False)
    return src


def _equal(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(torch.equal(a[k], b[k]) for k in a)


def test_the_new_run_starts_at_iteration_zero_from_the_source_weights_and_its_own_optimisers(tmp_path):
    src = _trained(tmp_path, iterations=20, **{"train.ema": 0.9})
    state = load_checkpoint(src / "checkpoint.pt")
    cfg = wgangp.load_config("toy-8gaussians", {**BASE, "train.init_from": str(src), "train.ema": 0.99, "seed": 7})
    tr = wgangp.build_trainer(cfg)
    assert tr.step == 0
    assert _equal(tr.G.state_dict(), state["generator"])              # the raw generator, not its EMA copy
    assert not _equal(state["ema"], state["generator"])
    assert _equal(tr.D.state_dict(), state["critic"])
    assert _equal(tr.ema.model.state_dict(), state["generator"])      # this run's average starts at the loaded G
    assert all(not s for s in tr.opt_g.state.values()) and all(not s for s in tr.opt_d.state.values())
    fresh = wgangp.build_trainer(wgangp.load_config("toy-8gaussians", {**BASE, "seed": 7}))
    assert not _equal(fresh.G.state_dict(), state["generator"])


def test_fine_tuning_a_trained_run_is_far_ahead_of_the_same_short_run_from_scratch(tmp_path):
    src = _trained(tmp_path)
    w1 = {}
    for name, extra in (("scratch", {}), ("tuned", {"train.init_from": str(src)})):
        run = wgangp.train("toy-8gaussians", tmp_path / name, {**BASE, "train.iterations": 10, "seed": 3, **extra},
                           progress=False)
        w1[name] = wgangp.evaluate(run, n=1000)["w1"]
    trained = wgangp.evaluate(wgangp.load_run(src), n=1000)["w1"]
    assert w1["tuned"] < 0.5 * w1["scratch"], (w1, trained)
    assert w1["tuned"] < 2 * trained + 0.05, (w1, trained)


def test_a_resumed_fine_tuned_run_needs_only_its_own_checkpoint_and_equals_one_run_through(tmp_path):
    src = _trained(tmp_path, iterations=20)
    over = {**BASE, "train.iterations": 12, "train.ckpt_every": 4, "train.init_from": str(src)}
    whole = wgangp.train("toy-8gaussians", tmp_path / "whole", over, progress=False)
    wgangp.train("toy-8gaussians", tmp_path / "split", over, progress=False, stop_after=6)
    (src / "checkpoint.pt").unlink()                                   # the source is gone
    split = wgangp.train(None, tmp_path / "split", resume=True, progress=False)
    assert split.step == whole.step == 12
    assert _equal(split.generator.state_dict(), whole.generator.state_dict())
    assert _equal(split.critic.state_dict(), whole.critic.state_dict())


@pytest.mark.parametrize("case, needle", [
    ("shape", "the generator of '"),
    ("missing", "does not exist"),
    ("no-checkpoint", "holds no checkpoint.pt"),
    ("other-kind", "is of a points run; this run is of signals data"),
])
def test_a_source_that_does_not_fit_is_refused_in_one_line_before_anything_is_written(tmp_path, capsys, case, needle):
    src = _trained(tmp_path, iterations=2)
    preset, over = "toy-8gaussians", {**BASE, "train.iterations": 2}
    if case == "shape":
        over["model.hidden"] = 16
    elif case == "missing":
        src = tmp_path / "nowhere"
    elif case == "no-checkpoint":
        (src / "checkpoint.pt").unlink()
    else:
        preset, over = "signals-sines-cond", {"train.iterations": 2, "device": "cpu", "model.dim": 8}
    out = tmp_path / "new"
    args = ["train", preset, "--out", str(out), "--quiet"] + [a for k, v in {**over, "train.init_from": src}.items()
                                                              for a in ("--set", f"{k}={v}")]
    assert main(args) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and needle in err[0] and "Traceback" not in err[0], err
    assert not (out / "checkpoint.pt").exists() and not (out / "config.json").exists()
    if case == "shape":
        assert "'net.0.weight' is (32, 2) there, (16, 2) here" in err[0]
        assert json.loads((src / "config.json").read_text())["model"]["hidden"] == 32    # the source untouched


def test_weights_whose_channels_or_classes_mean_something_else_here_are_refused(tmp_path):
    import numpy as np

    from wgangp.errors import UserError

    text = {"data.name": "text", "data.seq_len": 8, "data.batch_size": 8, "model.dim": 8, "model.depth": 1,
            "device": "cpu", "train.iterations": 1}
    (tmp_path / "a.txt").write_text("aab\n" * 40)            # the same characters, another frequency order:
    (tmp_path / "b.txt").write_text("abb\n" * 40)            # the same shapes, every channel another character
    wgangp.train("text-python-docs", tmp_path / "ta", {**text, "data.path": str(tmp_path / "a.txt")}, progress=False)
    with pytest.raises(UserError, match="character map is not this corpus's"):
        wgangp.build_trainer(wgangp.load_config("text-python-docs", {
            **text, "data.path": str(tmp_path / "b.txt"), "train.init_from": str(tmp_path / "ta")}))
    rng = np.random.default_rng(0)
    sig = {"data.name": "signals", "model.arch": "dcgan-1d", "model.dim": 4, "data.batch_size": 8, "device": "cpu",
           "train.iterations": 1, "model.conditional": True}
    for name, labels in (("12", [1, 2]), ("34", [3, 4])):
        np.savez(tmp_path / f"s{name}.npz", x_train=rng.normal(size=(16, 1, 32)).astype(np.float32),
                 y_train=np.tile(labels, 8))
    wgangp.train("signals-sines-cond", tmp_path / "sa", {**sig, "data.path": str(tmp_path / "s12.npz")}, progress=False)
    start = {**sig, "data.path": str(tmp_path / "s34.npz"), "train.init_from": str(tmp_path / "sa")}
    with pytest.raises(UserError, match=r"its classes \['1', '2'\] are not this data's \['3', '4'\]"):
        wgangp.build_trainer(wgangp.load_config("signals-sines-cond", start))
    uncond = {**start, "model.conditional": False}
    wgangp.train("signals-sines-cond", tmp_path / "su", {**sig, "model.conditional": False,
                                                         "data.path": str(tmp_path / "s12.npz")}, progress=False)
    assert wgangp.build_trainer(wgangp.load_config("signals-sines-cond", {**uncond, "train.init_from": str(
        tmp_path / "su")})).step == 0                          # unconditional: the classes do not matter
    np.savez(tmp_path / "s40.npz", x_train=rng.normal(size=(16, 1, 40)).astype(np.float32), y_train=np.tile([1, 2], 8))
    wgangp.train("signals-sines-cond", tmp_path / "sr", {**sig, "data.path": str(tmp_path / "s40.npz"), "data.length": 32,
                                                         "data.resample": True}, progress=False)
    with pytest.raises(UserError, match=r"its series were resampled to their length and this run's are cropped or "
                                        r"padded \(data.resample\): another time scale"):
        wgangp.build_trainer(wgangp.load_config("signals-sines-cond", {**start, "data.path": str(tmp_path / "s40.npz"),
                                                                       "data.length": 32, "train.init_from": str(tmp_path / "sr")}))
