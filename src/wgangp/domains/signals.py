"""1-D signals (sensor, radar or audio snippets) as ``(channels, length)`` samples.

Data: :mod:`wgangp.data.signals` (.npz/.npy arrays, CSV/TSV/TXT rows, UCR/UEA files, WAV folders, read
by :mod:`wgangp.data.series_io`; the built-in sines), every channel scaled to ``[-1, 1]``; a
checkpoint keeps the scale, and samples are written in the data's own units. Lengths: ``data.length``
crops or zero-pads every series; left at 0, series of one length not built by ``model.arch`` are
zero-padded at their end to the next length it builds (:meth:`Signals.resolve`, said in a note).
Metrics: exact W1, the power-spectrum distance and, for conditional runs, class agreement
(:mod:`wgangp.metrics.signals`).
"""
from __future__ import annotations

import torch

from wgangp.data.series_io import FORMATS
from wgangp.data.signals import SignalSource, read_signal_set, sines
from wgangp.domains import shared_metrics  # noqa: F401  (registers w1)
from wgangp.domains.base import Domain, register_domain
from wgangp.errors import UserError
from wgangp.metrics.registry import register_metric
from wgangp.metrics.signals import class_agreement, spectrum_distance


# model.arch -> the signal lengths it builds are multiples of this (dcgan-1d: 4 stride-2 stages)
LENGTH_STEP = {"dcgan-1d": 16}


class Signals(Domain):
    name = "signals"
    data_names = ("signals", "sines")
    state_key = "signal"
    base_metrics = ("w1", "spectrum", "class_agreement")

    def validate(self, cfg) -> None:
        if cfg.data.name == "signals" and not cfg.data.path:
            raise UserError(f"data.name=signals needs data: add --set data.path=... ({FORMATS})")
        if cfg.data.name == "sines" and cfg.data.length:
            raise UserError(f"data.length={cfg.data.length} applies to signal files (data.name=signals); the built-in "
                            "sines are 64 samples long: drop data.length")
        step = LENGTH_STEP.get(cfg.model.arch, 1)
        if cfg.data.length % step:
            below = cfg.data.length // step * step
            raise UserError(f"data.length={cfg.data.length}: model.arch={cfg.model.arch} builds lengths that are "
                            f"multiples of {step}; set data.length={f'{below} or ' if below else ''}{below + step}")

    def resolve(self, cfg) -> list[str]:
        """Signal files: the reader's notes (cropping, padding), and ``data.length`` set to the next
        length ``model.arch`` builds when it was 0 and the files' length is not one."""
        if cfg.data.name != "signals":
            return []
        series = read_signal_set(cfg.data)
        notes = [f"signals: {note}" for note in series.notes]
        step, length = LENGTH_STEP.get(cfg.model.arch, 1), series.x.shape[2]
        if cfg.data.length == 0 and length % step:
            cfg.data.length = -(-length // step) * step
            notes.append(f"signals: the series of {length} samples zero-padded at their end to data.length="
                         f"{cfg.data.length} (model.arch={cfg.model.arch} builds multiples of {step}; set "
                         "data.length to choose)")
        return notes

    def build_source(self, data_cfg, seed: int, conditional: bool):
        return SignalSource(data_cfg, seed, arrays=sines() if data_cfg.name == "sines" else None)

    def state(self, source) -> dict:
        return source.signal_state()

    def to_data_units(self, x: torch.Tensor, state: dict | None) -> torch.Tensor:
        return x * torch.tensor(state["scale"], dtype=x.dtype)[:, None]

    def live_panels(self, run, cache: dict) -> dict:
        """Per class: a real and a generated series and their mean power spectra (``signals_live``)."""
        from wgangp.domains.signals_live import series

        return series(run, cache, lambda x: self.to_data_units(x, run.domain_state))

    def summary(self, m: dict) -> list[str]:
        parts = []
        if m.get("spectrum_distance") is not None:
            parts.append(f"spectrum distance {m['spectrum_distance']:.3f} decades")
        if m.get("class_agreement") is not None:
            parts.append(f"class agreement {m['class_agreement']:.1%}")
        if m.get("w1") is not None:
            parts.append(f"W1 {m['w1']:.4f}")
        return parts


@register_metric("spectrum", domains=("signals",), best={"spectrum_distance": "min"},
                 description="mean |log10| difference (decades) of the generated and real mean power spectra")
def _spectrum(ctx) -> dict:
    return {"spectrum_distance": spectrum_distance(ctx.reference(), ctx.samples())}


@register_metric("class_agreement", domains=("signals",), best={"class_agreement": "max"},
                 description="conditional runs: share of class-balanced samples a random forest trained on the real "
                             "signals' spectra puts in their requested class (skipped for unconditional runs)")
def _class_agreement(ctx) -> dict:
    run = ctx.run
    if not run.n_classes:
        return {}
    source = run.reference_source()
    labels = run.class_labels(ctx.n)
    fake = run.sample(ctx.n, seed=ctx.seed, classes=labels.tolist())
    return {"class_agreement": class_agreement(source.points, source.labels, fake, labels, seed=ctx.seed)}


register_domain(Signals())
