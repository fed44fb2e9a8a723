"""Faults and bad input that must end in one clear line and lose nothing (issue #13, the first part):
non-finite config values and values of the wrong type, a diverging run, samples of a diverged
generator, a resume that fails or has nothing to resume, result folders and sample files that
would be overwritten, a full disk while the config is written. 0.1.0 got each of them wrong as
the issue describes (a traceback, a NaN checkpoint, a silent restart or an overwritten file)."""
import errno
import json

import pytest
import torch

import wgangp
from wgangp.cli import main
from wgangp.errors import Diverged, UserError

TINY = ["--quiet", "--set", "model.hidden=16", "--set", "model.depth=1", "--set", "data.batch_size=32",
        "--set", "train.log_every=1", "--set", "train.ckpt_every=2", "--set", "train.eval_samples=64",
        "--set", "device=cpu"]


def _one_line(capsys, code, fragment):
    err = capsys.readouterr().err.strip()
    assert code == 2 and len(err.splitlines()) == 1 and err.startswith("wgangp: error: "), err
    assert fragment in err, err


@pytest.mark.parametrize("override", ["optim.lr=nan", "optim.lr=inf", "loss.gp_weight=nan", "train.ema=-inf",
                                      "optim.betas=0.5,nan"])
def test_non_finite_config_values_are_refused(tmp_path, capsys, override):
    _one_line(capsys, main(["train", "toy-8gaussians", "--out", str(tmp_path / "r"), "--dry-run", "--set", override]),
              "must be a finite number")


@pytest.mark.parametrize("text, fragment", [
    ('{"train": {"iterations": null}}', "'train.iterations' expects int, got None"),
    ('{"train": {"iterations": [1, 2]}}', "'train.iterations' expects int"),
    ('{"optim": {"betas": 5}}', "'optim.betas' expects 2 comma-separated values"),
    ('{"optim": {"lr": 1e999}}', "must be a finite number"),
    ("null", "must hold a table of settings"),
    ("[1, 2]", "must hold a table of settings"),
])
def test_config_values_of_the_wrong_type_are_one_line_errors(tmp_path, capsys, text, fragment):
    (tmp_path / "c.json").write_text(text)
    _one_line(capsys, main(["train", str(tmp_path / "c.json"), "--out", str(tmp_path / "r"), "--dry-run"]), fragment)


def test_a_toml_date_is_a_one_line_error(tmp_path, capsys):
    (tmp_path / "c.toml").write_text('[data]\nname = "8gaussians"\n[train]\niterations = 1979-05-27\n')
    _one_line(capsys, main(["train", str(tmp_path / "c.toml"), "--out", str(tmp_path / "r"), "--dry-run"]),
              "'train.iterations' expects int")


def test_a_diverging_run_stops_with_the_iteration_and_writes_no_checkpoint(tmp_path, capsys):
    out = tmp_path / "r"
    code = main(["train", "toy-8gaussians-fast", "--out", str(out), "--quiet", "--set", "train.iterations=20",
                 "--set", "train.log_every=1", "--set", "train.ckpt_every=5", "--set", "optim.lr=1e6",
                 "--set", "device=cpu"])
    _one_line(capsys, code, "training diverged by iteration 1: w_estimate = nan")
    assert not (out / "checkpoint.pt").exists() and not (out / "eval.json").exists()


def test_divergence_after_a_checkpoint_keeps_the_last_finite_one(tmp_path, capsys, monkeypatch):
    out = tmp_path / "r"
    wgangp.train("toy-8gaussians", out, {"model.hidden": 16, "data.batch_size": 32, "train.iterations": 2,
                                         "train.ckpt_every": 2, "train.log_every": 1, "train.eval_samples": 64,
                                         "device": "cpu"}, progress=False)
    before = (out / "eval.json").read_text()
    from wgangp import objectives

    real = objectives.critic_loss
    monkeypatch.setattr(objectives, "critic_loss", lambda *a, **k: tuple(t * float("nan") for t in real(*a, **k)))
    code = main(["train", "--out", str(out), "--resume", "--quiet", "--set", "train.iterations=6"])
    err = capsys.readouterr().err
    assert code == 2 and "training diverged by iteration 3" in err and "still holds iteration 2 (finite)" in err
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert state["step"] == 2 and all(torch.isfinite(v).all() for v in state["generator"].values())
    assert (out / "eval.json").read_text() == before


def test_samples_of_a_diverged_generator_are_refused(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "toy-8gaussians", "--out", str(out), *TINY, "--set", "train.iterations=2"]) == 0
    run = wgangp.load_run(out)
    with torch.no_grad():
        next(run.generator.parameters()).fill_(float("nan"))
    with pytest.raises(Diverged, match="non-finite samples"):
        wgangp.evaluate(run)


def test_a_failed_resume_does_not_rewrite_the_config(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "toy-8gaussians", "--out", str(out), *TINY, "--set", "train.iterations=2"]) == 0
    (out / "checkpoint.pt").write_bytes(b"not a checkpoint")
    saved = (out / "config.json").read_text()
    capsys.readouterr()
    _one_line(capsys, main(["train", "--out", str(out), "--resume", "--quiet", "--set", "train.iterations=30"]),
              "is corrupt")
    assert (out / "config.json").read_text() == saved


