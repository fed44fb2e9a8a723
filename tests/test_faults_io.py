"""Faults of files and processes (issue #13): a SIGKILL at a random moment of checkpoint writing, a
full disk (a real tmpfs where the tests may mount one, a patched writer everywhere), an unpack or a
data load interrupted, a decoded-image cache whose files were replaced with their old mtime, and
data given in forms that used to be mis-read (complex arrays, a directory, one class)."""
import errno
import os
import random
import signal
import subprocess
import sys
import tarfile
import time
from pathlib import Path

import numpy as np
import pytest
import torch

import wgangp
from wgangp.cli import main
from wgangp.train.checkpoint import load_checkpoint

SMALL = ["--quiet", "--set", "device=cpu", "--set", "data.batch_size=32", "--set", "train.log_every=1",
         "--set", "train.eval_samples=64"]


def _one_line(capsys, code, fragment, status=2):
    err = capsys.readouterr().err.strip()
    assert code == status and len(err.splitlines()) == 1 and err.startswith("wgangp: "), err
    assert fragment in err, err


def _cli(*args, **kw):
    env = {**os.environ, "OMP_NUM_THREADS": "1", **kw.pop("env", {})}
    return subprocess.Popen([sys.executable, "-m", "wgangp", *args], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_sigkill_at_random_moments_of_checkpoint_writing_never_leaves_a_broken_checkpoint(tmp_path):
    """Checkpoints of a few MB written every iteration, the process killed at a random moment three
    times: each time checkpoint.pt loads (the previous or the new one, never half), and the resume
    removes the killed write's temporary file and finishes the run."""
    out, rng = tmp_path / "r", random.Random(13)
    args = ["train", "toy-8gaussians", "--out", str(out), *SMALL, "--set", "model.hidden=384", "--set",
            "train.ckpt_every=1", "--set", "train.iterations=100000"]
    steps = []
    for round_ in range(3):
        p = _cli(*(args if round_ == 0 else ["train", "--out", str(out), "--resume", "--quiet"]))
        deadline = time.time() + 120
        while not (out / "checkpoint.pt").exists() or (round_ and load_checkpoint(out / "checkpoint.pt")["step"]
                                                        <= steps[-1]):
            assert p.poll() is None and time.time() < deadline, p.communicate()[1][-2000:]
            time.sleep(0.05)
        time.sleep(rng.uniform(0.2, 1.5))                      # somewhere inside the stream of writes
        p.send_signal(signal.SIGKILL)
        p.communicate()
        state = load_checkpoint(out / "checkpoint.pt")         # loads: complete, the old or the new one
        assert all(torch.isfinite(v).all() for v in state["generator"].values())
        steps.append(state["step"])
    assert steps == sorted(steps) and steps[0] > 0
    done = subprocess.run([sys.executable, "-m", "wgangp", "train", "--out", str(out), "--resume", "--quiet",
                           "--set", f"train.iterations={steps[-1] + 3}"], capture_output=True, text=True, timeout=300,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stderr[-2000:]
    assert not list(out.glob(".checkpoint.pt.*.tmp")) and not (out / ".lock").exists()


def _fail_after(monkeypatch, nbytes_ok: int):
    """Writes of checkpoint files fail with ENOSPC once ``nbytes_ok`` bytes went through."""
    import importlib

    ck = importlib.import_module("wgangp.train.checkpoint")

    real = ck.torch.save

    class Full:
        def __init__(self, f):
            self.f, self.n = f, 0

        def write(self, b):
            self.n += len(b)
            if self.n > nbytes_ok:
                raise OSError(errno.ENOSPC, "No space left on device")
            return self.f.write(b)

        def __getattr__(self, k):
            return getattr(self.f, k)

    monkeypatch.setattr(ck.torch, "save", lambda obj, f, *a, **k: real(obj, Full(f), *a, **k))


def test_a_full_disk_during_a_checkpoint_write_keeps_the_previous_one(tmp_path, capsys, monkeypatch):
    out = tmp_path / "r"
    assert main(["train", "toy-8gaussians", "--out", str(out), *SMALL, "--set", "train.iterations=2",
                 "--set", "train.ckpt_every=2"]) == 0
    capsys.readouterr()
    before = (out / "checkpoint.pt").read_bytes()
    _fail_after(monkeypatch, 10_000)
    code = main(["train", "--out", str(out), "--resume", "--quiet", "--set", "train.iterations=4"])
    _one_line(capsys, code, "cannot write checkpoint")
    assert (out / "checkpoint.pt").read_bytes() == before
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    monkeypatch.undo()
    assert main(["train", "--out", str(out), "--resume", "--quiet", "--set", "train.iterations=4"]) == 0


@pytest.fixture
def small_tmpfs(tmp_path):
    """A 400 KiB tmpfs (root only; skipped where mounting is not allowed)."""
    where = tmp_path / "full"
    where.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=400k", "tmpfs", str(where)],
                                           capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here (needs root)")
    yield where
    subprocess.run(["umount", str(where)], capture_output=True)


def test_a_real_full_disk_is_one_line_and_leaves_no_temporary_file(small_tmpfs, capsys):
    out = small_tmpfs / "r"
    code = main(["train", "toy-8gaussians", "--out", str(out), *SMALL, "--set", "model.hidden=256",
                 "--set", "train.iterations=2", "--set", "train.ckpt_every=2"])
    _one_line(capsys, code, "No space left on device")
    assert not [p.name for p in out.iterdir() if p.name.endswith(".tmp")]
    assert not (out / "checkpoint.pt").exists() and not (out / ".lock").exists()


def test_an_interrupted_unpack_leaves_nothing_and_a_killed_one_is_cleaned_next_time(tmp_path, monkeypatch):
    from PIL import Image

    from wgangp.data import folder

    monkeypatch.setenv("WGANGP_CACHE", str(tmp_path / "cache"))
    src = tmp_path / "imgs"
    src.mkdir()
    for i in range(4):
        Image.fromarray(np.full((8, 8, 3), i * 40, np.uint8)).save(src / f"{i}.png")
    archive = tmp_path / "imgs.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(src, arcname="imgs")
    real = tarfile.TarFile.extractall

    def interrupted(self, *a, **k):
        real(self, *a, **k)
        raise KeyboardInterrupt
    monkeypatch.setattr(tarfile.TarFile, "extractall", interrupted)
    with pytest.raises(KeyboardInterrupt):
        folder.unpack_tar(archive)
    extracted = tmp_path / "cache" / "extracted"
    assert list(extracted.iterdir()) == []
    monkeypatch.setattr(tarfile.TarFile, "extractall", real)
    dead = subprocess.Popen(["true"])
    dead.wait()
    (extracted / f".unpack-{dead.pid}-x").mkdir()            # left by a SIGKILLed process
    (extracted / f".unpack-{dead.pid}-x" / "a.png").write_bytes(b"12345")
    assert folder.unpack_tar(archive).is_dir()
    assert [p.name for p in extracted.iterdir() if p.name.startswith(".unpack-")] == []


def _wait_blocked_in_pipe_read(pid, deadline):
    """Until ``pid`` sleeps in read() on the pipe. A signal that lands between the reader's open() and its
    read() is lost: CPython runs Python handlers only when a syscall returns EINTR or between bytecodes,
    and that read never returns (the CI run of 0b10da3 hung so, on a loaded machine)."""
    wchan = f"/proc/{pid}/wchan"
    while time.time() < deadline:
        try:
            with open(wchan) as f:
                where = f.read().strip()
        except OSError:
            where = ""
        if "pipe" in where:
            return
        if where in ("", "0"):                                 # no /proc or a kernel that hides it: a pause
            time.sleep(1.0)
            return
        time.sleep(0.05)
    raise AssertionError(f"the run (pid {pid}) never blocked reading the pipe")


def test_sigterm_during_data_loading_says_so_and_exits_143(tmp_path):
    fifo = tmp_path / "slow.csv"
    os.mkfifo(fifo)                                            # reading it blocks: the run is still loading
    p = _cli("train", "toy-8gaussians", "--out", str(tmp_path / "r"), "--quiet", "--set", "data.name=points",
             "--set", f"data.path={fifo}", "--set", "device=cpu")
    deadline, writer = time.time() + 120, None
    while writer is None:                                      # the run has opened the pipe: it is loading
        assert p.poll() is None and time.time() < deadline, p.communicate()[1][-2000:]
        try:
            writer = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:
            time.sleep(0.1)
    _wait_blocked_in_pipe_read(p.pid, deadline)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    os.close(writer)
    assert p.returncode == 143, err
    assert err.strip().splitlines()[-1].startswith("wgangp: stopped by SIGTERM"), err
    assert not (tmp_path / "r" / "config.json").exists() and not (tmp_path / "r" / ".lock").exists()


def test_an_image_replaced_with_its_old_mtime_is_decoded_again(tmp_path, monkeypatch):
    from PIL import Image

    from wgangp.data.folder import load_folder

    monkeypatch.setenv("WGANGP_CACHE", str(tmp_path / "cache"))
    root = tmp_path / "imgs"
    root.mkdir()
    for i in range(3):
        Image.fromarray(np.full((8, 8), 10, np.uint8)).save(root / f"{i}.png")
    first = load_folder(str(root))
    st = (root / "1.png").stat()
    Image.fromarray(np.full((8, 8), 200, np.uint8)).save(root / "1.png")   # as cp -p / rsync -t do:
    os.utime(root / "1.png", ns=(st.st_atime_ns, st.st_mtime_ns))           # new pixels, the old mtime
    second = load_folder(str(root))
    assert int(first[1].max()) == 10 and int(second[1].min()) == 200


@pytest.mark.parametrize("kind, path_arg, extra", [
    ("points", "x.npy", ["data.name=points"]),
    ("signals", "x.npy", ["data.name=signals"]),
])
def test_complex_arrays_are_refused_not_cut_to_their_real_part(tmp_path, capsys, kind, path_arg, extra):
    data = tmp_path / path_arg
    shape = (64, 2) if kind == "points" else (64, 1, 32)
    np.save(data, (np.ones(shape) + 1j * np.ones(shape)).astype(np.complex64))
    preset = "toy-8gaussians" if kind == "points" else "signals-sines-cond"
    sets = [x for kv in extra + [f"data.path={data}", "device=cpu", "model.conditional=false"] for x in ("--set", kv)]
    code = main(["train", preset, "--out", str(tmp_path / "r"), "--quiet", *sets])
    _one_line(capsys, code, "holds complex numbers (complex64)")


def test_a_directory_as_data_or_config_path_is_named_as_such(tmp_path, capsys):
    (tmp_path / "d").mkdir()
    code = main(["train", "toy-8gaussians", "--out", str(tmp_path / "r"), "--quiet", "--set", "data.name=points",
                 "--set", f"data.path={tmp_path / 'd'}", "--set", "device=cpu"])
    _one_line(capsys, code, "is a directory, not a file")
    _one_line(capsys, main(["train", str(tmp_path / "d"), "--out", str(tmp_path / "r2"), "--dry-run"]),
              "is a directory; pass a preset name")


def test_labels_of_one_class_are_reported_as_one_class(tmp_path, capsys):
    data = tmp_path / "s.npz"
    np.savez(data, x_train=np.random.default_rng(0).normal(size=(32, 1, 32)).astype(np.float32),
             y_train=np.zeros(32, np.int64))
    code = main(["train", "signals-sines-cond", "--out", str(tmp_path / "r"), "--quiet", "--set", "data.name=signals",
                 "--set", f"data.path={data}", "--set", "device=cpu", "--set", "data.batch_size=16"])
    _one_line(capsys, code, "hold one class only")


def _tiny_run(out):
    wgangp.train("toy-8gaussians", out, {"model.hidden": 16, "data.batch_size": 32, "train.iterations": 2,
                                         "train.ckpt_every": 2, "train.eval_samples": 64, "device": "cpu"},
                 progress=False)


def _edit_config(out, section: str, key: str, value) -> None:
    import json

    cfg = json.loads((out / "config.json").read_text())
    cfg[section][key] = value
    (out / "config.json").write_text(json.dumps(cfg))


def test_an_edited_data_name_in_config_json_is_refused_by_eval_and_resume(tmp_path, capsys):
    out = tmp_path / "r"
    _tiny_run(out)
    _edit_config(out, "data", "name", "25gaussians")
    _one_line(capsys, main(["eval", str(out)]), "data.name: '8gaussians' in the checkpoint, '25gaussians' in config.json")
    _one_line(capsys, main(["train", "--out", str(out), "--resume", "--quiet", "--set", "train.iterations=4"]),
              "was edited")


def test_an_invalid_value_in_config_json_names_the_file(tmp_path, capsys):
    out = tmp_path / "r"
    _tiny_run(out)
    _edit_config(out, "data", "batch_size", -4)
    _one_line(capsys, main(["eval", str(out)]), f"{out / 'config.json'}: config key 'data.batch_size' must be > 0")


@pytest.mark.parametrize("gen_batch", [400_000_000, 40_000_000])   # fails in the set-up / in the first step
def test_out_of_memory_names_the_batch_size(tmp_path, gen_batch):
    """Under an 8 GB address-space limit, so the allocation fails the same way on any machine (never
    the kernel's OOM killer)."""
    import resource

    def limit():
        resource.setrlimit(resource.RLIMIT_AS, (8 * 2**30, 8 * 2**30))
    out = subprocess.run([sys.executable, "-m", "wgangp", "train", "toy-8gaussians", "--out", str(tmp_path / "r"),
                          "--quiet", "--set", "device=cpu", "--set", f"train.gen_batch_size={gen_batch}",
                          "--set", "train.iterations=2"], capture_output=True, text=True, timeout=300,
                         preexec_fn=limit, env={**os.environ, "OMP_NUM_THREADS": "1"})
    err = out.stderr.strip()
    assert out.returncode == 2 and len(err.splitlines()) == 1, err
    assert "out of memory during" in err and f"train.gen_batch_size (now {gen_batch})" in err, err
    assert not (tmp_path / "r" / "checkpoint.pt").exists() and not (tmp_path / "r" / ".lock").exists()


def test_eval_samples_beyond_the_machines_memory_are_refused_before_training(tmp_path, capsys):
    code = main(["train", "toy-8gaussians", "--out", str(tmp_path / "r"), "--quiet", "--set", "device=cpu",
                 "--set", "train.eval_samples=2000000000000"])
    _one_line(capsys, code, "lower train.eval_samples")
    assert not (tmp_path / "r" / "config.json").exists()


def test_sample_streams_the_same_numbers_as_in_memory(tmp_path, capsys):
    out = tmp_path / "r"
    run = wgangp.train("toy-8gaussians-cond", out, {"model.hidden": 16, "data.batch_size": 32, "train.iterations": 2,
                                                    "train.ckpt_every": 2, "train.eval_samples": 64, "device": "cpu"},
                       progress=False)
    x = run.sample(1000, seed=3)
    for suffix in (".npy", ".npz", ".csv"):
        assert main(["sample", str(out), "-n", "1000", "--seed", "3", "-o", str(tmp_path / f"s{suffix}")]) == 0
    assert np.array_equal(np.load(tmp_path / "s.npy"), x.numpy())
    with np.load(tmp_path / "s.npz") as z:
        assert np.array_equal(z["x_train"], x.numpy()) and np.array_equal(z["y_train"], np.arange(1000) % 8)
    np.testing.assert_allclose(np.loadtxt(tmp_path / "s.csv", delimiter=","), x.numpy(), rtol=1e-6)


def test_sample_beyond_the_free_disk_space_is_refused_before_writing(tmp_path, capsys):
    out = tmp_path / "r"
    _tiny_run(out)
    capsys.readouterr()
    code = main(["sample", str(out), "-n", str(10**15), "-o", str(tmp_path / "s.npy")])
    _one_line(capsys, code, "GiB free")
    assert not list(tmp_path.glob("*s.npy*"))
