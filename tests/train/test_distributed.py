"""DDP on the CPU (gloo), two processes of one thread each: the same maths as one process over the
combined batch, identical parameters on every rank, rank-0-only output, and a bitwise resume."""
import gc
import json
import os
import socket
import subprocess
import sys

import pytest
import torch
import torch.multiprocessing as mp

from wgangp import objectives
from wgangp.config import load_config
from wgangp.domains import build_source
from wgangp.train.checkpoint import load_checkpoint
from wgangp.run import build_trainer
from wgangp.train.step import rank_seeds

from tests.checks import assert_same_state

pytestmark = pytest.mark.dist

WORLD, PER_RANK_BATCH, ITERS = 2, 8, 3
OVERRIDES = {"model.hidden": 16, "data.batch_size": PER_RANK_BATCH, "device": "cpu", "seed": 3,
             "train.iterations": ITERS}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _worker(rank: int, port: int, out: str, compile_mode: str = "none") -> None:
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(WORLD),
                      LOCAL_RANK=str(rank))
    import torch.distributed as dist

    from wgangp.train import distributed

    info = distributed.from_env("cpu")
    tr = build_trainer(load_config("toy-8gaussians", {**OVERRIDES, "train.compile": compile_mode}), None, dist=info)
    tr.critic_step(tr.source.sample_batch())                 # one critic step first: keep its gradients
    grads = {k: p.grad.clone() for k, p in tr.D.named_parameters()}
    for _ in range(ITERS):
        tr.iteration()
    from torch._dynamo.utils import counters

    torch.save({"G": tr.G.state_dict(), "D": tr.D.state_dict(), "grads": grads,
                "graphs": counters["stats"]["unique_graphs"]}, os.path.join(out, f"rank{rank}.pt"))
    del tr                 # as api.train does: free the DDP wrappers (reference cycles) while the group exists;
    gc.collect()           # Gloo work they hold, freed at interpreter exit, aborts the process (2 in 20 runs)
    dist.destroy_process_group()


def _one_process_over_the_combined_batch():
    """The same run by hand in one process: each step's batch is rank 0's draws then rank 1's."""
    cfg = load_config("toy-8gaussians", {**OVERRIDES, "data.batch_size": WORLD * PER_RANK_BATCH})
    ref = build_trainer(cfg)
    rank_cfg = load_config("toy-8gaussians", OVERRIDES)
    sources = [build_source(rank_cfg.data, rank_seeds(cfg.seed, r)[0]) for r in range(WORLD)]
    gens = [torch.Generator().manual_seed(rank_seeds(cfg.seed, r)[1]) for r in range(WORLD)]
    z = [torch.empty(PER_RANK_BATCH, cfg.model.noise_dim) for _ in range(WORLD)]
    a = [torch.empty(PER_RANK_BATCH, 1) for _ in range(WORLD)]

    def critic_step():
        real = torch.cat([s.sample_batch() for s in sources])
        noise = torch.cat([z[r].normal_(generator=gens[r]).clone() for r in range(WORLD)])
        alpha = torch.cat([a[r].uniform_(generator=gens[r]).clone() for r in range(WORLD)])
        with torch.no_grad():
            fake = ref.G(noise)
        loss, _, _ = objectives.critic_loss(ref.D, real, fake, alpha, "wgan-gp", cfg.loss.gp_weight)
        ref.opt_d.zero_grad(set_to_none=True)
        loss.backward()
        ref.opt_d.step()

    critic_step()
    ref.first_grads = {k: p.grad.clone() for k, p in ref.D.named_parameters()}
    for _ in range(ITERS):
        for _ in range(cfg.train.n_critic):
            critic_step()
        ref.D.requires_grad_(False)
        noise = torch.cat([z[r].normal_(generator=gens[r]).clone() for r in range(WORLD)])
        loss = objectives.generator_loss(ref.D, ref.G(noise), "wgan-gp")
        ref.opt_g.zero_grad(set_to_none=True)
        loss.backward()
        ref.opt_g.step()
        ref.D.requires_grad_(True)
    return ref


