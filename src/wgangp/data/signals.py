"""1-D signals (sensor, radar or audio snippets) as ``(channels, length)`` samples.

* ``data.name=signals``: ``data.path`` an .npz with ``x_train`` (or ``data.key``) of shape
  ``(N, L)`` or ``(N, C, L)`` and optional integer labels ``y_train``, an .npy array, a CSV/TSV/TXT
  file of one series a row, a UCR/UEA ``NAME_TRAIN`` file or folder, or a folder of WAV files; any
  length through ``data.length`` (the readers and the rules: :mod:`wgangp.data.series_io`).
* ``data.name=sines``: a built-in labelled set for trying things out: 4 classes of noisy
  sinusoids of 64 samples (class ``k`` at ``2 + 3k`` cycles a window, a second harmonic, random
  phase and amplitude, white noise), 1,000 per class, drawn from a fixed seed; no download.

Every channel is divided by its largest magnitude in the training data, so samples lie in
``[-1, 1]`` where the generator's tanh ends; ``scale`` is kept in checkpoints, and samples written
by ``wgangp sample`` are in the data's own units again. What the networks see can be something made
of the scaled series (SpecGAN's spectrograms, series at one phase): the signals domain hands the
source those steps (:mod:`wgangp.domains.signals.transforms`); spectrograms given as images (radar
micro-Doppler) are ``data.name=images``.
"""
from __future__ import annotations

import math

import torch

from wgangp.data.base import PointSource
from wgangp.data.series_io import SeriesSet, read_series
from wgangp.errors import UserError

SINES_SEED = 31_415
SINES_LENGTH = 64


def sines(n_per_class: int = 1000, length: int = SINES_LENGTH, n_classes: int = 4, seed: int = SINES_SEED):
    """The built-in set: ``(x (N, 1, L) float32, y (N,) int64)``."""
    gen = torch.Generator().manual_seed(seed)
    y = torch.arange(n_classes).repeat_interleave(n_per_class)
    t = torch.arange(length, dtype=torch.float64) / length
    cycles = (2 + 3 * y).double()[:, None]
    phase = 2 * math.pi * torch.rand(len(y), 1, generator=gen, dtype=torch.float64)
    amp = 0.6 + 0.4 * torch.rand(len(y), 1, generator=gen, dtype=torch.float64)
    x = amp * (torch.sin(2 * math.pi * cycles * t + phase) + 0.3 * torch.sin(4 * math.pi * cycles * t + 2 * phase))
    x = x + 0.1 * torch.randn(x.shape, generator=gen, dtype=torch.float64)
    return x.float()[:, None, :], y


def read_signal_set(data_cfg) -> SeriesSet:
    """The :class:`~wgangp.data.series_io.SeriesSet` of ``data.path`` under ``data.key``,
    ``data.label``, ``data.length`` and ``data.resample`` (with its class names, sample rate and notes)."""
    return read_series(data_cfg.path, key=data_cfg.key, label=data_cfg.label, length=data_cfg.length,
                       resample=data_cfg.resample)


class SignalSource(PointSource):
    """Batches of scaled signals ``(B, C, L)``, or of what the domain's ``transforms`` make of them
    (``(B, C, S, S)`` spectrograms, series at one phase), and their labels, reshuffled every epoch.

    ``series``: the scaled signals ``(N, C, L)`` as the file has them (what the metrics compare);
    ``class_names``, ``sample_rate`` (Hz): the file's, where it has them (else None);
    ``own_length``: the series' length in the file where ``data.length`` zero-padded every one of them
    (samples are cropped back to it in the data's units) or resampled them (samples are resampled back
    to it), else None; ``resampled``: the series were resampled to ``data.length`` (``data.resample``).
    ``transforms``: steps applied in order to the scaled series, each with ``key``, ``fit(x, labels,
    source) -> x`` and ``entry() -> dict`` (kept in the checkpoint under ``key``); the signals domain
    chooses them (:mod:`wgangp.domains.signals.transforms`).
    """

    def __init__(self, data_cfg, seed: int, arrays: tuple[torch.Tensor, torch.Tensor | None] | None = None,
                 transforms=()):
        """``arrays``: ``(x, labels)`` given (a built-in set); otherwise read from ``data.path``."""
        if arrays is None:
            found = read_signal_set(data_cfg)
            x, labels = torch.from_numpy(found.x), (torch.from_numpy(found.labels) if found.labels is not None else None)
            self.class_names, self.sample_rate, self.own_length = found.class_names, found.sample_rate, found.own_length
        else:
            (x, labels), self.class_names, self.sample_rate, self.own_length = arrays, None, None, None
        self.resampled = bool(data_cfg.resample and data_cfg.length)   # to data.length (refused for built-in sets)
        if len(x) < data_cfg.batch_size:
            raise UserError(f"{len(x)} signals cannot fill a batch of data.batch_size={data_cfg.batch_size}")
        self.scale = x.abs().amax(dim=(0, 2)).clamp_min(1e-12)          # (C,): largest magnitude per channel
        self.series = points = x / self.scale[:, None]
        self.transforms = list(transforms)
        for step in self.transforms:
            points = step.fit(points, labels, self)
        super().__init__(data_cfg.batch_size, seed, points=points, labels=labels)

    def fresh_series(self, n: int, seed: int) -> torch.Tensor:
        """``n`` scaled series ``(n, C, L)``: those whose samples :meth:`fresh` draws for ``seed``."""
        return self.fresh_labelled_series(n, seed)[0]

    def fresh_labelled_series(self, n: int, seed: int) -> tuple[torch.Tensor, torch.Tensor | None]:
        """The series of :meth:`fresh_series` and their int64 labels ``(n,)`` (None without labels)."""
        idx = torch.randint(len(self.series), (n,), generator=torch.Generator().manual_seed(seed))
        return self.series[idx], (self.labels[idx] if self.labels is not None else None)

    def signal_state(self) -> dict:
        """What a checkpoint keeps to write samples in the data's units (plain values)."""
        state = {"scale": [float(s) for s in self.scale]}
        if self.class_names:                             # the file's own labels (--class NAME)
            state["class_names"] = list(self.class_names)
        if self.sample_rate:                             # WAV data: what augmented folders are written at (Hz)
            state["sample_rate"] = int(self.sample_rate)
        if self.own_length:                              # zero-padded (resampled) for the network: samples cropped
            state["own_length"] = int(self.own_length)   # (resampled) back
        if self.resampled:
            state["resampled"] = True
        for step in self.transforms:                     # data.circular's shifts, a spectrogram's settings
            state[step.key] = step.entry()
        return state

