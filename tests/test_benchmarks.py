"""The benchmark scripts still run (a smoke test: speed itself is measured by benchmarks/run.py)."""
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_benchmark_runs_and_prints_the_result_line():
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "run.py"), "--preset", "toy-8gaussians",
                          "--iters", "1", "--rounds", "1", "--warmup", "1", "--set", "model.hidden=16"],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    last = out.stdout.strip().splitlines()[-1]
    assert last.startswith("RESULT preset=toy-8gaussians device=cpu wgangp_its=") and " ratio=" in last


def test_plain_loop_runs_under_torch_default_flags_and_ours_are_restored():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import torch
    from run import TORCH_DEFAULTS, torch_defaults

    b = torch.backends
    saved = (b.cuda.matmul.allow_tf32, b.cudnn.allow_tf32, b.cudnn.benchmark)
    try:
        b.cuda.matmul.allow_tf32, b.cudnn.allow_tf32, b.cudnn.benchmark = True, False, True   # as a Trainer may set
        with torch_defaults():
            seen = {"matmul_tf32": b.cuda.matmul.allow_tf32, "cudnn_tf32": b.cudnn.allow_tf32,
                    "cudnn_benchmark": b.cudnn.benchmark}
        assert seen == TORCH_DEFAULTS
        assert (b.cuda.matmul.allow_tf32, b.cudnn.allow_tf32, b.cudnn.benchmark) == (True, False, True)
    finally:
        b.cuda.matmul.allow_tf32, b.cudnn.allow_tf32, b.cudnn.benchmark = saved


def test_soak_samples_the_rss_of_a_real_run_and_prints_its_verdict(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "soak.py"), "--minutes", "0.25", "--interval", "3",
                          "--warmup", "0", "--eval-every", "5", "--ckpt-every", "5", "--preset", "toy-8gaussians",
                          "--out", str(tmp_path / "soak.json")], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.count("RSS ") >= 2 and "RESULT soak minutes=0.25" in out.stdout
    import json

    result = json.loads((tmp_path / "soak.json").read_text())
    assert result["exit"] == 130 and result["iterations"] > 0 and len(result["samples_minute_rss_mib"]) >= 2
    assert all(rss > 50 for _, rss in result["samples_minute_rss_mib"])      # a torch process, really measured


def test_the_table_benchmark_scores_wgangp_and_ctgan_side_by_side(tmp_path):
    out = subprocess.run([sys.executable, str(ROOT / "benchmarks" / "tables.py"), "--tables", "cars", "--quick",
                          "--out", str(tmp_path / "t.json")], capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    import json

    (result,) = json.loads((tmp_path / "t.json").read_text())
    assert result["table"] == "cars" and result["train"] == 325 and set(result["runs"]) == {
        "wgangp", "ctgan_default", "ctgan_equal_cpu", "wgangp_ctgan_cpu"}
    for run in result["runs"].values():          # SDMetrics' scores and ours, for every tool
        assert 0 < run["quality"] <= 1 and 0 < run["diagnostic"] <= 1 and 0 <= run["membership_auc"] <= 1
        assert run["cpu_seconds"] > 0
    assert "quality gap" in (tmp_path / "t.txt").read_text()


def test_the_table_dp_and_seed_experiments_print_their_summaries():
    dp = subprocess.run([sys.executable, str(ROOT / "experiments" / "table_dp.py"), "--table", "wine", "--epsilons", "10",
                         "--seeds", "0", "--iterations", "3", "--no-ctgan"], capture_output=True, text=True, timeout=600)
    assert dp.returncode == 0, dp.stderr[-2000:]
    rows = [line.split() for line in dp.stdout.splitlines() if line.strip().startswith(("off", "10 "))]
    assert [r[0] for r in rows] == ["off", "10"] and float(rows[1][7]) == pytest.approx(10.0, abs=0.05)  # eps spent
    seeds = subprocess.run([sys.executable, str(ROOT / "experiments" / "table_seeds.py"), "--table", "wine", "--seeds",
                            "0", "1", "--iterations", "3", "--vary-split"], capture_output=True, text=True, timeout=600)
    assert seeds.returncode == 0, seeds.stderr[-2000:]
    assert "wine, 2 seeds, each its own split (mean +- std)" in seeds.stdout and "membership_auc:" in seeds.stdout
    held = [ln.split("dcr_holdout_median=")[1].split()[0] for ln in seeds.stdout.splitlines() if "dcr_holdout_median=" in ln]
    assert len(held) == 2 and held[0] != held[1]                      # two splits: two different held-out sets
    floor = subprocess.run([sys.executable, str(ROOT / "experiments" / "table_attack_floor.py"), "--table", "wine",
                            "--splits", "3"], capture_output=True, text=True, timeout=600)
    assert floor.returncode == 0, floor.stderr[-2000:]
    auc = float(floor.stdout.split("membership AUC ")[1].split()[0])
    assert "fresh real records as the synthetic set, 3 splits" in floor.stdout and 0.3 < auc < 0.7