def test_two_gloo_ranks_equal_one_process_over_the_combined_batch(tmp_path):
    mp.spawn(_worker, args=(_free_port(), str(tmp_path)), nprocs=WORLD, join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(WORLD)]
    ref = _one_process_over_the_combined_batch()
    for k, g in ref.first_grads.items():            # DDP's averaged gradient = the combined batch's gradient
        assert torch.equal(ranks[0]["grads"][k], ranks[1]["grads"][k])
        torch.testing.assert_close(ranks[0]["grads"][k], g, rtol=1e-5, atol=1e-6, msg=f"critic gradient {k}")
    for net, module in (("G", ref.G), ("D", ref.D)):
        for k, v in module.state_dict().items():
            assert torch.equal(ranks[0][net][k], ranks[1][net][k]), f"ranks differ in {net}.{k}"
            # Adam divides by sqrt(v): a unit whose gradient is ~1e-12 (a dead ReLU) moves by ~lr on
            # rounding noise, so weights after 16 steps agree to a fraction of the 16 * lr = 1.6e-3 range
            torch.testing.assert_close(ranks[0][net][k], v, rtol=0, atol=2e-4, msg=f"{net}.{k} vs one process")
    # and the ranks really trained on different data: a single rank's own batch gives other weights
    solo = build_trainer(load_config("toy-8gaussians", OVERRIDES))
    solo.critic_step(solo.source.sample_batch())
    assert not torch.allclose(solo.D.net[0].weight.grad, ranks[0]["grads"]["net.0.weight"], rtol=1e-3)


@pytest.mark.slow
def test_ddp_with_compile_trains_like_eager_ddp_and_keeps_ranks_identical(tmp_path):
    # train.compile wraps the DDP generator in torch.compile (DDP's graph splitting at bucket
    # boundaries) and compiles the frozen critic of the generator step; the critic step stays eager
    for mode in ("none", "default"):
        (tmp_path / mode).mkdir()
        mp.spawn(_worker, args=(_free_port(), str(tmp_path / mode), mode), nprocs=WORLD, join=True)
    eager, compiled = ([torch.load(tmp_path / m / f"rank{r}.pt", weights_only=True) for r in range(WORLD)]
                       for m in ("none", "default"))
    assert eager[0]["graphs"] == 0 and compiled[0]["graphs"] > 0 and compiled[1]["graphs"] > 0  # compiled ran
    for net in ("G", "D"):
        for k, v in eager[0][net].items():
            assert torch.equal(compiled[0][net][k], compiled[1][net][k]), f"compiled ranks differ in {net}.{k}"
            torch.testing.assert_close(compiled[0][net][k], v, rtol=0, atol=1e-5, msg=f"{net}.{k}: compiled vs eager")


def test_each_rank_shard_holds_every_class_of_a_file_of_alternating_classes():
    """Shards are disjoint, cover the data, and keep each class's share even on every rank, even where
    every other row is of one class (every WORLD-th row would give a rank one class)."""
    from wgangp.data.base import PointSource

    labels = torch.arange(60) % 3
    points = torch.arange(60.0)[:, None]
    shards = []
    for rank in range(WORLD):
        source = PointSource(8, seed=rank, points=points, labels=labels)
        source.shard(rank, WORLD)
        assert source.n_classes == 3 and torch.bincount(source.labels, minlength=3).tolist() == [10, 10, 10]
        assert torch.equal(labels[source.points[:, 0].long()], source.labels)      # rows keep their labels
        shards.append(source.points[:, 0].long())
    assert sorted(torch.cat(shards).tolist()) == list(range(60))                   # disjoint and complete


def _diffaugment_worker(rank: int, port: int, out: str, data: str) -> None:
    """One rank of a DDP run of dcgan-1d on signals with train.diffaugment: its weights after ITERS iterations."""
    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(WORLD),
                      LOCAL_RANK=str(rank))
    import torch.distributed as dist

    from wgangp.nets.diffaugment import AugmentedCritic
    from wgangp.train import distributed

    cfg = load_config("signals-sines-cond", {"data.name": "signals", "data.path": data, "model.arch": "dcgan-1d",
                                             "model.dim": 4, "data.batch_size": PER_RANK_BATCH, "device": "cpu",
                                             "seed": 3, "train.diffaugment": "translation,cutout"})
    tr = build_trainer(cfg, None, dist=distributed.from_env("cpu"))
    assert isinstance(tr.D_step, AugmentedCritic) and isinstance(tr.D_step.critic, torch.nn.parallel.DistributedDataParallel)
    for _ in range(ITERS):
        tr.iteration()
    torch.save({"G": tr.G.state_dict(), "D": tr.D.state_dict()}, os.path.join(out, f"rank{rank}.pt"))
    del tr
    gc.collect()
    dist.destroy_process_group()


