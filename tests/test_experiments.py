"""The data handling of the scripts in experiments/ (their figures are only as good as these)."""
import json
from pathlib import Path

import numpy as np
import pytest

from tests.checks import experiment

imb = experiment("mnist_imbalance")


def _mnist_like(path, per_class=50):
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(4), per_class).astype(np.uint8)
    np.savez(path, x_train=rng.integers(0, 256, (len(y), 28, 28), dtype=np.uint8), y_train=y,
             x_test=np.zeros((8, 28, 28), np.uint8), y_test=np.arange(8, dtype=np.uint8) % 4)


def test_subset_keeps_the_stated_share_of_minority_classes_and_the_whole_test_split(tmp_path):
    _mnist_like(tmp_path / "m.npz")
    counts = imb.make_subset(tmp_path / "m.npz", tmp_path / "s.npz", minority=[0, 2], keep=0.1, seed=3)
    assert counts == [5, 50, 5, 50]
    with np.load(tmp_path / "s.npz") as s, np.load(tmp_path / "m.npz") as m:
        assert np.bincount(s["y_train"]).tolist() == counts
        np.testing.assert_array_equal(s["x_test"], m["x_test"])
        # every kept image is a real training image of its class
        for x, y in zip(s["x_train"], s["y_train"]):
            assert any((x == m["x_train"][m["y_train"] == y]).all(axis=(1, 2)))
    other = imb.make_subset(tmp_path / "m.npz", tmp_path / "t.npz", minority=[0, 2], keep=0.1, seed=4)
    assert other == counts
    with np.load(tmp_path / "s.npz") as a, np.load(tmp_path / "t.npz") as b:
        assert not np.array_equal(a["x_train"], b["x_train"])          # the seed picks the subset


def test_oversampling_repeats_real_images_up_to_the_largest_class():
    x = np.arange(13)[:, None]
    y = np.array([0] * 10 + [1] * 3)
    xo, yo = imb.oversample(x, y, seed=0)
    assert np.bincount(yo).tolist() == [10, 10]
    np.testing.assert_array_equal(xo[:13], x)                         # the originals first, untouched
    assert set(xo[13:, 0]) <= {10, 11, 12}                            # only class-1 images repeated


def test_faults_table_runs_a_case_against_a_tree_and_reports_its_exit_and_message(tmp_path):
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, str(root / "experiments" / "faults_table.py"), "--tree", f"now={root / 'src'}",
                          "--only", "10 a directory as config", "--out", str(tmp_path / "t.md")],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = (tmp_path / "t.md").read_text().splitlines()
    assert len(rows) == 3 and rows[2].startswith("| 10 a directory as config path | 2: wgangp: error: ")
    assert "is a directory" in rows[2]


def test_time_to_quality_times_the_whole_command_and_reads_its_final_evaluation(tmp_path):
    ttq = experiment("toy_time_to_quality")
    got = ttq.one("toy-25gaussians-minute", 0, ["train.iterations=3", "train.eval_samples=200"], tmp_path)
    assert got["modes"] is not None and 0 <= got["modes"] <= 25 and 0 <= got["hq"] <= 1 and got["w1"] > 0
    assert got["seconds"] > 0.5                                  # a whole process (imports included), not the loop
    assert not list(tmp_path.iterdir())                          # its run directory is removed


fs = experiment("few_shot_images")


def test_few_shot_images_trains_both_arms_on_a_class_balanced_subset_and_scores_them(tmp_path, capsys):
    import json

    import torch

    _mnist_like(tmp_path / "m.npz", per_class=30)
    net = torch.jit.script(torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(3 * 28 * 28, 8)))
    torch.jit.save(net, str(tmp_path / "f.pt"), _extra_files={"wgangp.json": json.dumps(
        {"input_size": 28, "convention": "tf"})})
    args = ["--data", str(tmp_path / "m.npz"), "--feature-net", str(tmp_path / "f.pt"), "--out", str(tmp_path / "o"),
            "--n", "40", "--seeds", "0", "--iterations", "2", "--samples", "20", "--real", "8", "--device", "cpu",
            "--set", "model.dim=4", "--set", "data.batch_size=16"]
    assert fs.main(args) == 0
    with np.load(tmp_path / "o" / "mnist-40.npz") as s:
        assert np.bincount(s["y_train"]).tolist() == [10, 10, 10, 10]
    for arm, policy in (("plain", ""), ("diffaugment", "translation,cutout")):
        cfg = json.loads((tmp_path / "o" / "40" / "seed0" / arm / "config.json").read_text())
        assert cfg["train"]["diffaugment"] == policy and cfg["data"]["name"] == "images"
    result = json.loads((tmp_path / "o" / "40" / "seed0" / "result.json").read_text())
    assert result["n_train"] == 40 and result["plain.fid"] > 0 and np.isfinite(result["diffaugment.kid"])
    assert result["plain.fid"] != result["diffaugment.fid"]                  # two runs, not one scored twice
    with pytest.raises(SystemExit, match="other settings"):                  # another recipe under the same --out
        fs.main([*args[:-2], "--set", "data.batch_size=8"])
    assert "| diffaugment - plain: fid |" in (tmp_path / "o" / "summary-40.md").read_text()


