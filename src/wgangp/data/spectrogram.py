"""Series as SpecGAN's spectrogram images (Donahue et al. 2019) and back (``data.representation =
spectrogram``).

Forward: every series ``(C, L)`` becomes ``(C, S, S)``: the log-magnitude STFT ``log(|X| + 1e-6)``
(Hann window of ``n_fft = 2S``, hop ``ceil(L / S)``, the series zero-padded at its end to ``S * hop``
samples, frames centred on ``0, hop, ...`` with reflection at the ends), its Nyquist bin and last
frame dropped, so that frequency (rows, low to high) and time (columns) both have ``S`` entries.
Each frequency bin (of each channel) is then normalised as SpecGAN does: minus its mean, divided by
its standard deviation (both over the whole training set, :func:`fit_stats`), divided by ``clip`` = 3
and clipped to ``[-1, 1]`` (a bin's values beyond 3 std are lost; ``data.spectrogram_clip`` sets
another ``clip``: a line that is rare in its bins, as a chirp's, is an outlier there). SpecGAN's own case:
16,384 samples with ``S = 128`` -> ``n_fft = 256``, hop 128.

Backward (:func:`to_waveform`): the normalisation undone, ``exp``, the Nyquist bin set to zero and
the dropped frame copied from the last kept one, then :func:`griffin_lim` (Griffin & Lim 1984 with
the momentum of Perraudin et al. 2013, as torchaudio's and librosa's: :data:`GL_ITERS` iterations
from a fixed seeded random phase), cropped to the series' length ``L``.

The side ``S`` is the image network's (the signals domain chooses it from ``model.arch``); a hop
of at least 2 and at most ``n_fft / 2`` (50% overlap, SpecGAN's) bounds the lengths to
``S + 1 .. S^2`` samples (:func:`length_range`).
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

LOG_EPS = 1e-6           # SpecGAN's _LOG_EPS: log(|X| + eps)
CLIP_STD = 3.0           # SpecGAN's _CLIP_NSTD: normalised values clipped at 3 standard deviations
GL_ITERS = 64            # Griffin-Lim iterations of to_waveform
GL_MOMENTUM = 0.99       # Perraudin et al.'s fast Griffin-Lim (torchaudio's default)
GL_SEED = 1984           # the initial random phase, the same for every spectrogram
DECODE_CHUNK = 256       # series decoded at a time (bounds to_waveform's memory)


@dataclass(frozen=True)
class StftParams:
    """The STFT of series of ``length`` samples as ``side x side`` images."""
    length: int          # L: samples of a series (what to_waveform returns)
    side: int            # S: frequency bins kept (Nyquist dropped) = frames kept
    n_fft: int           # 2S
    hop: int             # ceil(L / S)

    @property
    def padded(self) -> int:
        """Samples the STFT covers: the series zero-padded at its end to ``S * hop``."""
        return self.side * self.hop


def length_range(side: int) -> tuple[int, int]:
    """The shortest and longest series an ``side x side`` spectrogram holds (hop 2 .. side)."""
    return side + 1, side * side


def stft_params(length: int, side: int) -> StftParams:
    """``n_fft = 2 * side`` and ``hop = ceil(length / side)``; ValueError outside :func:`length_range`."""
    lo, hi = length_range(side)
    if not lo <= length <= hi:
        raise ValueError(f"a {side}x{side} spectrogram holds series of {lo} to {hi} samples, not {length}")
    return StftParams(length, side, 2 * side, -(-length // side))


def _stft(x: torch.Tensor, p: StftParams) -> torch.Tensor:
    """``(B, S * hop)`` -> complex ``(B, S + 1, S + 1)`` (all bins and frames)."""
    return torch.stft(x, p.n_fft, p.hop, window=torch.hann_window(p.n_fft, dtype=x.dtype, device=x.device),
                      center=True, pad_mode="reflect", return_complex=True)


def _istft(spec: torch.Tensor, p: StftParams) -> torch.Tensor:
    return torch.istft(spec, p.n_fft, p.hop, window=torch.hann_window(p.n_fft, dtype=spec.real.dtype,
                                                                      device=spec.device), length=p.padded)


def magnitude(x: torch.Tensor, p: StftParams) -> torch.Tensor:
    """``(N, C, L)`` series -> ``(N, C, S, S)`` STFT magnitudes (Nyquist bin and last frame dropped)."""
    n, c, length = x.shape
    if length != p.length:
        raise ValueError(f"series of {length} samples, expected {p.length}")
    flat = F.pad(x.reshape(n * c, length).float(), (0, p.padded - length))
    return _stft(flat, p).abs()[:, :p.side, :p.side].reshape(n, c, p.side, p.side)


def log_magnitude(x: torch.Tensor, p: StftParams) -> torch.Tensor:
    """``(N, C, L)`` -> ``(N, C, S, S)``: ``log(|STFT| + LOG_EPS)``."""
    return torch.log(magnitude(x, p) + LOG_EPS)


def fit_stats(logmag: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Per channel and frequency bin, over all series and frames: ``(mean, std)``, each ``(C, S)``."""
    d = logmag.double()
    return d.mean(dim=(0, 3)).float(), d.std(dim=(0, 3)).clamp_min(1e-6).float()


