"""experiments/floors.py: the reference floors are true-vs-true figures, and bad input is a one-line error."""
import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest
import torch

_spec = importlib.util.spec_from_file_location(
    "floors", Path(__file__).resolve().parents[1] / "experiments" / "floors.py")
floors = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(floors)


@pytest.fixture(autouse=True)
def _keep_threads():
    """floors.main sets one thread for itself; the rest of the suite keeps its own setting."""
    threads = torch.get_num_threads()
    yield
    torch.set_num_threads(threads)


def _run(capsys, *argv):
    rc = floors.main(list(argv))
    out, err = capsys.readouterr()
    return rc, out, err


def test_toy_floor_is_two_independent_true_sets(capsys):
    from wgangp.data.toy import toy_distribution
    from wgangp.metrics.toy import w1_distance

    rc, out, _ = _run(capsys, "toy", "-n", "500", "--json")
    assert rc == 0
    r = json.loads(out)
    assert (r["command"], r["n"], r["sample_seed"], r["reference_seed"]) == ("toy", 500, 1, 2)
    rows = {row["data"]: row for row in r["rows"]}
    assert set(rows) == {"8gaussians", "25gaussians", "swissroll"}
    g8 = rows["8gaussians"]
    assert g8["n_samples"] == 500 and g8["high_quality"] > 0.95 and g8["modes_captured"] == g8["n_modes"] == 8
    # a true set against the same set would score 0; against a set shifted by 0.1 well above the floor
    dist = toy_distribution("8gaussians")
    a, b = (dist.sample(500, torch.Generator().manual_seed(s)) for s in (1, 2))
    assert 0.01 < g8["w1"] < w1_distance(a + 0.1, b)
    assert g8["w1"] == pytest.approx(w1_distance(a, b))
    assert rows["25gaussians"]["high_quality"] > 0.95 and 0.01 < rows["25gaussians"]["w1"] < 0.3
    assert rows["swissroll"]["high_quality"] is None and 0.01 < rows["swissroll"]["w1"] < 0.3


def test_toy_pairs_report_the_spread_and_human_lines(capsys):
    rc, out, _ = _run(capsys, "toy", "-n", "200", "--pairs", "3")
    assert rc == 0
    lines = out.splitlines()
    assert "two fresh draws from the distribution" in lines[0] and "seeds 1 (scored) / 2 (reference)" in lines[0]
    assert len(lines) == 4 and "HQ" in lines[1] and "modes" in lines[1] and "over 3 seed pairs" in lines[3]


def test_sines_floor_and_class_ceiling(capsys):
    from wgangp.data.signals import sines
    from wgangp.metrics.signals import spectrum_distance

    rc, out, _ = _run(capsys, "sines", "-n", "500", "--json")
    assert rc == 0
    r = json.loads(out)
    assert r["n"] == 500 and r["split_seed"] == 0
    x, _ = sines()
    noise = torch.randn(500, 1, x.shape[-1], generator=torch.Generator().manual_seed(0))
    assert r["spectrum_distance"] < 0.05 < 0.5 < spectrum_distance(x[:500], noise)
    assert r["class_agreement"] > 0.9


def _one_line_error(capsys, *argv):
    rc, out, err = _run(capsys, *argv)
    assert rc == 2 and out == ""
    assert err.startswith("floors: error: ") and err.count("\n") == 1
    return err


def test_class_head_input_errors_are_one_line(capsys, tmp_path):
    assert "not found" in _one_line_error(capsys, "class-head", str(tmp_path / "no-run"), "--data", "m.npz")
    assert "m.npz" in _one_line_error(capsys, "class-head", str(tmp_path), "--data", str(tmp_path / "m.npz"))
    np.savez(tmp_path / "train-only.npz", x_train=np.zeros((4, 28, 28), np.uint8), y_train=np.zeros(4, np.int64))
    err = _one_line_error(capsys, "class-head", str(tmp_path), "--data", str(tmp_path / "train-only.npz"))
    assert "x_test" in err and "y_test" in err
    # a directory with the test split but no run in it: the package's own one-line message
    np.savez(tmp_path / "m.npz", x_test=np.zeros((4, 28, 28), np.uint8), y_test=np.zeros(4, np.int64))
    assert "run directory" in _one_line_error(capsys, "class-head", str(tmp_path), "--data", str(tmp_path / "m.npz"))
