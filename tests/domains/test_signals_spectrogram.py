"""Signals trained as SpecGAN spectrograms (data.representation=spectrogram): the checks of the
network and the length, a short conditional run on the sines, and samples written as series."""
import json

import numpy as np
import pytest
import torch

import wgangp
from wgangp.cli import main
from wgangp.config import load_config
from wgangp.domains import domain_for
from wgangp.errors import UserError


def _npz(path, channels=1, length=40):
    x = np.random.default_rng(0).normal(size=(32, channels, length)).astype(np.float32)
    np.savez(path, x_train=x, y_train=np.arange(32) % 2)
    return str(path)


def test_the_sines_become_28x28_images_for_the_one_channel_network():
    cfg = load_config("signals-sines-spec", {"device": "cpu"})
    notes = domain_for("sines").resolve(cfg)
    assert cfg.data.resolution == 28 and "n_fft 56, hop 3, zero-padded to 84 samples" in notes[0]
    src = domain_for("sines").build_source(cfg.data, 0, True)
    assert src.shape == (1, 28, 28) and src.series.shape == (4000, 1, 64) and src.n_classes == 4
    assert src.points.min() >= -1 and src.points.max() <= 1
    assert src.signal_state()["spectrogram"]["hop"] == 3


@pytest.mark.parametrize("overrides, message", [
    ({"model.arch": "dcgan-1d"}, "trains an image network; model.arch=dcgan-1d is not one: use dcgan-mnist (1x28x28)"),
    ({"model.arch": "dcgan-cifar"}, "builds 3-channel images; these signals have 1 channel(s): use dcgan-mnist"),
    ({"data.resolution": 32}, "model.arch=dcgan-mnist builds 28x28 spectrograms; leave data.resolution at 0"),
    ({"data.name": "signals", "data.path": "s.npz", "data.length": 20}, "series of 20 samples do not fit "
     "model.arch=dcgan-mnist's 28x28 spectrogram (hop 2 to 28 holds 29 to 784 samples): set data.length=29"),
    ({"data.representation": "waveform"}, "model.arch=dcgan-mnist is an image network: train signals with it as "
     "spectrograms"),
    ({"data.spectrogram_clip": 0}, "data.spectrogram_clip=0: the clip of spectrograms' normalised bins"),
    ({"data.spectrogram_clip": -2}, "is > 0 and applies with data.representation=spectrogram"),
    ({"data.representation": "waveform", "model.arch": "dcgan-1d", "data.spectrogram_clip": 8},
     "data.spectrogram_clip=8: the clip"),
])
def test_bad_spectrogram_settings_are_one_line_errors(overrides, message):
    with pytest.raises(UserError) as e:
        load_config("signals-sines-spec", overrides)
    assert message in str(e.value) and "\n" not in str(e.value)


def test_files_too_short_or_of_other_channels_are_refused_before_training(tmp_path):
    for channels, length, message in [(1, 24, "series of 24 samples do not fit"), (2, 40, "these signals have 2")]:
        cfg = load_config("signals-sines-spec", {"data.name": "signals", "data.path": _npz(tmp_path / "s.npz",
                                                                                               channels, length)})
        with pytest.raises(UserError, match=message):
            domain_for("signals").resolve(cfg)


def test_a_conditional_spectrogram_run_samples_series_of_the_original_length(tmp_path, capsys):
    out = tmp_path / "r"
    sets = ["model.dim=4", "model.noise_dim=8", "data.batch_size=16", "train.iterations=2", "train.eval_samples=40",
            "device=cpu"]
    assert main(["train", "signals-sines-spec", "--out", str(out), "--quiet", *[a for s in sets for a in ("--set", s)]]) == 0
    assert "28x28 spectrogram" in capsys.readouterr().err
    assert main(["eval", str(out), "--json"]) == 0
    m = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert {"spectrum_distance", "class_agreement", "w1"} <= set(m)
    assert main(["sample", str(out), "-n", "12", "--class", "3", "-o", str(tmp_path / "g.npz")]) == 0
    assert "samples of shape (1, 64)" in capsys.readouterr().out
    run = wgangp.load_run(out)
    assert run.data_shape == (1, 28, 28) and run.config.data.resolution == 28
    with np.load(tmp_path / "g.npz") as z:
        assert z["x_train"].shape == (12, 1, 64) and (z["y_train"] == 3).all()
        decoded = run.to_data_units(run.sample(12, seed=0, classes=3))       # Griffin-Lim, then the data's scale
        np.testing.assert_allclose(z["x_train"], decoded.numpy(), rtol=1e-5, atol=1e-6)
    assert torch.isfinite(decoded).all() and decoded.abs().max() > 0
    panel = run.domain.live_panels(run, {})                                 # the live view draws series too
    assert panel["length"] == 64 and len(panel["groups"][0]["fake"]) == len(panel["groups"][0]["real"]) == 64


def test_a_spectrogram_representation_of_other_data_is_refused_not_ignored():
    from wgangp.config import load_config

    with pytest.raises(UserError, match="data.representation=spectrogram applies to signals"):
        load_config("toy-8gaussians", {"data.representation": "spectrogram"})


def test_the_spectrogram_clip_is_trained_kept_and_decoded_with(tmp_path):
    """data.spectrogram_clip=8 divides by 8 std (values of 3-8 std kept whole, where 3 clips them); the
    checkpoint keeps it and samples are de-normalised with it; a checkpoint without it decodes at 3."""
    from wgangp.domains.signals import as_series

    cfg = load_config("signals-sines-spec", {"device": "cpu", "data.spectrogram_clip": 8})
    domain_for("sines").resolve(cfg)
    wide = domain_for("sines").build_source(cfg.data, 0, True)
    cfg.data.spectrogram_clip = 3.0
    narrow = domain_for("sines").build_source(cfg.data, 0, True)
    assert (narrow.points.abs() >= 1).sum() > 100 * (wide.points.abs() >= 1).sum()     # 19,875 against 34
    inside = narrow.points.abs() < 1
    torch.testing.assert_close(wide.points[inside] * 8, narrow.points[inside] * 3, rtol=1e-5, atol=1e-5)
    state = wide.signal_state()
    assert state["spectrogram"]["clip"] == 8.0 and narrow.signal_state()["spectrogram"]["clip"] == 3.0
    img = wide.points[:4]
    torch.testing.assert_close(as_series(img, state), as_series(img * 8 / 3, {"spectrogram": {
        k: v for k, v in state["spectrogram"].items() if k != "clip"}}))          # no clip in it: SpecGAN's 3
    run = wgangp.train("signals-sines-spec", tmp_path / "r", {"device": "cpu", "model.dim": 4, "model.noise_dim": 8,
                       "data.batch_size": 16, "train.iterations": 1, "train.eval_every": 0,
                       "train.eval_samples": 40, "data.spectrogram_clip": 8}, progress=False)
    assert run.domain_state["spectrogram"]["clip"] == 8.0
    assert wgangp.load_run(tmp_path / "r").config.data.spectrogram_clip == 8.0


def test_the_spectrogram_clip_of_other_data_is_refused_not_ignored():
    with pytest.raises(UserError, match="data.spectrogram_clip=8.0 applies to signals data"):
        load_config("toy-8gaussians", {"data.spectrogram_clip": 8})
