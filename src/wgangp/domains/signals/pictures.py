"""The signals domain's pictures of a finished run, written into its run directory (matplotlib, Agg):

* ``signals_per_class.png``: one row per class (one row, "all", for unconditional runs): a few real
  series beside a few generated ones of that class, the first channel, in the data's units, both
  panels of a row on the same y-limits;
* ``spectra_per_class.png``: per class, the mean power spectra (log10 of ``|rfft|^2``, averaged over
  :data:`SPECTRUM_SERIES` series and the channels) of real and generated series: the picture
  behind the ``spectrum_distance`` metric; frequencies in Hz where the checkpoint keeps the data's
  ``sample_rate``, else in cycles per sample;
* ``spectrograms_per_class.png`` (``data.representation=spectrogram`` only): per class a real and a
  generated normalised log-magnitude spectrogram (first channel), the images the networks see.

Real series are the run's reference data (:meth:`~wgangp.data.signals.SignalSource.fresh_labelled_series`,
seed ``EVAL_SEED + 1``, as the metrics draw them); generated ones use the fixed noise ``EVAL_SEED``
for every class. Runs of more than :data:`MAX_CLASSES` classes show their first ones.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import torch

from wgangp.data import spectrogram as spec
from wgangp.domains.base import EVAL_SEED
from wgangp.domains.signals.transforms import stft_of
from wgangp.metrics.signals import power_spectrum
from wgangp.viz.toy import pyplot

SHOWN_SERIES = 3                 # series drawn per panel
SPECTRUM_SERIES = 32             # series per class behind each mean spectrum
MAX_CLASSES = 12                 # rows drawn (the first classes)
SHOWN_SAMPLES = 2048             # samples of a long series drawn (its start)
POOL_VALUES = 1 << 24            # bound on the real series drawn at once (values: N * C * L)


@dataclass
class Group:
    """One row: a class (or all series), its real and generated series ``(N, C, L)`` in the data's
    units and, for spectrogram runs, one real and one generated image ``(C, S, S)``."""
    label: str
    real: torch.Tensor
    fake: torch.Tensor
    real_image: torch.Tensor | None = None
    fake_image: torch.Tensor | None = None


def gather(run, real_units: Callable[[torch.Tensor], torch.Tensor]) -> list[Group]:
    """The rows of the pictures of ``run``; ``real_units`` maps the source's scaled ``(N, C, L)``
    series to the data's units (generated samples go through the domain's ``to_data_units``)."""
    state, source = run.domain_state or {}, run.reference_source()
    names = run.domain.class_names(state)
    n_groups = min(run.n_classes, MAX_CLASSES) if run.n_classes else 1
    values = max(1, source.series[0].numel())          # C * L of one series
    pool = min(SPECTRUM_SERIES * max(run.n_classes, 1), max(SPECTRUM_SERIES, POOL_VALUES // values))
    real, labels = source.fresh_labelled_series(pool, EVAL_SEED + 1)
    stft = state.get("spectrogram")
    groups = []
    for g in range(n_groups):
        mine = real[labels == g] if run.n_classes else real
        raw = run.sample(SPECTRUM_SERIES, seed=EVAL_SEED, classes=g if run.n_classes else None)
        group = Group(_label(g, names) if run.n_classes else "all", real_units(mine),
                      run.domain.to_data_units(raw, state))
        if stft:
            group.fake_image = raw[0]
            if len(mine):
                group.real_image = _images(mine[:1], stft)[0]
        groups.append(group)
    return groups


def _label(k: int, names: list[str]) -> str:
    return f"class {names[k]}" if k < len(names) else f"class {k}"


def _images(x: torch.Tensor, stft: dict) -> torch.Tensor:
    """Scaled ``(N, C, L)`` series -> their normalised log-magnitude images ``(N, C, S, S)``."""
    p, mean, std, clip = stft_of(stft)
    return spec.to_spectrogram(x, p, mean, std, clip)


def _rate(state: dict | None) -> float | None:
    """The data's sample rate in Hz, where the checkpoint keeps one."""
    rate = (state or {}).get("sample_rate")
    return float(rate) if rate else None


def _suptitle(fig, title: str, what: str, n_classes: int) -> None:
    more = f"; the first {MAX_CLASSES} of {n_classes} classes" if n_classes > MAX_CLASSES else ""
    fig.suptitle(f"{title}\n{what}{more}", fontsize=9)


def _channel(channels: int) -> str:
    return f", channel 1 of {channels}" if channels > 1 else ""


def series_figure(groups: list[Group], title: str, rate: float | None = None, n_classes: int = 0):
    """Figure of ``len(groups)`` rows x 2 axes: :data:`SHOWN_SERIES` real series (left) and as many
    generated ones (right) of each group, channel 0, over time (seconds with ``rate`` in Hz, else
    samples); each row shares its y-limits."""
    plt = pyplot()
    fig, axes = plt.subplots(len(groups), 2, figsize=(10, 0.8 + 1.9 * len(groups)), sharey="row", squeeze=False)
    length = groups[0].fake.shape[-1]
    shown = min(length, SHOWN_SAMPLES)
    t = torch.arange(shown) / rate if rate else torch.arange(shown)
    for row, g in zip(axes, groups):
        for ax, x, side in ((row[0], g.real, "real"), (row[1], g.fake, "generated")):
            for s in x[:SHOWN_SERIES, 0, :shown]:
                ax.plot(t.numpy(), s.float().numpy(), lw=0.8, alpha=0.85)
            if not len(x):
                ax.text(0.5, 0.5, "no real series of this class drawn", ha="center", va="center",
                        transform=ax.transAxes, fontsize=8)
            ax.set_title(f"{g.label}: {side}", fontsize=8)
            ax.grid(alpha=0.3)
    unit = "seconds" if rate else "sample"
    cut = f" (the first {shown} of {length} samples)" if shown < length else ""
    for ax in axes[-1]:
        ax.set_xlabel(unit + cut)
    for row in axes:
        row[0].set_ylabel("value (data units)")
    _suptitle(fig, title, f"real (left) and generated (right) series{_channel(groups[0].fake.shape[1])}", n_classes)
    fig.tight_layout()
    return fig


