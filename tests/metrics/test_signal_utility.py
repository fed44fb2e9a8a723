"""Signal scores: the 1-D CNN learns (and not noise), TimeGAN's discriminative and predictive scores
tell like from unlike, the utility arms, MiniRocket where aeon is installed, ``wgangp classifier``
on signal files, and the two scores selectable by name in ``wgangp eval``."""
import json
import math
import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from wgangp.cli import main
from wgangp.domains.signals.classifier import is_series_data
from wgangp.metrics.series_classifier import fit_cnn, predict
from wgangp.metrics.signal_predictive import predictive_score
from wgangp.metrics.signal_utility import discriminative_score, utility

TINY = (8, 16, 8)


def _two_sines(n, length=64, seed=0, offset=100.0, scale=40.0):
    """Two classes (2 and 6 cycles a window, random phase), in units far from 0 and 1: ``(x, y)``."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    t = np.arange(length) / length
    x = np.sin(2 * math.pi * (2 + 4 * y[:, None]) * t + rng.uniform(0, 2 * math.pi, (n, 1)))
    x = offset + scale * (x + 0.2 * rng.standard_normal((n, length)))
    return x[:, None, :].astype(np.float32), y


def test_cnn_learns_two_frequencies_in_the_data_units_and_not_shuffled_labels():
    x, y = _two_sines(80)
    xt, yt = _two_sines(200, seed=1)
    model = fit_cnn(x, y, epochs=25, seed=0, widths=TINY)
    assert np.mean(predict(model, xt) == yt) > 0.9
    shuffled = fit_cnn(x, np.random.default_rng(0).permutation(y), epochs=25, seed=0, widths=TINY)
    assert np.mean(predict(shuffled, xt) == yt) < 0.7
    again = fit_cnn(x, y, epochs=25, seed=0, widths=TINY)                 # seeded: the same network
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))


def test_cnn_returns_the_epoch_of_lowest_training_loss_not_the_last():
    x, y = _two_sines(60)
    y[::7] = 1 - y[::7]                                                   # wrong labels: no epoch fits them all
    history: list[float] = []
    model = fit_cnn(x, y, epochs=30, seed=0, widths=TINY, lr=0.2, history=history)    # a rate that wanders
    assert len(history) == 30 and min(history) < history[-1]             # the last epoch is not the best one
    with torch.no_grad():
        kept = torch.nn.functional.cross_entropy(model(torch.as_tensor(x)), torch.as_tensor(y)).item()
    assert kept == pytest.approx(min(history), rel=1e-5)


def test_discriminative_score_is_near_zero_for_one_distribution_and_half_for_two():
    x, y = _two_sines(300)                                                # classes alternate: halves alike
    same = discriminative_score(x[:150], x[150:], seed=0, epochs=10, widths=TINY)
    other = discriminative_score(x[y == 0], x[y == 1], seed=0, epochs=10, widths=TINY)
    assert same < 0.15 and other > 0.4


def test_predictive_score_is_lower_on_a_predictable_series_than_on_noise():
    x, _ = _two_sines(120)
    noise = np.random.default_rng(0).standard_normal((120, 1, 64)).astype(np.float32) * 40 + 100
    sines = predictive_score(x[:60], x[60:], seed=0, epochs=40)
    white = predictive_score(noise[:60], noise[60:], seed=0, epochs=40)
    assert sines["predictive_score"] < 0.5 * white["predictive_score"]
    assert white["predictive_score"] == pytest.approx(40 * math.sqrt(2 / math.pi), rel=0.15)   # E|N(0, 40^2)|
    lacking = predictive_score(x[:60], noise, seed=0, epochs=40)          # "synthetic" series without the dynamics
    assert lacking["predictive_score"] > 1.5 * lacking["predictive_score_real"]
    assert lacking["predictive_score_real"] == pytest.approx(sines["predictive_score_real"])


def test_utility_arms_on_faithful_and_on_mislabelled_synthetic_series():
    real, test, synth = _two_sines(60), _two_sines(100, seed=1), _two_sines(60, seed=2)
    good = utility(real, test, synth, seed=0, epochs=25, widths=TINY)
    assert set(good) == {"trtr", "tstr", "trstr", "real_classic"}
    assert min(a["accuracy"] for a in good.values()) > 0.9
    assert set(good["trtr"]) == {"accuracy", "balanced_accuracy", "recall_0", "recall_1"}
    wrong = utility(real, test, (synth[0], 1 - synth[1]), seed=0, epochs=25, widths=TINY, arms=("tstr",))
    assert list(wrong) == ["tstr"] and wrong["tstr"]["accuracy"] < 0.2     # the classes swapped


def test_rocket_utility_where_aeon_is_installed():
    pytest.importorskip("aeon", reason="MiniRocket needs aeon (pip install aeon, the 'signals' extra)")
    real, test, synth = _two_sines(40), _two_sines(60, seed=1), _two_sines(40, seed=2)
    got = utility(real, test, (synth[0], 1 - synth[1]), classifier="rocket", seed=0, arms=("trtr", "tstr"))
    assert got["trtr"]["accuracy"] > 0.9 and got["tstr"]["accuracy"] < 0.2


MINIROCKET_THEN_THREADS = """
import numpy as np, torch
from wgangp.metrics.signal_utility import utility
torch.set_num_threads(2)
x, y = np.random.default_rng(0).standard_normal((20, 1, 64)).astype(np.float32), np.arange(20) % 2
torch.nn.functional.conv1d(torch.randn(64, 8, 500), torch.randn(8, 8, 5)).sum()   # torch's OpenMP pool in use
utility((x, y), (x, y), (x, y), classifier="rocket", arms=("trtr",))
print(torch.get_num_threads())
"""


def test_minirocket_leaves_torch_thread_count_as_it_was():
    # numba pinned to one thread (as experiments/ucr_augmentation.py does) shares OpenMP with torch: without
    # the guard torch came back with 1 thread, and a 1-D CNN fitted next learnt something else
    pytest.importorskip("aeon", reason="MiniRocket needs aeon (pip install aeon, the 'signals' extra)")
    env = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "MKL_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", MINIROCKET_THEN_THREADS], env={**env, "NUMBA_NUM_THREADS": "1"},
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-1] == "2"


def test_rocket_utility_is_none_without_aeon(monkeypatch):
    monkeypatch.setitem(sys.modules, "aeon.classification.convolution_based", None)     # import fails
    real = _two_sines(10)
    assert utility(real, real, real, classifier="rocket", arms=("trtr",)) is None


def _signal_npz(path, n=60, test=True):
    x, y = _two_sines(n)
    x = np.concatenate([x, -x], axis=1)                                    # 2 channels
    arrays = {"x_train": x, "y_train": y + 1}                               # labels 1, 2 as the UCR files
    if test:
        xt, yt = _two_sines(40, seed=1)
        arrays |= {"x_test": np.concatenate([xt, -xt], axis=1), "y_test": yt + 1}
    np.savez(path, **arrays)
    return path


def test_classifier_command_on_a_signal_npz_writes_torchscript_series_to_logits(tmp_path, capsys):
    data = _signal_npz(tmp_path / "s.npz")
    assert is_series_data(data)
    assert main(["classifier", str(data), "-o", str(tmp_path / "c.pt"), "--epochs", "25"]) == 0
    out = capsys.readouterr().out
    assert "2 classes, 60 training series, test accuracy" in out
    assert float(out.split("test accuracy ")[1].rstrip("%\n")) > 90
    net = torch.jit.load(str(tmp_path / "c.pt"))
    xt, yt = _two_sines(40, seed=1)
    logits = net(torch.from_numpy(np.concatenate([xt, -xt], axis=1)))       # (N, C, L) in the data's units
    assert logits.shape == (40, 2) and (logits.argmax(1).numpy() == yt).mean() > 0.9
    extra = {"wgangp.json": ""}
    torch.jit.load(str(tmp_path / "c.pt"), _extra_files=extra)
    assert json.loads(extra["wgangp.json"])["class_names"] == ["1", "2"]
    assert main(["classifier", str(data), "-o", str(tmp_path / "c.pt")]) == 2            # never overwritten
    assert "exists" in capsys.readouterr().err


def test_classifier_command_reads_a_ucr_pair_and_tells_images_from_signals(tmp_path, capsys):
    x, y = _two_sines(40, length=30)
    xt, yt = _two_sines(30, length=30, seed=1)
    for name, (a, b) in {"Toy_TRAIN.tsv": (x, y), "Toy_TEST.tsv": (xt, yt)}.items():
        np.savetxt(tmp_path / name, np.c_[np.where(b == 1, 1, -1), a[:, 0]], delimiter="\t", fmt="%g")
    assert main(["classifier", str(tmp_path / "Toy_TRAIN.tsv"), "-o", str(tmp_path / "c.pt"), "--epochs", "25"]) == 0
    assert "40 training series, test accuracy" in capsys.readouterr().out
    np.savez(tmp_path / "img.npz", x_train=np.zeros((4, 28, 28), np.uint8), y_train=np.arange(4) % 2)
    np.savez(tmp_path / "rect.npz", x_train=np.zeros((4, 3, 50), np.float32), y_train=np.arange(4) % 2)
    assert not is_series_data(tmp_path / "img.npz") and is_series_data(tmp_path / "rect.npz")
    assert not is_series_data(tmp_path / "missing.npz")


def test_discriminative_and_predictive_are_eval_metrics_by_name_only(tmp_path, capsys):
    import wgangp
    from wgangp.api import metric_names

    x, y = _two_sines(48, length=32)
    np.savez(tmp_path / "s.npz", x_train=x, y_train=y)
    out = tmp_path / "r"
    sets = ["data.name=signals", f"data.path={tmp_path / 's.npz'}", "data.batch_size=16", "model.dim=4",
            "model.noise_dim=8", "train.iterations=2", "train.eval_samples=40", "device=cpu"]
    assert main(["train", "signals-sines-cond", "--out", str(out), "--quiet", *[a for s in sets for a in ("--set", s)]]) == 0
    run = wgangp.load_run(out)
    assert not {"discriminative", "predictive"} & set(metric_names(run))            # not in the default evaluation
    assert metric_names(run, "discriminative,predictive")[-2:] == ["discriminative", "predictive"]
    capsys.readouterr()
    assert main(["eval", str(out), "--json", "--metrics", "discriminative,predictive"]) == 0
    m = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert 0 <= m["discriminative_score"] <= 0.5
    assert m["predictive_score"] > 0 and m["predictive_score_real"] > 0
    assert main(["list", "--metrics"]) == 0
    lines = {ln.split()[0]: ln for ln in capsys.readouterr().out.splitlines()[1:]}
    assert "[signals]" in lines["discriminative"] and "[signals]" in lines["predictive"]     # no * : not default
