"""What the signals domain does to scaled series before the networks see them, and undoes after.

:func:`series_transforms` reads the data config once and hands :class:`~wgangp.data.signals.SignalSource`
the steps it applies, in order; the source stays kind-agnostic (it scales, batches and keeps each step's
checkpoint entry under the step's ``key``). :func:`undo` turns generated samples back into series from
those entries alone (a checkpoint needs no config), the steps in reverse order.

* :class:`Align` (``data.circular``): every series rotated to one phase, and with ``data.mirror`` reversed where
  it runs the other way (:func:`wgangp.data.circular.orient`); generated ones take the phase (and direction)
  of a real series drawn at random.
* :class:`Spectrogram` (``data.representation=spectrogram``): SpecGAN's normalised log-magnitude
  images (:mod:`wgangp.data.spectrogram`); generated ones come back through Griffin-Lim.
"""
from __future__ import annotations

import torch

from wgangp.data import circular
from wgangp.data import spectrogram as spec
from wgangp.errors import UserError


class Align:
    """``data.circular``: series rotated to one phase (per class where labelled); with ``mirror``
    (``data.mirror``) also reversed where that brings a curve traced the other way to its class's direction."""

    key = "circular"

    def __init__(self, mirror: bool = False):
        self.mirror = mirror

    def fit(self, x: torch.Tensor, labels: torch.Tensor | None, source) -> torch.Tensor:
        """``x (N, C, L)`` at one phase; the shifts are kept for :meth:`entry`. Refused where ``source``
        zero-padded the series (a rotation would move the padding into the outline)."""
        if source.own_length and not source.resampled:
            raise UserError(f"data.circular rotates whole series; these were zero-padded from {source.own_length} "
                            f"to {x.shape[2]} samples: add data.resample=true (or set a data.length the network builds)")
        # each series' shift and direction (the source's series stay as they are)
        self.shifts, self.flips = circular.orient(x, labels, mirror=self.mirror)
        return circular.oriented(x, self.shifts, self.flips)

    def entry(self) -> dict:
        return {"shifts": self.shifts.tolist(), **({"flips": self.flips.tolist()} if self.mirror else {})}

    @staticmethod
    def undo(x: torch.Tensor, entry: dict) -> torch.Tensor:
        """Generated series from the common phase (and direction) to those of real series drawn at random
        (entries without ``flips``, written without ``data.mirror`` or before it existed: none reversed)."""
        return circular.unorient(x, entry["shifts"], entry.get("flips"))


class Spectrogram:
    """``data.representation=spectrogram``: SpecGAN's normalised log-magnitude images of side ``resolution``,
    clipped at ``clip`` standard deviations."""

    key = "spectrogram"

    def __init__(self, resolution: int, clip: float):
        if not resolution:
            raise UserError("data.representation=spectrogram needs data.resolution, the spectrogram's side "
                            "(wgangp train sets it from model.arch)")
        self.resolution, self.clip = resolution, float(clip)

    def fit(self, x: torch.Tensor, labels: torch.Tensor | None, source) -> torch.Tensor:
        """``x (N, C, L)`` as ``(N, C, S, S)`` normalised images; the STFT and per-bin statistics are kept."""
        try:
            self.stft = spec.stft_params(x.shape[2], self.resolution)
        except ValueError as e:
            raise UserError(f"data.representation=spectrogram: {e}; set data.length within that range") from None
        logmag = spec.log_magnitude(x, self.stft)
        self.mean, self.std = spec.fit_stats(logmag)
        return spec.normalise(logmag, self.mean, self.std, self.clip)

    def entry(self) -> dict:
        p = self.stft
        return {"length": p.length, "side": p.side, "n_fft": p.n_fft, "hop": p.hop, "mean": self.mean.tolist(),
                "std": self.std.tolist(), "clip": self.clip}

    @staticmethod
    def undo(x: torch.Tensor, entry: dict) -> torch.Tensor:
        """Generated images as series (Griffin-Lim)."""
        p, mean, std, clip = stft_of(entry)
        return spec.to_waveform(x, p, mean, std, clip=clip)


STEPS = (Align, Spectrogram)                        # the order they are applied in


def series_transforms(data_cfg) -> list:
    """The steps ``data_cfg`` asks for, in :data:`STEPS` order."""
    steps = []
    if data_cfg.circular:
        steps.append(Align(data_cfg.mirror))
    if data_cfg.representation == "spectrogram":
        steps.append(Spectrogram(data_cfg.resolution, data_cfg.spectrogram_clip))
    return steps


def undo(x: torch.Tensor, state: dict | None) -> torch.Tensor:
    """Generated samples back to scaled ``(N, C, L)`` series: each step a checkpoint's ``state`` has an
    entry for, undone in reverse order."""
    for step in reversed(STEPS):
        if (state or {}).get(step.key):
            x = step.undo(x, state[step.key])
    return x


def stft_of(entry: dict) -> tuple[spec.StftParams, torch.Tensor, torch.Tensor, float]:
    """A checkpoint's ``spectrogram`` entry as the arguments of :func:`~wgangp.data.spectrogram.to_waveform`:
    ``(params, mean, std, clip)`` (checkpoints written before ``data.spectrogram_clip`` existed: SpecGAN's 3)."""
    p = spec.StftParams(entry["length"], entry["side"], entry["n_fft"], entry["hop"])
    return p, torch.tensor(entry["mean"]), torch.tensor(entry["std"]), float(entry.get("clip", spec.CLIP_STD))
