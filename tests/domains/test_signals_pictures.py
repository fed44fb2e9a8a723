"""The signals domain's pictures: per class, real vs generated series, mean power spectra and (for
spectrogram runs) spectrograms, written into the run directory by tiny runs through the public API."""
import numpy as np
import pytest
import torch
from PIL import Image

import wgangp
from wgangp.domains.signals import pictures as sp
from wgangp.domains.signals import _unscale

FAST = {"model.dim": 4, "model.noise_dim": 8, "data.batch_size": 16, "train.iterations": 2, "train.eval_samples": 40,
        "device": "cpu"}
SERIES, SPECTRA, SPECTROGRAMS = "signals_per_class.png", "spectra_per_class.png", "spectrograms_per_class.png"


def _train(tmp_path_factory, name, preset="signals-sines-cond", **over):
    return wgangp.train(preset, tmp_path_factory.mktemp(name) / "r", {**FAST, **over}, progress=False)


@pytest.fixture(scope="module")
def cond(tmp_path_factory):
    return _train(tmp_path_factory, "cond")


@pytest.fixture(scope="module")
def uncond(tmp_path_factory):
    return _train(tmp_path_factory, "uncond", **{"model.conditional": False})


def _figures(run):
    return sp.figures(run, "test", lambda x: _unscale(x, run.domain_state))


def _rows(fig) -> int:
    """Rows of the figure's subplot grid (colorbars excluded)."""
    return {ax.get_subplotspec().get_geometry()[0] for ax in fig.axes if ax.get_subplotspec() is not None}.pop()


def _check_png(path, min_height=250):
    assert path.is_file() and path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    with Image.open(path) as im:
        im.verify()
    with Image.open(path) as im:
        w, h = im.size
    assert 500 <= w <= 3000 and min_height <= h <= 4000
    return h


def test_training_writes_the_series_and_spectra_pictures(cond, uncond):
    heights = [_check_png(cond.run_dir / name) for name in (SERIES, SPECTRA)]
    assert heights[0] > _check_png(uncond.run_dir / SERIES)        # 4 rows of classes against 1
    assert not (cond.run_dir / SPECTROGRAMS).exists()               # waveform runs have none
    assert not list(cond.run_dir.glob(".*.tmp"))                    # written under a temporary name, renamed


def test_one_row_of_axes_per_class_on_shared_y_limits(cond):
    figs = _figures(cond)
    series, spectra = figs[SERIES], figs[SPECTRA]
    assert _rows(series) == _rows(spectra) == 4 and len(series.axes) == 8 and len(spectra.axes) == 4
    for k in range(4):
        left, right = series.axes[2 * k], series.axes[2 * k + 1]
        assert left.get_ylim() == right.get_ylim()
        assert left.get_title() == f"class {k}: real" and right.get_title() == f"class {k}: generated"
        assert len(left.lines) == len(right.lines) == sp.SHOWN_SERIES
    assert spectra.axes[-1].get_xlabel() == "frequency (cycles per sample)"
    assert spectra.axes[0].lines[0].get_xdata().max() == pytest.approx(0.5)


def test_the_real_series_of_a_row_are_of_its_class(cond):
    """The built-in sines of class k peak at 2 + 3k cycles a window: each row's real series do."""
    groups = sp.gather(cond, lambda x: x)
    for k, g in enumerate(groups):
        assert len(g.real) > 0 and g.fake.shape == (sp.SPECTRUM_SERIES, 1, 64)
        peak = torch.fft.rfft(g.real[:, 0].double()).abs().square().mean(0).argmax()
        assert int(peak) == 2 + 3 * k


def test_an_unconditional_run_has_one_row_of_all_series(uncond):
    series = _figures(uncond)[SERIES]
    assert _rows(series) == 1 and series.axes[0].get_title() == "all: real"


def test_frequencies_in_hz_when_the_checkpoint_keeps_a_sample_rate(uncond):
    uncond.domain_state["sample_rate"] = 8000
    try:
        figs = _figures(uncond)
    finally:
        del uncond.domain_state["sample_rate"]
    ax = figs[SPECTRA].axes[0]
    assert ax.get_xlabel() == "frequency (Hz)" and ax.lines[0].get_xdata().max() == pytest.approx(4000)
    assert figs[SERIES].axes[0].get_xlabel() == "seconds"


def test_a_spectrogram_run_writes_the_spectrograms_too(tmp_path_factory):
    run = _train(tmp_path_factory, "spec", "signals-sines-spec")
    for name in (SERIES, SPECTRA, SPECTROGRAMS):
        _check_png(run.run_dir / name)
    fig = _figures(run)[SPECTROGRAMS]
    images = [ax for ax in fig.axes if ax.images]
    assert _rows(fig) == 4 and len(images) == 8
    assert images[0].images[0].get_array().shape == (28, 28)
    assert images[1].get_title() == "class 0: generated"


def test_a_two_channel_file_with_named_classes(tmp_path_factory):
    """An .npz of two channels labelled 1..3 (UCR): titles carry the file's labels and the channel."""
    path = tmp_path_factory.mktemp("data") / "s.npz"
    rng = np.random.default_rng(0)
    x = rng.normal(size=(48, 2, 32)) * np.array([3.0, 0.5])[:, None]
    np.savez(path, x_train=x.astype(np.float32), y_train=1 + np.arange(48) % 3)
    run = _train(tmp_path_factory, "two", **{"data.name": "signals", "data.path": str(path), "train.eval_every": 0})
    _check_png(run.run_dir / SERIES)
    _check_png(run.run_dir / SPECTRA)
    series = _figures(run)[SERIES]
    assert _rows(series) == 3 and series.axes[0].get_title() == "class 1: real"
    assert "channel 1 of 2" in series.texts[0].get_text()
    shown = np.concatenate([line.get_ydata() for line in series.axes[0].lines])
    assert np.abs(shown).max() > 1.5            # channel 0 in the data's units (scale 3), not in [-1, 1]
