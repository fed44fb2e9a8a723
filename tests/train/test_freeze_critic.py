"""``train.freeze_critic=N`` (FreezeD, Mo et al. 2020): a fine-tuned run keeps its critic's first N
layers as ``train.init_from`` loaded them and trains the rest; a residual block or a norm belongs to
one layer; settings that cannot work are refused in one line."""
import numpy as np
import pytest
import torch

import wgangp
from wgangp.cli import main
from wgangp.config import ModelConfig
from wgangp.errors import UserError
from wgangp.nets import build_networks
from wgangp.train.checkpoint import load_checkpoint
from wgangp.train.transfer import critic_layers

BASE = {"model.hidden": 32, "model.depth": 2, "data.batch_size": 64, "train.log_every": 10, "train.eval_samples": 200,
        "optim.lr": 2e-3, "device": "cpu", "train.ckpt_every": 1000}


def _source(tmp_path):
    src = tmp_path / "source"
    wgangp.train("toy-8gaussians", src, {**BASE, "train.iterations": 5}, progress=False)
    return src


@pytest.mark.parametrize("traced", [False, True])
def test_the_frozen_layers_keep_the_loaded_weights_while_the_others_and_the_generator_train(tmp_path, traced):
    src = _source(tmp_path)
    state = load_checkpoint(src / "checkpoint.pt")
    loaded = state["critic"]
    run = wgangp.train("toy-8gaussians", tmp_path / "tuned", {**BASE, "train.iterations": 5, "train.init_from": str(src),
                                                              "train.freeze_critic": 2, "train.trace_steps": traced},
                       progress=False)
    after = run.critic.state_dict()
    frozen = ("net.0.weight", "net.0.bias", "net.2.weight", "net.2.bias")     # the toy critic: Linear, ReLU, ...
    assert all(torch.equal(after[k], loaded[k]) for k in frozen)
    assert not torch.equal(after["net.4.weight"], loaded["net.4.weight"])     # its output layer trains
    assert not torch.equal(run.generator.state_dict()["net.0.weight"], state["generator"]["net.0.weight"])
    # the same run without the freeze moves the first layer: the test above is not vacuous
    free = wgangp.train("toy-8gaussians", tmp_path / "free", {**BASE, "train.iterations": 5,
                                                              "train.init_from": str(src), "train.trace_steps": traced},
                        progress=False)
    assert not torch.equal(free.critic.state_dict()["net.0.weight"], loaded["net.0.weight"])


def test_a_frozen_fine_tuned_run_resumes_to_what_one_run_through_gives(tmp_path):
    src = _source(tmp_path)
    over = {**BASE, "train.iterations": 8, "train.ckpt_every": 4, "train.init_from": str(src), "train.freeze_critic": 1}
    whole = wgangp.train("toy-8gaussians", tmp_path / "whole", over, progress=False)
    wgangp.train("toy-8gaussians", tmp_path / "split", over, progress=False, stop_after=4)
    split = wgangp.train(None, tmp_path / "split", resume=True, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(split.critic.state_dict().values(), whole.critic.state_dict().values()))
    with pytest.raises(UserError, match=r"train.freeze_critic: 1 -> 2"):     # the optimiser holds the layers it trains
        wgangp.train(None, tmp_path / "split", resume=True, progress=False, overrides={"train.iterations": 12,
                                                                                     "train.freeze_critic": 2})


def test_a_residual_block_and_a_norm_each_belong_to_one_layer():
    m = ModelConfig(arch="resnet-1d", dim=8, conditional=True)
    _, d = build_networks(m, (1, 64), 3)
    assert [k for k, _ in critic_layers(d)] == ["blocks.0", "blocks.1", "blocks.2", "output"]   # the class head: one
    assert sum(len(p) for _, p in critic_layers(d)) == len(list(d.parameters()))
    _, d = build_networks(ModelConfig(arch="dcgan-64", dim=8), (3, 64, 64), 0)
    layers = dict(critic_layers(d))
    assert "net.3" not in layers and len(layers["net.2"]) == 4      # conv weight, bias + its norm's scale, shift


