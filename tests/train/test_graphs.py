"""train.cuda_graphs: the static-buffer iteration a CUDA graph captures, tested on the CPU without
capturing (same maths as the ordinary iteration, portable checkpoints, clear errors); the capture
itself in a ``gpu`` test."""
import copy

import numpy as np
import pytest
import torch

from wgangp.config import load_config
from wgangp.errors import UserError
from wgangp.train.graphs import CapturedIteration
from wgangp.run import build_trainer


def _cfg(preset, over, static):
    cfg = load_config(preset, over)
    cfg.train.cuda_graphs = static       # set after validation: the CPU test runs it without capturing
    return cfg


def _cases(tmp_path):
    np.savez(tmp_path / "c.npz", x_train=np.random.default_rng(0).integers(0, 256, (64, 32, 32, 3), dtype=np.uint8))
    toy = {"model.hidden": 16, "device": "cpu", "train.iterations": 6}
    return {
        "toy, linear lr decay": ("toy-8gaussians", {**toy, "optim.lr_decay": "linear"}),
        "toy, conditional": ("toy-8gaussians-cond", toy),
        "toy, clipping + rmsprop": ("toy-8gaussians-wgan-clip", toy),
        "toy, bf16 autocast": ("toy-8gaussians", {**toy, "train.precision": "bf16"}),
        "dcgan with BatchNorm": ("cifar10-dcgan", {"data.name": "images", "data.path": str(tmp_path / "c.npz"),
                                                   "model.dim": 4, "data.batch_size": 8, "train.n_critic": 2,
                                                   "device": "cpu", "train.iterations": 6,
                                                   "optim.lr_decay": "linear"}),
    }


@pytest.mark.parametrize("case", ["toy, linear lr decay", "toy, conditional", "toy, clipping + rmsprop",
                                  "toy, bf16 autocast", "dcgan with BatchNorm"])
def test_static_iteration_trains_as_the_ordinary_one(tmp_path, case):
    preset, over = _cases(tmp_path)[case]
    plain, static = build_trainer(_cfg(preset, over, False)), build_trainer(_cfg(preset, over, True), graph_capture=False)
    assert static.captured is not None and plain.captured is None
    for _ in range(4):
        plain.iteration()
        static.iteration()
    assert len(static.static_real) == static.cfg.train.n_critic    # one buffer per critic step, made once
    # capturable Adam rounds its bias correction a little differently (~1e-7 a step), which bf16
    # matmuls amplify to ~1e-6 after 4 iterations; a stale batch or a frozen lr moves weights by ~lr = 1e-4
    atol = 1e-6 if static.cfg.train.precision == "fp32" else 2e-5
    for (name, p), q in zip(list(plain.G.named_parameters()) + list(plain.D.named_parameters()),
                            list(static.G.parameters()) + list(static.D.parameters())):
        torch.testing.assert_close(q, p, rtol=0, atol=atol, msg=f"{name}")
    if static.cfg.optim.name == "adam":                  # the schedule wrote into the device learning rate
        assert isinstance(static.opt_d.param_groups[0]["lr"], torch.Tensor)
        assert float(static.opt_d.param_groups[0]["lr"]) == pytest.approx(plain.opt_d.param_groups[0]["lr"])
    assert static.drain_stats() == pytest.approx(plain.drain_stats(), rel=1e-4)


def test_static_run_checkpoint_loads_into_either_kind_of_run(tiny):
    over = {**tiny, "optim.lr_decay": "linear"}
    static = build_trainer(_cfg("toy-8gaussians", over, True), graph_capture=False)
    for _ in range(3):
        static.iteration()
    state = static.state_dict()
    assert all(isinstance(g["lr"], float) and not g["capturable"] for g in state["opt_d"]["param_groups"])
    assert isinstance(static.opt_d.param_groups[0]["lr"], torch.Tensor)        # the live optimiser untouched
    again, plain = build_trainer(_cfg("toy-8gaussians", over, True), graph_capture=False), build_trainer(
        _cfg("toy-8gaussians", over, False))
    for tr in (again, plain):
        tr.load_state_dict(copy.deepcopy(state))       # as from disk: no tensors shared with the live run
    group = again.opt_d.param_groups[0]
    assert group["capturable"] and isinstance(group["lr"], torch.Tensor)       # graph-safe again after the load
    assert isinstance(plain.opt_d.param_groups[0]["lr"], float)
    for _ in range(2):
        static.iteration()
        again.iteration()
        plain.iteration()
    # the reloaded static run continues bit for bit: weights, both optimisers, RNG states, step
    keys = ("step", "generator", "critic", "opt_g", "opt_d", "rng")
    torch.testing.assert_close({k: again.state_dict()[k] for k in keys}, {k: static.state_dict()[k] for k in keys},
                               rtol=0, atol=0)
    for p, r in zip(static.D.parameters(), plain.D.parameters()):
        torch.testing.assert_close(r, p, rtol=0, atol=1e-6)


@pytest.mark.parametrize("setting,message", [
    ({"train.precision": "fp16"}, "fp16"), ({"train.compile": "default"}, "train.compile")])
def test_cuda_graphs_clashes_are_one_line_errors(setting, message):
    with pytest.raises(UserError, match=message):
        load_config("toy-8gaussians", {"train.cuda_graphs": True, **setting})


def test_cuda_graphs_without_a_gpu_or_with_ddp_are_one_line_errors(tiny):
    from wgangp.train.distributed import DistInfo

    with pytest.raises(UserError, match="needs a CUDA device"):
        build_trainer(_cfg("toy-8gaussians", {**tiny, "device": "cpu"}, True))
    if not torch.cuda.is_available():
        with pytest.raises(UserError, match="needs a CUDA device"):
            build_trainer(_cfg("toy-8gaussians", {**tiny, "device": "auto"}, True))
    with pytest.raises(UserError, match="one process"):
        build_trainer(_cfg("toy-8gaussians", tiny, True), dist=DistInfo(0, 2, 0), graph_capture=False)


def test_replays_that_draw_the_same_noise_are_an_error():
    witness = torch.zeros(4)
    runner = CapturedIteration(lambda: None, capture=False, witness=witness)
    runner._check_fresh_draws()
    witness.add_(1.0)                                 # the generator advanced: fine
    runner._check_fresh_draws()
    runner = CapturedIteration(lambda: None, capture=False, witness=witness)
    runner._check_fresh_draws()
    with pytest.raises(RuntimeError, match="same noise"):
        runner._check_fresh_draws()


@pytest.mark.gpu
@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA device")
def test_captured_iteration_trains_as_the_uncaptured_one_on_cuda(tmp_path):
    preset, over = _cases(tmp_path)["dcgan with BatchNorm"]
    over = {**over, "device": "cuda", "train.tf32": False}
    eager, graphed = build_trainer(_cfg(preset, over, True), graph_capture=False), build_trainer(_cfg(preset, over, True))
    draws = []
    for _ in range(8):                                # 3 warm-up iterations, the capture, 4 replays
        eager.iteration()
        graphed.iteration()
        draws.append(graphed.z_g.clone())
    assert graphed.captured.graph is not None
    assert all(not torch.equal(a, b) for a, b in zip(draws, draws[1:]))      # fresh noise at every replay
    for p, q in zip(list(eager.G.parameters()) + list(eager.D.parameters()),
                    list(graphed.G.parameters()) + list(graphed.D.parameters())):
        torch.testing.assert_close(q, p, rtol=1e-4, atol=1e-5)
