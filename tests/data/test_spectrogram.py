"""SpecGAN spectrograms: the STFT sizes, the per-bin normalisation and its inverse, and the
STFT -> Griffin-Lim round trip, whose spectral convergence is bounded."""
import math

import pytest
import torch

from wgangp.data import spectrogram as spec
from wgangp.data.signals import sines

# spectral convergence ||(|X| - |Y|)|| / ||X|| of the reconstruction's STFT magnitudes after GL_ITERS
# (64) iterations; measured 0.016 (tone), 0.067 (sines), 0.093 (chirp) at 64 samples, 0.086-0.089 at 16,384
# (the random phase alone: 0.52-0.84; 8 iterations: 0.12-0.25)
GL_BOUND = 0.12


def _tone(length):
    t = torch.arange(length, dtype=torch.float64) / length
    return torch.sin(2 * math.pi * (length / 16) * t + 0.3).float()[None, None]


def _chirp(length):
    t = torch.arange(length, dtype=torch.float64) / length
    return torch.sin(2 * math.pi * (length / 64 * t + length / 8 * t * t)).float()[None, None]


def _sines(length):
    x, _ = sines(n_per_class=5, length=length)
    return x / x.abs().max()


def test_specgan_audio_is_128x128_and_the_sines_fit_the_28x28_network():
    p = spec.stft_params(16_384, 128)
    assert (p.n_fft, p.hop, p.padded) == (256, 128, 16_384)                # SpecGAN's STFT: no padding
    assert spec.log_magnitude(torch.zeros(2, 1, 16_384), p).shape == (2, 1, 128, 128)
    p = spec.stft_params(64, 28)
    assert (p.n_fft, p.hop, p.padded) == (56, 3, 84)                       # zero-padded from 64 to 84 samples
    assert spec.log_magnitude(_sines(64)[:5], p).shape == (5, 1, 28, 28)
    assert spec.length_range(28) == (29, 784)
    for bad in (28, 785):
        with pytest.raises(ValueError, match="holds series of 29 to 784 samples"):
            spec.stft_params(bad, 28)


def test_normalisation_is_specgans_and_undone_where_not_clipped():
    p = spec.stft_params(64, 28)
    logmag = spec.log_magnitude(_sines(64), p)
    mean, std = spec.fit_stats(logmag)
    assert mean.shape == std.shape == (1, 28)
    s = spec.normalise(logmag, mean, std)
    assert s.min() >= -1 and s.max() <= 1
    inside = s.abs() < 1
    assert inside.float().mean() > 0.98                                    # few values beyond 3 std
    back = spec.denormalise(s, mean, std)
    assert (back - logmag)[inside].abs().max() < 1e-5
    z = (logmag - mean[..., None]) / std[..., None]                         # per bin: mean 0, std 1 over the set
    assert z.mean(dim=(0, 3)).abs().max() < 1e-4 and (z.std(dim=(0, 3)) - 1).abs().max() < 1e-3


@pytest.mark.parametrize("length, side, make", [(64, 28, _tone), (64, 28, _chirp), (64, 28, _sines),
                                                 (16_384, 128, _tone), (16_384, 128, _chirp)],
                         ids=["tone-64", "chirp-64", "sines-64", "tone-16384", "chirp-16384"])
def test_stft_griffin_lim_round_trip_error_is_bounded(length, side, make):
    x = make(length)
    p = spec.stft_params(length, side)
    mean, std = spec.fit_stats(spec.log_magnitude(x, p))
    s = spec.to_spectrogram(x, p, mean, std)
    y = spec.to_waveform(s, p, mean, std)
    assert y.shape == x.shape
    error = spec.spectral_convergence(x, y, p)
    assert error < GL_BOUND
    assert torch.equal(y, spec.to_waveform(s, p, mean, std))               # deterministic
    # a broken Griffin-Lim (the seeded random phase alone) or one cut short is well above the bound
    assert spec.spectral_convergence(x, spec.to_waveform(s, p, mean, std, n_iter=0), p) > 0.4
    assert spec.spectral_convergence(x, spec.to_waveform(s, p, mean, std, n_iter=8), p) > error


def test_a_series_decodes_alone_whatever_its_batch():
    p = spec.stft_params(64, 28)
    x = _sines(64)[:6]
    mean, std = spec.fit_stats(spec.log_magnitude(x, p))
    s = spec.to_spectrogram(x, p, mean, std)
    torch.testing.assert_close(spec.to_waveform(s, p, mean, std)[2:3], spec.to_waveform(s[2:3], p, mean, std))