def _log_power(x: torch.Tensor) -> torch.Tensor:
    """``(N, C, L)`` -> log10 of the power spectrum averaged over series and channels ``(L // 2 + 1,)``."""
    p = power_spectrum(x).mean(dim=(0, 1))
    return p.clamp_min(1e-12 * float(p.max().clamp_min(1e-300))).log10()


def spectra_figure(groups: list[Group], title: str, rate: float | None = None, n_classes: int = 0):
    """Figure of one axis per group (rows): the log10 mean power spectra of its real and generated
    series against frequency (Hz with ``rate``, else cycles per sample)."""
    plt = pyplot()
    fig, axes = plt.subplots(len(groups), 1, figsize=(7, 0.8 + 1.9 * len(groups)), sharex=True, squeeze=False)
    length = groups[0].fake.shape[-1]
    freq = torch.fft.rfftfreq(length, d=1.0 / rate if rate else 1.0).numpy()
    for (ax,), g in zip(axes, groups):
        if len(g.real):
            ax.plot(freq, _log_power(g.real).numpy(), lw=1, label="real")
        ax.plot(freq, _log_power(g.fake).numpy(), lw=1, label="generated")
        ax.set_title(f"{g.label}: {len(g.real)} real, {len(g.fake)} generated series", fontsize=8)
        ax.set_ylabel("log10 power")
        ax.grid(alpha=0.3)
        ax.legend(fontsize=7, loc="upper right")
    axes[-1, 0].set_xlabel("frequency (Hz)" if rate else "frequency (cycles per sample)")
    mean = " and channels" if groups[0].fake.shape[1] > 1 else ""
    _suptitle(fig, title, f"mean power spectra (|rfft|^2 averaged over series{mean})", n_classes)
    fig.tight_layout()
    return fig


def spectrogram_figure(groups: list[Group], stft: dict, title: str, rate: float | None = None, n_classes: int = 0):
    """Figure of ``len(groups)`` rows x 2 axes: a real and a generated normalised log-magnitude
    spectrogram (channel 0, values in [-1, 1]); frequency up, time to the right."""
    plt = pyplot()
    fig, axes = plt.subplots(len(groups), 2, figsize=(7, 1.0 + 2.2 * len(groups)), squeeze=False,
                             sharex=True, sharey=True, layout="constrained")
    side, hop, n_fft = stft["side"], stft["hop"], stft["n_fft"]
    top, right = side / n_fft * (rate or 1.0), side * hop / (rate or 1.0)
    for row, g in zip(axes, groups):
        for ax, image, what in ((row[0], g.real_image, "real"), (row[1], g.fake_image, "generated")):
            if image is not None:
                im = ax.imshow(image[0].numpy(), origin="lower", aspect="auto", vmin=-1, vmax=1, cmap="magma",
                               extent=(0, right, 0, top))
            ax.set_title(f"{g.label}: {what}", fontsize=8)
            ax.tick_params(labelsize=7)
        row[0].set_ylabel("frequency (Hz)" if rate else "frequency (cycles per sample)", fontsize=7)
    for ax in axes[-1]:
        ax.set_xlabel("seconds" if rate else "sample", fontsize=7)
    fig.colorbar(im, ax=axes.ravel().tolist(), label="normalised log magnitude", shrink=0.8)
    channel = _channel(groups[0].fake.shape[1])
    what = f"normalised log-magnitude spectrograms, real (left) and generated (right){channel}"
    _suptitle(fig, title, what, n_classes)
    return fig


def save(fig, path: Path) -> Path:
    """Write ``fig`` as a PNG at ``path`` (temporary name, then renamed) and close it."""
    from wgangp.export import atomic_write

    try:
        return atomic_write(Path(path), lambda f: fig.savefig(f, format="png", dpi=110))
    finally:
        pyplot().close(fig)


def figures(run, title: str, real_units: Callable[[torch.Tensor], torch.Tensor]) -> dict:
    """``{file name: matplotlib Figure}`` of ``run`` (see the module's docstring)."""
    groups, state = gather(run, real_units), run.domain_state or {}
    rate, k = _rate(state), run.n_classes
    out = {"signals_per_class.png": series_figure(groups, title, rate, k),
           "spectra_per_class.png": spectra_figure(groups, title, rate, k)}
    if state.get("spectrogram"):
        out["spectrograms_per_class.png"] = spectrogram_figure(groups, state["spectrogram"], title, rate, k)
    return out


def write_pictures(run, title: str, real_units: Callable[[torch.Tensor], torch.Tensor]) -> list[Path]:
    """Write :func:`figures` into ``run.run_dir``; returns their paths."""
    return [save(fig, run.run_dir / name) for name, fig in figures(run, title, real_units).items()]
