"""Checkpoints that one bad step can never cost the run: ``train.keep_last`` rotation, ``best.pt`` by
an evaluation metric (its direction from the metric registry), ``--checkpoint`` for eval and
sample, and a resume whose noise generator was saved on another device type."""
import json

import numpy as np
import pytest
import torch

import wgangp
from wgangp.cli import main
from wgangp.train.checkpoint import load_checkpoint, save_checkpoint

BASE = {"model.hidden": 16, "model.depth": 1, "data.batch_size": 32, "train.log_every": 1, "train.eval_samples": 200,
        "device": "cpu"}


def test_keep_last_keeps_the_latest_checkpoints_as_links_of_checkpoint_pt(tmp_path):
    out = tmp_path / "r"
    wgangp.train("toy-8gaussians", out, {**BASE, "train.iterations": 10, "train.ckpt_every": 2,
                                         "train.keep_last": 3}, progress=False)
    kept = sorted(p.name for p in (out / "checkpoints").iterdir())
    assert kept == ["step-00000006.pt", "step-00000008.pt", "step-00000010.pt"]
    assert (out / "checkpoints" / "step-00000010.pt").stat().st_ino == (out / "checkpoint.pt").stat().st_ino
    assert [load_checkpoint(out / "checkpoints" / k)["step"] for k in kept] == [6, 8, 10]


def test_eval_and_sample_read_a_kept_step_and_refuse_one_that_is_gone(tmp_path, capsys):
    out = tmp_path / "r"
    wgangp.train("toy-8gaussians", out, {**BASE, "train.iterations": 6, "train.ckpt_every": 2,
                                         "train.keep_last": 2}, progress=False)
    assert main(["eval", str(out), "--json", "--checkpoint", "4", "-n", "100"]) == 0
    assert json.loads(capsys.readouterr().out.strip().splitlines()[-1])["step"] == 4
    assert main(["sample", str(out), "-n", "5", "-o", str(tmp_path / "s.npy"), "--checkpoint", "2"]) == 2
    assert "keeps no checkpoint of step 2; kept: 4, 6" in capsys.readouterr().err


@pytest.mark.parametrize("key, pick", [("w1", min), ("high_quality", max)])
def test_best_pt_holds_the_run_at_its_best_evaluation(tmp_path, key, pick):
    out = tmp_path / "r"
    wgangp.train("toy-8gaussians", out, {**BASE, "train.iterations": 40, "train.ckpt_every": 10, "train.eval_every": 5,
                                         "optim.lr": 3e-3, "train.best_metric": key}, progress=False)
    rows = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if r["kind"] == "eval"]
    assert len(evals) == 8 and len({r[key] for r in evals}) > 1    # the metric moved: a choice to make
    best = pick(evals, key=lambda r: r[key])
    first_best = next(r for r in evals if r[key] == best[key])    # ties keep the earlier one
    meta = json.loads((out / "best.json").read_text())
    assert meta == {"key": key, "value": first_best[key], "step": first_best["step"],
                    "direction": "min" if pick is min else "max"}
    state = load_checkpoint(out / "best.pt")
    assert state["step"] == first_best["step"] and state["best"]["value"] == first_best[key]
    again = wgangp.evaluate(wgangp.load_run(out, checkpoint="best"), n=200)
    assert again["step"] == first_best["step"] and again[key] == pytest.approx(first_best[key])


def test_a_best_metric_the_run_does_not_report_is_refused_before_anything_is_written(tmp_path, capsys):
    out = tmp_path / "r"
    code = main(["train", "toy-8gaussians", "--out", str(out), "--quiet", "--set", "train.best_metric=fid",
                 "--set", "device=cpu"])
    err = capsys.readouterr().err
    assert code == 2 and "train.best_metric: 'fid' is not a result" in err and "high_quality" in err
    assert not (out / "config.json").exists()


def test_best_json_is_what_a_resume_compares_with(tmp_path):
    out = tmp_path / "r"
    cfg = {**BASE, "train.iterations": 10, "train.ckpt_every": 5, "train.eval_every": 5, "train.best_metric": "w1"}
    wgangp.train("toy-8gaussians", out, cfg, progress=False, stop_after=5)
    (out / "best.json").write_text(json.dumps({"key": "w1", "value": -1.0, "step": 5, "direction": "min"}))
    state = load_checkpoint(out / "checkpoint.pt")             # the checkpoint's own record: beaten by any W1
    state["best"] = {"key": "w1", "value": 1e9, "step": 5, "direction": "min"}
    save_checkpoint({k: v for k, v in state.items() if k != "format"}, out / "checkpoint.pt")
    before = (out / "best.pt").stat().st_mtime_ns
    wgangp.train(None, out, {"train.iterations": 10}, resume=True, progress=False)
    assert json.loads((out / "best.json").read_text())["value"] == -1.0     # nothing beat the recorded best
    assert (out / "best.pt").stat().st_mtime_ns == before


def test_a_noise_state_saved_on_another_device_type_resumes_with_a_fresh_stream(tmp_path, capsys):
    out = tmp_path / "r"
    wgangp.train("toy-8gaussians", out, {**BASE, "train.iterations": 2, "train.ckpt_every": 2}, progress=False)
    state = load_checkpoint(out / "checkpoint.pt")
    state["rng"]["gen"] = torch.zeros(16, dtype=torch.uint8)      # a CUDA (Philox) generator's state
    save_checkpoint({k: v for k, v in state.items() if k != "format"}, out / "checkpoint.pt")
    assert main(["train", "--out", str(out), "--resume", "--quiet", "--set", "train.iterations=4"]) == 0
    assert "saved on another device type: the noise starts a fresh stream" in capsys.readouterr().err
    assert load_checkpoint(out / "checkpoint.pt")["step"] == 4


def test_a_data_set_that_changed_size_under_the_same_path_is_refused_at_resume(tmp_path, capsys):
    data = tmp_path / "d.npz"
    rng = np.random.default_rng(0)
    np.savez(data, x_train=rng.normal(size=(64, 1, 32)).astype(np.float32))
    out = tmp_path / "r"
    wgangp.train("signals-sines-cond", out, {"data.name": "signals", "data.path": str(data), "data.batch_size": 16,
                                             "train.iterations": 2, "train.ckpt_every": 2, "train.eval_samples": 32,
                                             "model.dim": 8, "model.conditional": False, "device": "cpu"},
                 progress=False)
    np.savez(data, x_train=rng.normal(size=(48, 1, 32)).astype(np.float32))
    code = main(["train", "--out", str(out), "--resume", "--quiet", "--set", "train.iterations=4"])
    err = capsys.readouterr().err
    assert code == 2 and "the saved data order covers 64 samples, this data has 48" in err


def test_a_checkpoint_of_a_newer_wgangp_is_refused_in_one_line(tmp_path, capsys):
    out = tmp_path / "r"
    wgangp.train("toy-8gaussians", out, {**BASE, "train.iterations": 2, "train.ckpt_every": 2}, progress=False)
    state = load_checkpoint(out / "checkpoint.pt")
    save_checkpoint({k: v for k, v in state.items() if k != "format"} | {"version": "9.1.0"}, out / "checkpoint.pt")
    capsys.readouterr()
    assert main(["eval", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "was written by wgangp 9.1.0" in err and "upgrade wgangp" in err
    state["version"] = "0.1.7"                                   # a patch release of this one: fine
    save_checkpoint({k: v for k, v in state.items() if k != "format"}, out / "checkpoint.pt")
    assert main(["eval", str(out), "-n", "50"]) == 0