def normalise(logmag: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, clip: float = CLIP_STD) -> torch.Tensor:
    """``(N, C, S, S)`` log-magnitudes -> SpecGAN's ``clamp((v - mean) / std / clip, -1, 1)`` per bin."""
    return ((logmag - mean[..., None]) / (clip * std[..., None])).clamp(-1.0, 1.0)


def denormalise(s: torch.Tensor, mean: torch.Tensor, std: torch.Tensor, clip: float = CLIP_STD) -> torch.Tensor:
    """The inverse of :func:`normalise` (exact where nothing was clipped)."""
    return s * (clip * std[..., None]) + mean[..., None]


def to_spectrogram(x: torch.Tensor, p: StftParams, mean: torch.Tensor, std: torch.Tensor,
                   clip: float = CLIP_STD) -> torch.Tensor:
    """``(N, C, L)`` series -> ``(N, C, S, S)`` normalised log-magnitude images in ``[-1, 1]``."""
    return normalise(log_magnitude(x, p), mean, std, clip)


def griffin_lim(mag: torch.Tensor, p: StftParams, n_iter: int = GL_ITERS, momentum: float = GL_MOMENTUM,
                seed: int = GL_SEED) -> torch.Tensor:
    """``(B, S + 1, S + 1)`` full STFT magnitudes -> ``(B, S * hop)`` series whose STFT magnitude
    approaches them: ``n_iter`` rounds of istft / stft keeping the phase, with momentum (``n_iter = 0``:
    the seeded random phase alone)."""
    gen = torch.Generator().manual_seed(seed)
    phase = 2 * math.pi * torch.rand(mag.shape[1:], generator=gen, dtype=mag.dtype).to(mag.device)
    angles = torch.polar(torch.ones_like(mag), phase.expand_as(mag))
    previous = torch.zeros_like(angles)
    for _ in range(n_iter):
        rebuilt = _stft(_istft(mag * angles, p), p)
        angles = rebuilt - previous * (momentum / (1 + momentum))
        angles = angles / (angles.abs() + 1e-16)
        previous = rebuilt
    return _istft(mag * angles, p)


def to_waveform(s: torch.Tensor, p: StftParams, mean: torch.Tensor, std: torch.Tensor,
                n_iter: int = GL_ITERS, clip: float = CLIP_STD) -> torch.Tensor:
    """``(N, C, S, S)`` normalised images (of :func:`normalise` with ``clip``) -> ``(N, C, L)`` series
    (Griffin-Lim, :data:`DECODE_CHUNK` series at a time; deterministic: a series depends on its own
    image only)."""
    n, c = s.shape[:2]
    mag = (denormalise(s.float(), mean, std, clip).exp() - LOG_EPS).clamp_min(0.0).reshape(n * c, p.side, p.side)
    mag = F.pad(torch.cat([mag, mag[..., -1:]], dim=-1), (0, 0, 0, 1))     # the last frame again; Nyquist 0
    out = [griffin_lim(chunk, p, n_iter) for chunk in mag.split(DECODE_CHUNK)]
    x = torch.cat(out) if out else mag.new_zeros(0, p.padded)
    return x[:, :p.length].reshape(n, c, p.length)


def spectral_convergence(x: torch.Tensor, y: torch.Tensor, p: StftParams) -> float:
    """``||(|X| - |Y|)||_F / ||X||_F`` of the magnitude images of two sets of series ``(N, C, L)``:
    0 when ``y`` has the magnitudes of ``x`` (whatever its phase)."""
    a, b = magnitude(x, p).double(), magnitude(y, p).double()
    return float((a - b).norm() / a.norm())