def test_ddp_with_diffaugment_keeps_every_rank_identical(tmp_path):
    """DiffAugment wraps the DDP critic: each rank augments its own batch with its own draws, and the
    averaged gradients keep the ranks' weights bit for bit the same (and finite)."""
    import numpy as np

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "s.npz", x_train=rng.normal(size=(32, 1, 32)).astype(np.float32), y_train=np.arange(32) % 2)
    mp.spawn(_diffaugment_worker, args=(_free_port(), str(tmp_path), str(tmp_path / "s.npz")), nprocs=WORLD, join=True)
    ranks = [torch.load(tmp_path / f"rank{r}.pt", weights_only=True) for r in range(WORLD)]
    for net in ("G", "D"):
        for k, v in ranks[0][net].items():
            assert torch.equal(ranks[1][net][k], v), f"ranks differ in {net}.{k}"
            assert torch.isfinite(v.float()).all()


def _torchrun(out, *extra, iterations=4):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={WORLD}",
           "-m", "wgangp", "train"]
    args = ["--out", str(out), "--quiet", *extra]
    return subprocess.run(cmd + args, env=env, capture_output=True, text=True, timeout=300)


def test_torchrun_job_writes_once_from_rank_0_and_resumes_bitwise(tmp_path):
    preset = ["toy-8gaussians", "--set", "model.hidden=16", "--set", "data.batch_size=8", "--set", "device=cpu",
              "--set", "train.log_every=1", "--set", "train.ckpt_every=2", "--set", "train.eval_samples=100"]
    full = _torchrun(tmp_path / "a", *preset, "--set", "train.iterations=4")
    assert full.returncode == 0, full.stderr[-2000:]
    assert full.stdout.count("done: 4 iterations") == 1                      # rank 0 reports, once
    rows = [json.loads(line) for line in (tmp_path / "a" / "metrics.jsonl").read_text().splitlines()]
    assert [r["step"] for r in rows if r["kind"] == "train"] == [1, 2, 3, 4]
    part = _torchrun(tmp_path / "b", *preset, "--set", "train.iterations=2")
    assert part.returncode == 0, part.stderr[-2000:]
    more = _torchrun(tmp_path / "b", "--resume", "--set", "train.iterations=4")
    assert more.returncode == 0, more.stderr[-2000:]
    sa, sb = load_checkpoint(tmp_path / "a" / "checkpoint.pt"), load_checkpoint(tmp_path / "b" / "checkpoint.pt")
    assert sa["step"] == sb["step"] == 4 and len(sa["rng_ranks"]) == WORLD
    assert all(sa[k]["state"] for k in ("opt_g", "opt_d"))
    # the whole training state, every rank's RNG streams included; not the wall-clock seconds,
    # the version or the config (the resume changed train.iterations)
    skip = ("train_seconds", "train_cpu_seconds", "version", "config")
    assert_same_state({k: v for k, v in sa.items() if k not in skip}, {k: v for k, v in sb.items() if k not in skip},
                      "checkpoint after the DDP resume")


def test_torchrun_with_a_bad_run_dir_fails_on_every_rank_with_one_message(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "config.json").write_text("{}")
    out = _torchrun(tmp_path / "a", "toy-8gaussians", "--set", "device=cpu")
    assert out.returncode != 0
    assert "wgangp: error: " in out.stderr and "already holds a run" in out.stderr


