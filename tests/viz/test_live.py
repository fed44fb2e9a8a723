"""The live view: a real training process serves its page; controls pause, step, change settings
and stop it; every change is an event in metrics.jsonl and the checkpoint, replayed by --resume."""
import json
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.request

import numpy as np
import pytest
import torch

from wgangp.errors import UserError
from wgangp.train import controls as ctl
from wgangp.viz import live

ENV = {**os.environ, "OMP_NUM_THREADS": "1"}       # one thread: the test process computes too
SMALL = ["--set", "model.hidden=32", "--set", "model.depth=2", "--set", "data.batch_size=64", "--set", "train.log_every=2",
         "--set", "train.eval_every=0", "--set", "train.eval_samples=200", "--set", "device=cpu", "--set", "train.ckpt_every=1000"]


def _get(url: str):
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def _post(url: str, body: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url + "api/control", data=json.dumps(body).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def _until(what, timeout=60.0):
    end = time.time() + timeout
    while time.time() < end:
        got = what()
        if got:
            return got
        time.sleep(0.1)
    raise AssertionError("timed out")


def start_live_run(out, iterations=100_000, extra=()):
    proc = subprocess.Popen([sys.executable, "-m", "wgangp", "train", "toy-8gaussians", "--out", str(out), "--live",
                             "--quiet", "--set", f"train.iterations={iterations}", *SMALL, *extra],
                            stderr=subprocess.PIPE, text=True, env=ENV)
    line = ""
    while "live view at" not in line:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            raise AssertionError(f"the run ended before serving: rc {proc.returncode}")
    return proc, re.search(r"(http://\S+/)", line).group(1)


def test_controls_pause_step_set_stop_and_resume_replays_them(tmp_path):
    out = tmp_path / "r"
    proc, url = start_live_run(out, extra=["--paused"])
    try:
        snap = _until(lambda: _get(url + "api/state")["snapshot"])
        assert snap["paused"] and snap["step"] == 0 and snap["panels"]["kind"] == "plane"
        time.sleep(1.0)
        assert _get(url + "api/state")["snapshot"]["step"] == 0              # paused: no iteration runs
        assert _post(url, {"action": "step"})[0] == 200
        _until(lambda: _get(url + "api/state")["snapshot"]["step"] == 1)
        time.sleep(0.8)
        assert _get(url + "api/state")["snapshot"]["step"] == 1              # one step, then paused again
        assert _post(url, {"action": "set", "key": "optim.lr", "value": "0.0005"}) == (
            200, {"queued": "set", "key": "optim.lr", "value": 0.0005})
        code, answer = _post(url, {"action": "set", "key": "train.n_critic", "value": 2.5})
        assert code == 400 and "integer" in answer["error"]
        code, answer = _post(url, {"action": "set", "key": "data.batch_size", "value": 8})
        assert code == 400 and "cannot change while training" in answer["error"]
        assert _post(url, {"action": "set", "key": "loss.gp_weight", "value": 5})[0] == 200
        assert _post(url, {"action": "resume"})[0] == 200
        snap = _until(lambda: (s := _get(url + "api/state")["snapshot"])["step"] > 20 and s)
        assert not snap["paused"] and snap["settings"]["optim.lr"] == 0.0005 and snap["settings"]["loss.gp_weight"] == 5
        assert _post(url, {"action": "stop"})[0] == 200
        assert proc.wait(timeout=60) == 130
    finally:
        proc.kill()
    events = [json.loads(x) for x in (out / "metrics.jsonl").read_text().splitlines() if '"control"' in x]
    assert [(e["key"], e["value"], e["was"], e["step"]) for e in events] == [
        ("optim.lr", 0.0005, 0.0001, 1), ("loss.gp_weight", 5.0, 0.1, 1)]
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    assert [e["key"] for e in state["controls"]] == ["optim.lr", "loss.gp_weight"]
    stopped_at = state["step"]
    done = subprocess.run([sys.executable, "-m", "wgangp", "train", "--out", str(out), "--resume", "--quiet", "--set",
                           f"train.iterations={stopped_at + 4}"], capture_output=True, text=True, env=ENV)
    assert done.returncode == 0, done.stderr[-1500:]
    resumed = torch.load(out / "checkpoint.pt", weights_only=True)
    assert resumed["config"]["optim"]["lr"] == 0.0001                   # as configured; the changes are events
    assert [e["key"] for e in resumed["controls"]] == ["optim.lr", "loss.gp_weight"]
    assert resumed["opt_d"]["param_groups"][0]["lr"] == pytest.approx(0.0005)      # ... and were replayed


def test_the_event_stream_sends_rows_and_snapshots_as_the_run_trains(tmp_path):
    proc, url = start_live_run(tmp_path / "r")
    try:
        kinds, rows = set(), []
        with urllib.request.urlopen(url + "events", timeout=30) as stream:
            event = None
            for raw in stream:
                line = raw.decode().rstrip("\n")
                if line.startswith("event: "):
                    event = line[7:]
                elif line.startswith("data: "):
                    kinds.add(event)
                    if event == "rows":
                        rows += json.loads(line[6:])
                if {"rows", "snapshot"} <= kinds and len(rows) >= 3:
                    break
        steps = [r["step"] for r in rows if r["kind"] == "train"]
        assert steps == sorted(steps) and steps[0] == 2 and "w_estimate" in rows[0]
    finally:
        proc.terminate()
        assert proc.wait(timeout=60) == 130                      # SIGTERM: stopped, checkpointed


def test_watching_a_finished_run_serves_it_but_refuses_controls(tmp_path):
    from wgangp import api
    from wgangp.config import load_config

    run_dir = tmp_path / "done"
    cfg = load_config("toy-8gaussians", {"model.hidden": 32, "model.depth": 2, "data.batch_size": 64,
                                          "train.iterations": 6, "train.log_every": 2, "train.eval_samples": 200,
                                          "device": "cpu"})
    api.train(cfg, run_dir, progress=False, live={})
    snap = json.loads((run_dir / "live.json").read_text())
    assert snap["step"] == 6 and snap["panels"]["kind"] == "plane"
    p = snap["panels"]
    assert len(p["surface"]) == p["grid"] and len(p["real"]) == len(p["fake"]) == 256 and len(p["push"]) == 48
    assert sum(p["grad_norm"]["counts"]) == 256 and len(p["manifold"]) == 18
    server = live.serve(run_dir, None, say=lambda m: None)
    try:
        state = _get(server.url + "api/state")
        assert state["controllable"] is False and state["snapshot"]["step"] == 6
        code, answer = _post(server.url, {"action": "pause"})
        assert code == 409 and "wgangp watch" in answer["error"]
        with urllib.request.urlopen(server.url, timeout=10) as r:
            page = r.read().decode()
        assert "/static/live.js" in page and "http" not in page.replace("http-equiv", "")
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(server.url + "static/../config.json", timeout=10)
    finally:
        server.close()


def test_a_second_live_run_on_a_busy_port_is_a_one_line_error_that_writes_nothing(tmp_path, capsys):
    from wgangp.cli import main

    busy = live.serve(tmp_path, None, say=lambda m: None)
    try:
        out = tmp_path / "second"
        assert main(["train", "toy-8gaussians", "--out", str(out), "--live", "--port", str(busy.server_address[1]),
                     "--set", "train.iterations=2"]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "pick another --port" in err[0] and not out.exists()
    finally:
        busy.close()


def test_another_interface_is_served_only_with_a_warning(tmp_path):
    said = []
    server = live.serve(tmp_path, None, host="0.0.0.0", say=said.append)
    server.close()
    assert "warning" in said[0] and "anyone who can reach this machine" in said[0]
    busy = live.serve(tmp_path, None, say=lambda m: None)
    try:
        with pytest.raises(UserError, match="pick another --port"):
            live.LiveServer(tmp_path, None, port=busy.server_address[1])
    finally:
        busy.close()


def test_control_values_are_checked_before_they_reach_the_trainer():
    c = ctl.Controls(frozen={"train.n_critic": "a DP run's budget"})
    with pytest.raises(UserError, match="cannot change in this run: a DP run's budget"):
        c.request("set", "train.n_critic", 3)
    with pytest.raises(UserError, match=r"must be in \[0, 1\]"):
        c.request("set", "optim.lr", 5)
    with pytest.raises(UserError, match="unknown action"):
        c.request("jump")
    assert c.request("set", "optim.lr", "1e-3") == {"queued": "set", "key": "optim.lr", "value": 0.001}


def test_live_only_options_without_live_are_refused(tmp_path, capsys):
    from wgangp.cli import main

    assert main(["train", "toy-8gaussians", "--out", str(tmp_path / "a"), "--paused"]) == 2
    assert "belong to --live" in capsys.readouterr().err


def _kind_configs(tmp_path):
    import numpy as np

    from wgangp.config import load_config

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "img.npz", x_train=rng.integers(0, 255, size=(64, 28, 28), dtype=np.uint8))
    np.savez(tmp_path / "sig.npz", x_train=rng.normal(size=(48, 1, 32)).astype(np.float32), y_train=np.arange(48) % 2)
    (tmp_path / "c.txt").write_text("the cat sat\na dog ran\n" * 50)
    base = {"train.iterations": 2, "train.log_every": 1, "train.eval_samples": 32, "device": "cpu"}
    return {
        "images": load_config("mnist-dcgan", {**base, "data.path": str(tmp_path / "img.npz"), "model.dim": 4}),
        "series": load_config("signals-sines-cond", {**base, "data.name": "signals", "data.path": str(tmp_path / "sig.npz"),
                                                     "data.batch_size": 16, "model.dim": 4, "model.noise_dim": 8}),
        "text": load_config("text-python-docs", {**base, "data.name": "text", "data.path": str(tmp_path / "c.txt"),
                                                 "data.seq_len": 12, "data.batch_size": 16, "model.dim": 16,
                                                 "model.depth": 1}),
    }


@pytest.mark.parametrize("kind", ["images", "series", "text"])
def test_every_kind_with_panels_draws_its_own(tmp_path, kind):
    from wgangp import api

    cfg = _kind_configs(tmp_path)[kind]
    api.train(cfg, tmp_path / kind, progress=False, live={})
    p = json.loads((tmp_path / kind / "live.json").read_text())["panels"]
    assert p["kind"] == kind
    if kind == "images":
        assert p["grid"].startswith("data:image/png;base64,") and len(p["grid"]) > 1000
    elif kind == "series":                          # two classes: a real and a generated series each, and spectra
        assert [g["label"] for g in p["groups"]] == ["class 0", "class 1"] and p["shown"] == p["length"] == 32
        assert all(len(g["real"]) == len(g["fake"]) == 32 and len(g["real_power"]) == len(g["fake_power"]) == 17
                   for g in p["groups"])
    else:
        assert len(p["lines"]) == 16 and all(isinstance(line, str) for line in p["lines"])


def test_the_signal_panel_shows_each_class_its_own_real_series_and_spectrum(tmp_path):
    import numpy as np

    from wgangp import api
    from wgangp.config import load_config
    from wgangp.domains.signals import live as signals_live

    t = np.arange(2048) / 2048
    cycles = np.where(np.arange(48) % 2 == 0, 3, 40)               # class 0: 3 cycles a series, class 1: 40
    x = np.sin(2 * np.pi * cycles[:, None] * t + np.random.default_rng(0).uniform(0, 6, (48, 1)))
    np.savez(tmp_path / "s.npz", x_train=x[:, None].astype(np.float32), y_train=np.arange(48) % 2)
    cfg = load_config("signals-sines-cond", {"train.iterations": 1, "train.eval_samples": 16, "device": "cpu",
                                             "data.name": "signals", "data.path": str(tmp_path / "s.npz"),
                                             "data.batch_size": 16, "model.dim": 4, "model.noise_dim": 8})
    api.train(cfg, tmp_path / "r", progress=False, live={})
    p = json.loads((tmp_path / "r" / "live.json").read_text())["panels"]
    assert p["length"] == 2048 and p["shown"] == signals_live.SHOWN
    bands = [len(g["real_power"]) for g in p["groups"]]
    assert bands == [signals_live.BINS] * 2 and all(len(g["real"]) == signals_live.SHOWN for g in p["groups"])
    per_band = 1025 / signals_live.BINS                             # rfft bins per band
    peaks = [int(np.argmax(g["real_power"])) for g in p["groups"]]
    assert peaks == [int(3 // per_band), int(40 // per_band)]      # each class's own frequency, in its own group


def test_a_table_run_draws_its_columns_and_correlation_gaps(tmp_path):
    from wgangp import api
    from wgangp.config import load_config

    cfg = load_config("table-breast-cancer", {"train.iterations": 3, "data.batch_size": 64, "model.hidden": 32,
                                              "model.depth": 2, "train.eval_samples": 64, "device": "cpu"})
    api.train(cfg, tmp_path / "t", progress=False, live={})
    p = json.loads((tmp_path / "t" / "live.json").read_text())["panels"]
    assert p["kind"] == "table" and 1 <= len(p["columns"]) <= 8
    for col in p["columns"].values():
        assert len(col["real"]) == len(col["fake"]) == len(col["labels"])
        assert abs(sum(col["real"]) - 1) < 0.02                                # shares of the real records
    n = len(p["corr_names"])
    assert n >= 2 and len(p["corr_gap"]) == n and all(len(row) == n for row in p["corr_gap"])
    assert all(row[i] == 0 for i, row in enumerate(p["corr_gap"]))             # a column against itself


def _start(url: str, form: dict) -> tuple[int, dict]:
    req = urllib.request.Request(url + "api/start", data=json.dumps(form).encode(), method="POST")
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read())


def test_the_playground_trains_the_runs_its_form_asks_for(tmp_path):
    from wgangp.viz.playground import Playground

    server = live.serve(tmp_path, None, say=lambda m: None)
    server.playground = Playground(tmp_path, server)
    try:
        code, answer = _start(server.url, {"data": "moons"})
        assert code == 400 and "data: one of" in answer["error"]
        code, answer = _start(server.url, {"data": "drawn", "points": [[0, 0]]})
        assert code == 400 and "at least 8 points" in answer["error"]
        small = {"hidden": 16, "depth": 2, "iterations": 20}
        assert _start(server.url, {"data": "8gaussians", "loss": "wgan-clip", **small}) == (
            200, {"started": "run-001", "data": "8gaussians", "loss": "wgan-clip"})
        _until(lambda: not _get(server.url + "api/state")["running"])
        state = _get(server.url + "api/state")
        assert state["error"] is None and state["snapshot"]["step"] == 20
        assert json.loads((tmp_path / "run-001" / "config.json").read_text())["loss"]["name"] == "wgan-clip"
        ring = [[float(np.cos(a)), float(np.sin(a))] for a in np.linspace(0, 6.28, 12, endpoint=False)]
        assert _start(server.url, {"data": "drawn", "points": ring, "iterations": 5000, "hidden": 16})[0] == 200
        _until(lambda: (s := _get(server.url + "api/state")["snapshot"]) and s["step"] > 0 and s)
        assert _start(server.url, {"data": "swissroll", **small})[0] == 200      # stops run-002, checkpointed
        assert (tmp_path / "run-002" / "checkpoint.pt").is_file()
        assert json.loads((tmp_path / "run-002" / "config.json").read_text())["data"]["name"] == "points"
        _until(lambda: not _get(server.url + "api/state")["running"])
        assert (tmp_path / "run-003" / "eval.json").is_file()
    finally:
        server.playground.stop()
        server.close()


def test_a_run_steered_by_hand_is_replayed_bit_for_bit(tmp_path):
    steered, again = tmp_path / "steered", tmp_path / "again"
    proc, url = start_live_run(steered, iterations=30, extra=["--paused"])
    try:
        _until(lambda: _get(url + "api/state")["snapshot"])
        assert _post(url, {"action": "set", "key": "optim.lr", "value": 3e-4})[0] == 200   # before iteration 1
        assert _post(url, {"action": "step"})[0] == 200
        _until(lambda: _get(url + "api/state")["snapshot"]["step"] == 1)
        assert _post(url, {"action": "set", "key": "loss.gp_weight", "value": 2.0})[0] == 200
        assert _post(url, {"action": "set", "key": "train.n_critic", "value": 2})[0] == 200
        assert _post(url, {"action": "resume"})[0] == 200
        assert proc.wait(timeout=120) == 0
    finally:
        proc.kill()
    done = subprocess.run([sys.executable, "-m", "wgangp", "train", "toy-8gaussians", "--out", str(again), "--quiet",
                           "--set", "train.iterations=30", *SMALL, "--replay", str(steered)],
                          capture_output=True, text=True, env=ENV)
    assert done.returncode == 0, done.stderr[-1500:]
    a, b = (torch.load(d / "checkpoint.pt", weights_only=True) for d in (steered, again))
    assert [(e["key"], e["step"]) for e in b["controls"]] == [("optim.lr", 0), ("loss.gp_weight", 1), ("train.n_critic", 1)]
    assert all(torch.equal(a["generator"][k], b["generator"][k]) for k in a["generator"])
    assert all(torch.equal(a["critic"][k], b["critic"][k]) for k in a["critic"])
    plain = subprocess.run([sys.executable, "-m", "wgangp", "train", "toy-8gaussians", "--out", str(tmp_path / "plain"),
                            "--quiet", "--set", "train.iterations=30", *SMALL], capture_output=True, text=True, env=ENV)
    assert plain.returncode == 0
    c = torch.load(tmp_path / "plain" / "checkpoint.pt", weights_only=True)
    assert not all(torch.equal(a["generator"][k], c["generator"][k]) for k in a["generator"])   # the changes mattered


def test_live_under_torchrun_is_refused_before_the_run_directory_is_touched(tmp_path, monkeypatch):
    from wgangp import api
    from wgangp.config import load_config
    from wgangp.errors import UserError
    from wgangp.train import distributed

    monkeypatch.setattr(distributed, "from_env", lambda device: object())    # as under torchrun, WORLD_SIZE > 1
    with pytest.raises(UserError, match="--live is for one process.*wgangp watch"):
        api.train(load_config("toy-8gaussians", {"device": "cpu"}), tmp_path / "r", progress=False, live={})
    assert not (tmp_path / "r").exists()
