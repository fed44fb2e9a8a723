"""The clips of experiments/audio_classes.py: the WAV folder its audio figures are measured on."""
import numpy as np
import pytest
import torch

from tests.checks import experiment
from wgangp.data.series_io import read_series
from wgangp.errors import UserError
from wgangp.metrics.signals import class_agreement

audio = experiment("audio_classes")


def test_clips_are_a_16khz_wav_folder_of_three_classes_in_range(tmp_path):
    audio.make_clips(tmp_path / "c", per_class=6, length=1024)
    got = read_series(tmp_path / "c")
    assert got.sample_rate == 16_000 and got.x.shape == (18, 1, 1024)
    assert sorted(got.class_names) == sorted(audio.CLASSES) and np.bincount(got.labels).tolist() == [6, 6, 6]
    assert np.abs(got.x).max() <= 1.0 and np.abs(got.x).max() > 0.5
    with pytest.raises(UserError, match="exists"):                  # never written over
        audio.make_clips(tmp_path / "c", per_class=2, length=1024)


def test_each_class_has_its_stated_band_and_a_spectrum_classifier_separates_them(tmp_path):
    rng = np.random.default_rng(0)
    peak = {k: [np.argmax(np.abs(np.fft.rfft(audio.clip(k, 4096, rng)))) * audio.RATE / 4096 for _ in range(20)]
            for k in ("low", "high")}
    assert all(250 <= f <= 500 for f in peak["low"]) and all(2000 <= f <= 4000 for f in peak["high"])
    audio.make_clips(tmp_path / "a", per_class=30, length=1024, seed=1)
    audio.make_clips(tmp_path / "b", per_class=30, length=1024, seed=2)
    a, b = read_series(tmp_path / "a"), read_series(tmp_path / "b")
    # the class-agreement metric's random forest, trained on one set of clips, on another real set
    agree = class_agreement(torch.from_numpy(a.x), torch.from_numpy(a.labels), torch.from_numpy(b.x),
                            torch.from_numpy(b.labels))
    assert agree > 0.95


def test_a_run_that_stopped_early_is_one_line_and_not_scored(tmp_path, monkeypatch):
    import types

    import wgangp

    monkeypatch.setattr(wgangp, "train", lambda *a, **k: types.SimpleNamespace(step=3))
    with pytest.raises(SystemExit, match="stopped at iteration 3 of 10; the same command resumes it"):
        audio.run_one("specgan", 0, tmp_path / "clips", tmp_path / "test", tmp_path, 10)
