"""Generated signals against real ones: the average power spectrum and, for class-conditional
runs, whether a classifier trained on real signals recognises each generated signal's class.

* ``spectrum_distance``: mean absolute difference, in decades, of the log10 mean power spectra
  (``|rfft|^2`` per channel, averaged over the signals) of the two sets: 0 when the generator
  puts power at the same frequencies, 1 when it is off by a factor of 10 on average.
* ``class_agreement``: a random forest trained on the real signals' magnitude spectra (phase
  invariant) predicts the class of each generated signal; the share that matches the class it
  was generated for (a real held-out set scores the classifier's own accuracy).
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


def _features(x: torch.Tensor) -> np.ndarray:
    return power_spectrum(x).sqrt().flatten(1).numpy()


def class_agreement(real: torch.Tensor, real_labels: torch.Tensor, fake: torch.Tensor, fake_labels: torch.Tensor,
                    seed: int = 0) -> float:
    """Share of ``fake`` signals a random forest trained on ``real`` assigns to ``fake_labels``."""
    from sklearn.ensemble import RandomForestClassifier

    clf = RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1)
    clf.fit(_features(real), real_labels.numpy())
    return float(np.mean(clf.predict(_features(fake)) == fake_labels.numpy()))