def test_level_matching_gives_each_generated_series_its_classs_real_level_and_keeps_its_shape():
    import torch

    rc = experiment("representation_ceiling")
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(20, 1, 50, generator=gen) * torch.tensor([0.5] * 10 + [2.0] * 10)[:, None, None]
    labels = torch.tensor([0] * 10 + [1] * 10)
    fake = torch.randn(6, 1, 50, generator=gen) * torch.tensor([1, 3, 9, 1, 3, 9.0])[:, None, None]
    wanted = torch.tensor([0, 0, 0, 1, 1, 1])
    out = rc.level_matched(fake, wanted, real, labels)
    rms = out.pow(2).mean(dim=(1, 2)).sqrt()
    target = [real[labels == c].pow(2).mean(dim=(1, 2)).sqrt().mean() for c in (0, 1)]
    torch.testing.assert_close(rms, torch.stack([target[c] for c in wanted.tolist()]))
    ratio = out / fake                                              # one factor a series: its shape is kept
    torch.testing.assert_close(ratio, ratio[:, :, :1].expand_as(ratio))


def test_representation_ceiling_judges_real_series_decoded_from_their_own_spectrograms(tmp_path, capsys):
    """Two classes of tones an octave apart survive the 28x28 spectrogram and Griffin-Lim: the forest
    puts nearly every decoded real series in its class; a waveform run is refused in one line."""
    import wgangp

    rc = experiment("representation_ceiling")
    rng = np.random.default_rng(0)
    t = np.arange(40)
    freq = np.repeat([0.1, 0.2], 16)
    x = np.sin(2 * np.pi * freq[:, None] * t + rng.uniform(0, 6, (32, 1)))[:, None].astype(np.float32)
    np.savez(tmp_path / "s.npz", x_train=x, y_train=np.repeat([0, 1], 16))
    tiny = {"data.name": "signals", "data.path": str(tmp_path / "s.npz"), "data.batch_size": 8, "model.dim": 4,
            "model.noise_dim": 8, "train.iterations": 1, "train.eval_every": 0, "device": "cpu"}
    run = wgangp.train("signals-sines-spec", tmp_path / "r", tiny, progress=False)
    assert rc.main([str(run.run_dir)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["real_itself"] == 1.0 and out["through_representation"] >= 0.9
    assert set(out["per_class"]) == {"0", "1"} and 0 <= out["clipped_share"] < 0.5
    assert rc.main([str(run.run_dir), "--no-clip"]) == 0
    assert json.loads(capsys.readouterr().out)["through_representation"] >= 0.9
    assert rc.main([str(run.run_dir), "--clip-std", "0.5"]) == 0                # most bins clipped at half a std
    half = json.loads(capsys.readouterr().out)
    assert half["clip_std"] == 0.5 and half["clipped_share"] > out["clipped_share"] and half["clipped_share"] > 0.2
    assert rc.main([str(run.run_dir), "--cnn", "8"]) == 0                       # the CNN judge too
    cnn = json.loads(capsys.readouterr().out)["cnn"]
    assert cnn["decoded_real"] >= 0.9 and 0 <= cnn["generated"] <= 1 and set(cnn["rms"]) == {"real", "decoded", "generated"}
    assert [sum(c["generated_said"]) for c in cnn["per_class"].values()] == [4, 4]
    assert 0 <= cnn["generated_level_matched"] <= 1 and "generated_level_matched" in cnn["per_class"]["0"]
    assert rc.main([str(run.run_dir), "--levels", "10"]) == 0                   # where the levels differ
    levels = json.loads(capsys.readouterr().out)["levels"]
    for c in levels.values():                   # quiet bins: below the class's real median, so below its loud ones
        assert c["n"] == 10 and c["real_quiet"] < c["real_loud"] and c["energy_real_quiet"] < c["energy_real_all"]
        assert c["energy_generated_all"] > 0 and -1 <= c["generated_quiet"] <= 1
    wave = wgangp.train("signals-sines-cond", tmp_path / "w", tiny, progress=False)
    assert rc.main([str(wave.run_dir)]) == 2
    assert "is no spectrogram run" in capsys.readouterr().err