def test_resume_without_a_checkpoint_is_refused_and_keeps_the_results(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "toy-8gaussians", "--out", str(out), *TINY, "--set", "train.iterations=2"]) == 0
    (out / "checkpoint.pt").unlink()
    metrics = (out / "metrics.jsonl").read_text()
    capsys.readouterr()
    _one_line(capsys, main(["train", "--out", str(out), "--resume", "--quiet"]), "has no checkpoint.pt to resume from")
    assert (out / "metrics.jsonl").read_text() == metrics and (out / "eval.json").is_file()


def test_a_folder_with_results_but_no_config_is_not_overwritten(tmp_path, capsys):
    out = tmp_path / "r"
    out.mkdir()
    (out / "eval.json").write_text('{"w1": 0.1}')
    _one_line(capsys, main(["train", "toy-8gaussians", "--out", str(out), *TINY, "--set", "train.iterations=2"]),
              "holds results of a run (eval.json)")
    assert json.loads((out / "eval.json").read_text()) == {"w1": 0.1}


def test_sample_does_not_overwrite_a_file_unless_forced(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "toy-8gaussians", "--out", str(out), *TINY, "--set", "train.iterations=2"]) == 0
    (tmp_path / "s.csv").write_text("mine\n")
    capsys.readouterr()
    _one_line(capsys, main(["sample", str(out), "-n", "4", "-o", str(tmp_path / "s.csv")]), "add --force")
    assert (tmp_path / "s.csv").read_text() == "mine\n"
    assert main(["sample", str(out), "-n", "4", "-o", str(tmp_path / "s.csv"), "--force"]) == 0
    assert len((tmp_path / "s.csv").read_text().splitlines()) == 4


def test_a_full_disk_while_writing_the_config_leaves_no_temporary_file(tmp_path, capsys, monkeypatch):
    from wgangp.train import rundir

    def full(cfg, path):
        path.write_text("{")                                  # a partial write, then the disk is full
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(rundir, "save_config", full)
    out = tmp_path / "r"
    _one_line(capsys, main(["train", "toy-8gaussians", "--out", str(out), *TINY, "--set", "train.iterations=2"]),
              "No space left on device")
    assert not (out / "config.json").exists() and not (out / "config.json.tmp").exists()


def test_diverged_is_a_user_error():
    assert issubclass(Diverged, UserError)


def test_eval_with_fewer_than_two_samples_is_refused(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "toy-8gaussians", "--out", str(out), *TINY, "--set", "train.iterations=2"]) == 0
    capsys.readouterr()
    _one_line(capsys, main(["eval", str(out), "-n", "0"]), "at least 2 samples, got 0")


@pytest.mark.parametrize("damage, fragment", [
    (lambda s: s.pop("opt_g"), "does not fit this run (KeyError"),
    (lambda s: s.update(step="abc"), "does not fit this run (ValueError"),
    (lambda s: s.update(domain="tables"), "is of a tables run"),
])
def test_a_checkpoint_with_the_wrong_contents_is_refused_at_resume(tmp_path, capsys, damage, fragment):
    from wgangp.train.checkpoint import load_checkpoint, save_checkpoint

    out = tmp_path / "r"
    assert main(["train", "toy-8gaussians", "--out", str(out), *TINY, "--set", "train.iterations=2"]) == 0
    state = load_checkpoint(out / "checkpoint.pt")
    state.pop("format")
    damage(state)
    save_checkpoint(state, out / "checkpoint.pt")
    saved = (out / "config.json").read_text()
    capsys.readouterr()
    _one_line(capsys, main(["train", "--out", str(out), "--resume", "--quiet", "--set", "train.iterations=4"]), fragment)
    assert (out / "config.json").read_text() == saved


@pytest.mark.parametrize("name", [".checkpoint.pt.abc123.tmp", ".best.pt.x1.tmp", ".eval.json.tmp", "config.json.tmp",
                                  "metrics.jsonl.tmp"])
def test_a_stale_temporary_file_is_removed_at_resume(tmp_path, name):
    out = tmp_path / "r"
    assert main(["train", "toy-8gaussians", "--out", str(out), *TINY, "--set", "train.iterations=2"]) == 0
    stale = out / name                                              # what a SIGKILL during a write leaves
    stale.write_bytes(b"half a file")
    assert main(["train", "--out", str(out), "--resume", "--quiet", "--set", "train.iterations=4"]) == 0
    assert not stale.exists() and wgangp.load_run(out).step == 4


def test_a_refused_second_train_leaves_the_live_runs_temporary_files_alone(tmp_path, capsys):
    import os
    import socket

    out = tmp_path / "r"
    assert main(["train", "toy-8gaussians", "--out", str(out), *TINY, "--set", "train.iterations=2"]) == 0
    (out / ".lock").write_text(f"{os.getppid()} {socket.gethostname()}")   # a live process holds the run
    in_flight = out / ".checkpoint.pt.live.tmp"
    in_flight.write_bytes(b"a write in progress")
    assert main(["train", "--out", str(out), "--resume", "--quiet", "--set", "train.iterations=4"]) == 2
    assert "is training in" in capsys.readouterr().err and in_flight.exists()


