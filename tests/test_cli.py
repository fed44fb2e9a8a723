"""The CLI: every command works, and every bad input gives exit code 2 and one line."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

import wgangp
from wgangp.cli import main

TINY = ["--set", "model.hidden=32", "--set", "model.depth=2", "--set", "data.batch_size=64",
        "--set", "train.iterations=8", "--set", "train.ckpt_every=4", "--set", "train.eval_samples=200",
        "--set", "device=cpu", "--quiet"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "r"
    assert main(["train", "toy-8gaussians", "--out", str(out), *TINY]) == 0
    return out


def _one_line_error(capsys, code, fragment):
    err = capsys.readouterr().err.strip()
    assert code == 2
    assert len(err.splitlines()) == 1 and err.startswith("wgangp: error: "), err
    assert fragment in err, err


def test_list_shows_presets(capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "toy-25gaussians" in out and "toy-8gaussians" in out and "toy-swissroll" in out


def test_train_writes_the_run(run_dir):
    for name in ("config.json", "checkpoint.pt", "metrics.jsonl", "eval.json", "critic_surface.png",
                 "training_curves.png"):
        assert (run_dir / name).is_file(), name
    assert any((run_dir / "tb").iterdir())


def test_eval_json_has_toy_keys(run_dir, capsys):
    assert main(["eval", str(run_dir), "--json", "-n", "300"]) == 0
    result = json.loads(capsys.readouterr().out)
    import wgangp

    assert result == json.loads(json.dumps(wgangp.evaluate(wgangp.load_run(run_dir), n=300)))   # the CLI is the API
    assert {"modes_captured", "n_modes", "high_quality", "w1"} <= set(result) and result["n_modes"] == 8


def test_sample_writes_npy_and_csv(run_dir, tmp_path):
    assert main(["sample", str(run_dir), "-n", "17", "-o", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (17, 2)
    assert main(["sample", str(run_dir), "-n", "5", "-o", str(tmp_path / "s.csv")]) == 0
    assert np.loadtxt(tmp_path / "s.csv", delimiter=",").shape == (5, 2)


def test_dry_run_prints_resolved_config(capsys, tmp_path):
    assert main(["train", "toy-25gaussians", "--out", str(tmp_path / "x"), "--dry-run", "--set", "seed=5"]) == 0
    cfg = json.loads(capsys.readouterr().out)
    assert cfg["seed"] == 5 and cfg["data"]["name"] == "25gaussians"
    assert not (tmp_path / "x").exists()


def test_module_entry_point_reports_errors_without_traceback():
    out = subprocess.run([sys.executable, "-m", "wgangp", "train", "no-such-preset", "--out", "x"],
                         capture_output=True, text=True)
    assert out.returncode == 2
    assert "Traceback" not in out.stderr and "unknown preset 'no-such-preset'" in out.stderr


def test_the_command_s_quick_exit_leaves_every_file_written_and_every_line_printed(tmp_path):
    # python -m wgangp leaves with os._exit once main returns (no interpreter teardown): nothing the
    # run wrote or printed may be lost to it -- not the last metrics line, the report, the
    # TensorBoard events or the final line on stdout.
    out = tmp_path / "r"
    proc = subprocess.run([sys.executable, "-m", "wgangp", "train", "toy-8gaussians", "--out", str(out), "--quiet",
                           "--set", "device=cpu", "--set", "train.iterations=10", "--set", "train.log_every=5",
                           "--set", "model.hidden=16", "--set", "train.eval_samples=100"],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.rstrip().splitlines()[-1].startswith("done: 10 iterations"), proc.stdout
    assert json.loads((out / "eval.json").read_text())["step"] == 10
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert rows[-1]["kind"] == "eval" and rows[-1]["step"] == 10
    assert (out / "report.html").read_text().rstrip().endswith("</html>")
    events = list((out / "tb").glob("events.out.tfevents.*"))
    assert events and all(e.stat().st_size > 0 for e in events)
    assert wgangp.load_run(out).step == 10


@pytest.mark.parametrize("argv, fragment", [
    (["train", "toy-99gaussians", "--out", "{tmp}/r"], "unknown preset"),
    (["train", "toy-8gaussians", "--out", "{tmp}/r", "--set", "train.nope=1"], "unknown config key 'train.nope'"),
    (["train", "toy-8gaussians", "--out", "{tmp}/r", "--set", "train.iterations=ten"], "expects int"),
    (["train", "toy-8gaussians", "--out", "{tmp}/r", "--set", "data.name=points", "--set",
      "data.path={tmp}/missing.npy"], "not found"),
    (["train", "toy-8gaussians", "--out", "{tmp}/r", "--set", "data.name=points", "--set",
      "data.path={tmp}/empty.csv"], "is empty"),
    (["train", "toy-8gaussians", "--out", "{tmp}/r", "--set", "data.name=points", "--set",
      "data.path={tmp}/cube.npy"], "expected (N, D)"),
    (["train", "toy-8gaussians", "--out", "{tmp}/file/r"], "cannot write to run directory"),
    (["train", "toy-8gaussians", "--out", "{tmp}/r", "--bogus"], "unrecognized arguments"),
    (["eval", "{tmp}"], "not a wgangp run directory"),
    (["sample", "{tmp}/nothing", "-n", "3", "-o", "{tmp}/s.npy"], "not a wgangp run directory"),
])
def test_bad_input_exit_code_2_one_line(argv, fragment, tmp_path, capsys):
    (tmp_path / "empty.csv").write_text("")
    np.save(tmp_path / "cube.npy", np.zeros((3, 3, 3)))
    (tmp_path / "file").write_text("a file where a directory is expected")
    code = main([a.replace("{tmp}", str(tmp_path)) for a in argv])
    _one_line_error(capsys, code, fragment)
    assert not (tmp_path / "r" / "config.json").exists()     # a failed start leaves no half-made run


def test_unwritable_run_dir(tmp_path, capsys):
    if os.geteuid() == 0:
        pytest.skip("root can write anywhere; covered by the file-in-the-way case")
    locked = tmp_path / "locked"
    locked.mkdir(mode=0o500)
    _one_line_error(capsys, main(["train", "toy-8gaussians", "--out", str(locked / "r"), *TINY]),
                    "cannot write to run directory")


def test_existing_run_is_not_overwritten(run_dir, capsys):
    before = (run_dir / "checkpoint.pt").read_bytes()
    code = main(["train", "toy-8gaussians", "--out", str(run_dir), *TINY])
    _one_line_error(capsys, code, "already holds a run; add --resume")
    assert (run_dir / "checkpoint.pt").read_bytes() == before


def test_resume_with_changed_config_is_refused(run_dir, capsys):
    code = main(["train", "toy-8gaussians", "--out", str(run_dir), "--resume", *TINY, "--set", "optim.lr=0.1"])
    _one_line_error(capsys, code, "optim.lr")


def test_corrupt_checkpoint(run_dir, tmp_path, capsys):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text((run_dir / "config.json").read_text())
    (bad / "checkpoint.pt").write_bytes((run_dir / "checkpoint.pt").read_bytes()[:500])
    _one_line_error(capsys, main(["eval", str(bad)]), "corrupt")
    _one_line_error(capsys, main(["train", "--out", str(bad), "--resume", "--quiet"]), "corrupt")
    assert len((bad / "checkpoint.pt").read_bytes()) == 500          # left as it was


def test_nd_point_cloud_trains_samples_and_evaluates(tmp_path, capsys):
    from wgangp import load_run as wgangp_load

    cloud = np.random.default_rng(0).normal(size=(500, 3)).astype(np.float32)
    np.save(tmp_path / "cloud.npy", cloud)
    out = tmp_path / "r"
    assert main(["train", "toy-8gaussians", "--out", str(out), *TINY, "--set", "data.name=points",
                 "--set", f"data.path={tmp_path / 'cloud.npy'}"]) == 0
    assert (out / "training_curves.png").is_file() and not (out / "critic_surface.png").exists()  # 2-D only
    capsys.readouterr()
    assert main(["eval", str(out), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    from wgangp.metrics.toy import w1_distance

    run = wgangp_load(out)
    expected = w1_distance(run.sample(200, seed=12_345), run.reference_source().fresh(200, 12_346))
    assert result["modes_captured"] is None and result["w1"] == pytest.approx(expected, rel=1e-12)
    assert main(["sample", str(out), "-n", "4", "-o", str(tmp_path / "s.npy")]) == 0
    assert np.load(tmp_path / "s.npy").shape == (4, 3)


def test_cuda_requested_without_a_gpu(tmp_path, capsys):
    import torch

    if torch.cuda.is_available():
        pytest.skip("a GPU is present")
    _one_line_error(capsys, main(["train", "toy-8gaussians", "--out", str(tmp_path / "r"), "--set", "device=cuda"]),
                    "no CUDA device is available")


def test_sample_count_must_be_positive(run_dir, tmp_path, capsys):
    _one_line_error(capsys, main(["sample", str(run_dir), "-n", "0", "-o", str(tmp_path / "s.npy")]), "-n must be")
    _one_line_error(capsys, main(["sample", str(run_dir), "-n", "3", "-o", str(tmp_path / "s.txt")]), "use a .npy, .npz, .csv")


def test_help_list_and_argument_errors_import_no_torch():
    """The fast start-up (issue #12): the command line answers these without torch, matplotlib or TensorBoard."""
    import subprocess
    import sys

    code = ("import sys\nfrom wgangp.cli import main\nfor argv in (['--help'], ['list'], ['train'], ['nope']):\n"
            "    try:\n        main(argv)\n    except SystemExit:\n        pass\n"
            "heavy = [m for m in ('torch', 'matplotlib', 'tensorboard', 'numpy') if m in sys.modules]\n"
            "print('HEAVY', heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60).stdout
    assert "HEAVY []" in out, out
