"""Generated signals against real ones: the average power spectrum and, for class-conditional
runs, whether a classifier trained on real signals recognises each generated signal's class.

* ``spectrum_distance``: mean absolute difference, in decades, of the log10 mean power spectra
  (``|rfft|^2`` per channel, averaged over the signals) of the two sets: 0 when the generator
  puts power at the same frequencies, 1 when it is off by a factor of 10 on average.
* ``class_agreement``: a random forest trained on the real signals' band shares predicts the class
  of each generated signal; the share that matches the class it was generated for (a real
  held-out set scores the classifier's own accuracy). A band share is the power in one of
  ``BANDS`` equal-width frequency bands as a part of the series' (channel's) total power: phase
  and loudness invariant. The forest is fitted on the real series and on copies of them with
  white noise added at ``NOISE_FLOORS`` times each series' power, so that a generator's
  broadband noise floor does not decide the class: a forest fitted on per-bin magnitudes of
  clean series learns the noise level of single bins, and called WaveGAN clips with the right
  peak and a floor 3x the real noise the wrong class. Classes that differ only in loudness are
  not told apart.
"""
from __future__ import annotations

import numpy as np
import torch


def power_spectrum(x: torch.Tensor) -> torch.Tensor:
    """``|rfft|^2`` per series and channel, in float64."""
    return torch.fft.rfft(x.double(), dim=-1).abs().square()          # (N, C, L // 2 + 1)


def spectrum_distance(real: torch.Tensor, fake: torch.Tensor) -> float:
    """``(N, C, L)`` sets -> mean |log10 P_real(f) - log10 P_fake(f)| over channels and frequencies."""
    p, q = power_spectrum(real).mean(0), power_spectrum(fake).mean(0)
    floor = 1e-12 * float(p.max())
    return float((p.clamp_min(floor).log10() - q.clamp_min(floor).log10()).abs().mean())


BANDS = 32


def band_shares(x: torch.Tensor, bands: int = BANDS) -> torch.Tensor:
    """``(N, C, L)`` -> ``(N, C, B)``, ``B = min(bands, L // 2 + 1)``: the power spectrum summed over B
    equal-width frequency bands, each band divided by the series' total power (a zero series: zeros)."""
    p = power_spectrum(x)
    n = p.shape[-1]
    b = min(bands, n)
    band_of_bin = torch.arange(n) * b // n                              # 0 .. b-1, widths differ by <= 1 bin
    pooled = p.new_zeros(*p.shape[:-1], b).index_add_(-1, band_of_bin, p)
    return pooled / pooled.sum(-1, keepdim=True).clamp_min(torch.finfo(p.dtype).tiny)


NOISE_FLOORS = (0.01, 0.03, 0.1, 0.3)


def _features(x: torch.Tensor) -> np.ndarray:
    return band_shares(x).flatten(1).numpy()


def _with_noise_floors(x: torch.Tensor, seed: int) -> list[torch.Tensor]:
    """``x`` and one copy per ratio r in ``NOISE_FLOORS`` with white noise of r times each series' power."""
    g = torch.Generator().manual_seed(seed)
    x = x.double()
    power = x.square().mean(-1, keepdim=True)
    return [x] + [x + (r * power).sqrt() * torch.randn(x.shape, generator=g, dtype=x.dtype) for r in NOISE_FLOORS]


def class_agreement(real: torch.Tensor, real_labels: torch.Tensor, fake: torch.Tensor, fake_labels: torch.Tensor,
                    seed: int = 0) -> float:
    """Share of ``fake`` signals a random forest trained on ``real`` assigns to ``fake_labels``."""
    from sklearn.ensemble import RandomForestClassifier

    clf = RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1)
    copies = _with_noise_floors(real, seed)
    clf.fit(np.concatenate([_features(c) for c in copies]), np.tile(real_labels.numpy(), len(copies)))
    return float(np.mean(clf.predict(_features(fake)) == fake_labels.numpy()))