def test_a_category_found_only_in_the_held_out_records_is_scored_not_fatal(tmp_path, capsys):
    rows = ["dose,site,outcome"] + [f"{i % 7},{'north' if i % 2 else 'south'},{'ill' if i % 3 else 'well'}"
                                    for i in range(200)]
    rows[1] = "3,east,ill"                                          # one record of a site; let it land in holdout
    from wgangp.data.tabular import SPLIT_SEED
    import numpy as np

    order = np.random.default_rng(SPLIT_SEED).permutation(200)
    held = set(order[:int(round(0.2 * 200))].tolist())
    row = min(held)                                                # a record index that the split holds out
    rows[1], rows[row + 1] = rows[row + 1], rows[1]
    (tmp_path / "t.csv").write_text("\n".join(rows) + "\n")
    out = tmp_path / "r"
    assert main(["train", "table", "--out", str(out), "--quiet", "--set", f"data.path={tmp_path / 't.csv'}",
                 "--set", "data.label=outcome", "--set", "train.iterations=3", "--set", "device=cpu"]) == 0
    result = json.loads((out / "eval.json").read_text())            # once failed after training ("not in the training
    assert result["n_holdout"] == 40 and "membership_auc" in result  # records"); now the held-out "east" is a mismatch


def test_two_train_processes_on_one_folder_are_refused_and_a_stale_lock_is_taken_over(tmp_path, capsys):
    import os
    import signal
    import subprocess
    import sys
    import time

    out = tmp_path / "r"
    first = subprocess.Popen([sys.executable, "-m", "wgangp", "train", "toy-8gaussians", "--out", str(out), *TINY,
                              "--set", "train.iterations=1000000"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                             env={**os.environ, "OMP_NUM_THREADS": "1"})
    try:
        deadline = time.time() + 60
        while not ((out / ".lock").exists() and (out / "checkpoint.pt").exists()) and time.time() < deadline:
            time.sleep(0.1)
        assert (out / ".lock").read_text().split()[0] == str(first.pid)
        _one_line(capsys, main(["train", "--out", str(out), "--resume", "--quiet"]),
                  f"another wgangp process (PID {first.pid}) is training in")
    finally:
        first.send_signal(signal.SIGTERM)
        assert first.wait(timeout=60) == 130
    assert not (out / ".lock").exists()                              # released on the way out
    dead = subprocess.Popen(["true"])
    dead.wait()
    (out / ".lock").write_text(f"{dead.pid} {os.uname().nodename}")  # what a SIGKILL leaves: a gone process
    step = wgangp.load_run(out).step
    assert main(["train", "--out", str(out), "--resume", "--quiet", "--set", f"train.iterations={step + 2}"]) == 0
    assert wgangp.load_run(out).step == step + 2 and not (out / ".lock").exists()


def test_cuda_and_cpu_out_of_memory_errors_become_one_line_with_the_advice():
    from wgangp.errors import out_of_memory

    class OutOfMemoryError(RuntimeError):       # torch.OutOfMemoryError's name (CUDA), without a GPU
        pass

    for error in (OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 79 GiB total)"),
                  RuntimeError("DefaultCPUAllocator: can't allocate memory: you tried to allocate 800 bytes"),
                  MemoryError()):
        with pytest.raises(UserError, match="out of memory during training.*lower data.batch_size") as info:
            with out_of_memory("training", "lower data.batch_size (now 64)"):
                raise error
        assert "\n" not in str(info.value)
    with pytest.raises(UserError, match=r"an allocation of 2.00 GiB failed"):
        with out_of_memory("training", "lower it"):
            raise OutOfMemoryError("CUDA out of memory. Tried to allocate 2.00 GiB")
    with pytest.raises(ValueError):                 # anything else passes through untouched
        with out_of_memory("training", "lower it"):
            raise ValueError("not memory")


def test_classifier_does_not_overwrite_an_existing_file_unless_forced(tmp_path, capsys):
    import numpy as np

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x_train=rng.integers(0, 256, (40, 28, 28), dtype=np.uint8),
             y_train=np.arange(40) % 2)
    (tmp_path / "clf.pt").write_bytes(b"someone's classifier")
    code = main(["classifier", str(tmp_path / "d.npz"), "--out", str(tmp_path / "clf.pt"), "--epochs", "1"])
    _one_line(capsys, code, "exists; choose a new --out or add --force")
    assert (tmp_path / "clf.pt").read_bytes() == b"someone's classifier"
    assert main(["classifier", str(tmp_path / "d.npz"), "--out", str(tmp_path / "clf.pt"), "--epochs", "1",
                 "--force"]) == 0
    assert (tmp_path / "clf.pt").read_bytes() != b"someone's classifier"