@pytest.mark.parametrize("over, needle", [
    ({"train.freeze_critic": 1}, "it needs train.init_from"),
    ({"train.freeze_critic": 3, "train.init_from": "SRC"}, "this critic has 3 layers (net.0, net.2, net.4)"),
    ({"train.freeze_critic": 1, "train.init_from": "SRC", "loss.name": "wgan-clip"}, "loss.name=wgan-clip"),
    ({"train.freeze_critic": -1, "train.init_from": "SRC"}, "'train.freeze_critic' must be >= 0"),
])
def test_a_freeze_that_cannot_work_is_refused_in_one_line(tmp_path, capsys, over, needle):
    src = _source(tmp_path)
    out = tmp_path / "new"
    sets = {**BASE, "train.iterations": 2, **{k: (str(src) if v == "SRC" else v) for k, v in over.items()}}
    assert main(["train", "toy-8gaussians", "--out", str(out), "--quiet"]
                + [a for k, v in sets.items() for a in ("--set", f"{k}={v}")]) == 2
    err = [line for line in capsys.readouterr().err.strip().splitlines() if not line.startswith("wgangp: note:")]
    assert len(err) == 1 and needle in err[0] and "Traceback" not in err[0], err
    assert not (out / "checkpoint.pt").exists()


def test_the_diagnostics_of_a_frozen_run_measure_every_layer_and_leave_the_frozen_ones_frozen(tmp_path):
    import json

    src = _source(tmp_path)
    run = wgangp.train("toy-8gaussians", tmp_path / "diag", {**BASE, "train.iterations": 4, "train.diag_every": 2,
                                                             "train.init_from": str(src), "train.freeze_critic": 1},
                       progress=False)
    rows = [json.loads(line) for line in (tmp_path / "diag" / "metrics.jsonl").read_text().splitlines()]
    diag = [r for r in rows if r.get("kind") == "diag"]
    assert diag and all(r["grad_norm/net.0.weight"] > 0 for r in diag)      # the frozen layer's gradient, measured
    assert not run.critic.net[0].weight.requires_grad and run.critic.net[2].weight.requires_grad


def test_a_private_fine_tune_keeps_the_frozen_layers_as_loaded(tmp_path):
    rng = np.random.default_rng(0)
    (tmp_path / "t.csv").write_text("x,z,y\n" + "".join(f"{rng.normal(i % 2):.3f},{rng.normal():.3f},{i % 2}\n"
                                                       for i in range(120)))
    table = {"data.path": str(tmp_path / "t.csv"), "data.label": "y", "device": "cpu", "train.iterations": 3,
             "model.hidden": 32, "model.depth": 2, "data.batch_size": 64}
    wgangp.train("table", tmp_path / "src", table, progress=False)
    loaded = load_checkpoint(tmp_path / "src" / "checkpoint.pt")["critic"]
    run = wgangp.train("table", tmp_path / "dp", {**table, "train.init_from": str(tmp_path / "src"),
                                                  "train.freeze_critic": 1, "train.dp_epsilon": 5}, progress=False)
    (first, params), *rest = critic_layers(run.critic)
    after = run.critic.state_dict()
    names = {id(p): n for n, p in run.critic.named_parameters()}
    assert all(torch.equal(after[names[id(p)]], loaded[names[id(p)]]) for p in params), first
    assert any(not torch.equal(after[names[id(p)]], loaded[names[id(p)]]) for _, ps in rest for p in ps)
    from wgangp import objectives                      # the clip is spent on what trains: no frozen gradients

    x = torch.randn(4, *run.data_shape)
    grads, _ = objectives.per_sample_critic_grads(run.critic, x, x, torch.rand(4, 1), "wgan-gp", 10.0)
    assert set(grads) == {names[id(p)] for _, ps in rest for p in ps}