def _failing_worker(rank: int, port: int, out: str, report: str) -> None:
    """One rank of a job whose rank-0 evaluation raises: each rank writes how it ended."""
    import time

    torch.set_num_threads(1)
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(rank), WORLD_SIZE=str(WORLD),
                      LOCAL_RANK=str(rank))
    from wgangp import api

    if rank == 0:
        def boom(*a, **k):
            raise RuntimeError("evaluation exploded")
        api.evaluate = boom
    t0 = time.time()
    try:
        api.train("toy-8gaussians", out, {**OVERRIDES, "train.iterations": 50, "train.eval_every": 2,
                                          "train.log_every": 10}, progress=False)
        end = "completed"
    except Exception as e:           # noqa: BLE001 (the test reads what each rank saw)
        end = f"{type(e).__name__}: {e}"
    with open(os.path.join(report, f"rank{rank}.txt"), "w") as f:
        f.write(f"{time.time() - t0:.1f} {end}")


def test_an_error_in_rank_0s_evaluation_stops_every_rank_promptly(tmp_path):
    ctx = mp.get_context("spawn")
    port = _free_port()
    procs = [ctx.Process(target=_failing_worker, args=(r, port, str(tmp_path / "run"), str(tmp_path)))
             for r in range(WORLD)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    alive = [p.is_alive() for p in procs]
    for p in procs:
        if p.is_alive():
            p.kill()
    assert not any(alive), "a rank still waits for the failed one"
    ends = [(tmp_path / f"rank{r}.txt").read_text().split(" ", 1) for r in range(WORLD)]
    assert ends[0][1] == "RuntimeError: evaluation exploded"
    assert ends[1][1].startswith("UserError: another rank failed at iteration 2")
    assert not (tmp_path / "run" / "eval.json").exists()


def test_an_exception_in_one_ranks_training_step_ends_the_torchrun_job_promptly(tmp_path):
    """Rank 1's critic loss raises at its 7th call (a fault injected through sitecustomize, so the
    library is untouched): torchrun stops rank 0 too, and the job ends with rank 1's message."""
    import time

    (tmp_path / "inject").mkdir()
    (tmp_path / "inject" / "sitecustomize.py").write_text(
        "import os\n"
        "if os.environ.get('RANK') == '1':\n"
        "    from wgangp import objectives\n"
        "    real, calls = objectives.critic_loss, [0]\n"
        "    def critic_loss(*a, **k):\n"
        "        calls[0] += 1\n"
        "        if calls[0] == 7:\n"
        "            raise RuntimeError('injected fault on rank 1')\n"
        "        return real(*a, **k)\n"
        "    objectives.critic_loss = critic_loss\n")
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(tmp_path / "inject"), os.environ.get("PYTHONPATH", "")])}
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={WORLD}", "-m", "wgangp",
           "train", "toy-8gaussians", "--out", str(tmp_path / "r"), "--quiet", "--set", "model.hidden=16",
           "--set", "data.batch_size=8", "--set", "device=cpu", "--set", "train.iterations=100000"]
    t0 = time.time()
    out = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=240)
    assert out.returncode != 0 and "injected fault on rank 1" in out.stderr, out.stderr[-2000:]
    assert time.time() - t0 < 180, "the job waited for a collective timeout"


@pytest.mark.parametrize("first, then", [(1, WORLD), (WORLD, 1)])
def test_a_resume_on_another_number_of_processes_goes_on_with_fresh_streams(tmp_path, first, then):
    preset = ["toy-8gaussians", "--set", "model.hidden=16", "--set", "data.batch_size=8", "--set", "device=cpu",
              "--set", "train.ckpt_every=2", "--set", "train.eval_samples=100", "--set", "train.iterations=2"]
    out = tmp_path / "r"

    def job(nproc, *args):
        if nproc == 1:
            return subprocess.run([sys.executable, "-m", "wgangp", "train", "--out", str(out), "--quiet", *args],
                                  env={**os.environ, "OMP_NUM_THREADS": "1"}, capture_output=True, text=True,
                                  timeout=300)
        return _torchrun(out, *args)

    assert job(first, *preset).returncode == 0
    more = job(then, "--resume", "--set", "train.iterations=4")
    assert more.returncode == 0, more.stderr[-2000:]
    assert f"resumed on {then} process(es), saved on {first}" in more.stderr
    state = load_checkpoint(out / "checkpoint.pt")
    assert state["step"] == 4 and state["world"] == then
    assert all(torch.isfinite(v).all() for v in state["generator"].values())


if __name__ == "__main__":
    pytest.main([__file__])
