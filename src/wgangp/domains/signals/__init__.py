"""1-D signals (sensor, radar or audio snippets) as ``(channels, length)`` samples.

Data: :mod:`wgangp.data.signals` (.npz/.npy arrays, CSV/TSV/TXT rows, UCR/UEA files, WAV folders, read
by :mod:`wgangp.data.series_io`; the built-in sines), every channel scaled to ``[-1, 1]``; a
checkpoint keeps the scale, and samples are written in the data's own units. Lengths: ``data.length``
crops or zero-pads every series; left at 0, series of one length not built by ``model.arch`` are
zero-padded at their end to the next length it builds (:meth:`Signals.resolve`, said in a note).
Where every series had one length and was zero-padded, the checkpoint keeps that length
(``own_length``) and samples, pictures, metrics and augmented sets are cropped back to it: the
generated tail beyond it stands for the padding, not for the data.
Metrics: exact W1, the power-spectrum distance and, for conditional runs, class agreement
(:mod:`wgangp.metrics.signals`); by name only, TimeGAN's discriminative and predictive scores
(:mod:`wgangp.domains.signals.metrics`: they train networks).

``data.representation=spectrogram`` (SpecGAN): the series are trained as the normalised
log-magnitude spectrogram images of :mod:`wgangp.data.spectrogram`, of the side the image network
``model.arch`` builds (set in ``data.resolution`` by :meth:`Signals.resolve`); the checkpoint keeps
the STFT settings and per-bin statistics, samples come back as series through Griffin-Lim, and the
spectrum and class metrics compare those with the real series (W1 compares the images).
"""
from __future__ import annotations

import torch

from wgangp.data import spectrogram as spec
from wgangp.data.series_io import FORMATS, resample_to
from wgangp.data.signals import SINES_LENGTH, SignalSource, read_signal_set, sines
from wgangp.domains import shared_metrics  # noqa: F401  (registers w1)
from wgangp.domains.base import Domain, register_domain
from wgangp.domains.keys import SIGNAL_KEYS
from wgangp.domains.signals import metrics  # noqa: F401  (registers discriminative, predictive: by name only)
from wgangp.domains.signals.transforms import series_transforms, undo
from wgangp.errors import UserError
from wgangp.metrics.registry import register_metric
from wgangp.metrics.signals import class_agreement, spectrum_distance
from wgangp.nets.resnet1d import length_step as resnet1d_length_step


# model.arch -> the signal lengths it builds are multiples of this, given the model config (dcgan-1d: 4
# stride-2 stages; resnet-1d: model.depth 2x stages); any other (wavegan: any length >= 16; mlp-1d) -> 1
LENGTH_STEP = {"dcgan-1d": lambda m: 16, "resnet-1d": lambda m: resnet1d_length_step(m.depth)}


def length_step(model_cfg) -> int:
    """The signal lengths ``model.arch`` builds are multiples of this (1: any length)."""
    return LENGTH_STEP[model_cfg.arch](model_cfg) if model_cfg.arch in LENGTH_STEP else 1


class Signals(Domain):
    name = "signals"
    data_names = ("signals", "sines")
    state_key = "signal"
    spatial = True                                  # (C, L), or (C, S, S) spectrograms: train.diffaugment applies
    data_keys = SIGNAL_KEYS
    base_metrics = ("w1", "spectrum", "class_agreement")
    classifier_options = ("length", "resample", "label")

    def classifier_match(self, data_path) -> int:
        from wgangp.domains.signals.classifier import is_series_data

        return 2 if is_series_data(data_path) else 0  # above images: an .npz of series is not one of images

    def train_classifier(self, data_path, out, epochs, seed, replace, length: int = 0, resample: bool = False,
                         label: str = "") -> dict:
        """The 1-D CNN (``epochs`` default 100; ``length``, ``resample``, ``label`` as the run's ``data.length``,
        ``data.resample``, ``data.label``): :func:`wgangp.domains.signals.classifier.train_series_classifier`."""
        from wgangp.domains.signals.classifier import train_series_classifier

        return train_series_classifier(data_path, out, epochs=epochs, seed=seed, replace=replace, length=length,
                                       resample=resample, label=label)

    def validate(self, cfg) -> None:
        if cfg.data.name == "signals" and not cfg.data.path:
            raise UserError(f"data.name=signals needs data: add --set data.path=... ({FORMATS})")
        if cfg.data.name == "sines" and (cfg.data.length or cfg.data.resample):
            raise UserError("data.length and data.resample apply to signal files (data.name=signals); the built-in "
                            "sines are 64 samples long: drop them")
        if cfg.data.mirror and not cfg.data.circular:
            raise UserError("data.mirror reverses closed curves traced the other way: it applies with data.circular=true")
        if cfg.data.circular and cfg.data.representation != "waveform":
            raise UserError("data.circular rotates the series themselves: it applies with data.representation=waveform")
        if not cfg.data.spectrogram_clip > 0 or (cfg.data.spectrogram_clip != spec.CLIP_STD
                                                  and cfg.data.representation != "spectrogram"):
            raise UserError(f"data.spectrogram_clip={cfg.data.spectrogram_clip:g}: the clip of spectrograms' normalised "
                            "bins, in standard deviations, is > 0 and applies with data.representation=spectrogram")
        if cfg.data.representation == "spectrogram":
            _check_spectrogram(cfg, 1 if cfg.data.name == "sines" else None,
                               SINES_LENGTH if cfg.data.name == "sines" else cfg.data.length or None)
        elif _image_shape(cfg.model.arch):
            raise UserError(f"model.arch={cfg.model.arch} is an image network: train signals with it as spectrograms "
                            "(--set data.representation=spectrogram) or choose a 1-D network (dcgan-1d)")
        step = length_step(cfg.model)
        if cfg.data.length % step:
            below = cfg.data.length // step * step
            raise UserError(f"data.length={cfg.data.length}: model.arch={cfg.model.arch} builds lengths that are "
                            f"multiples of {step}; set data.length={f'{below} or ' if below else ''}{below + step}")

    def resolve(self, cfg) -> list[str]:
        """Signal files: the reader's notes (cropping, padding), and ``data.length`` set to the next
        length ``model.arch`` builds when it was 0 and the files' length is not one. Spectrograms:
        ``data.resolution`` set to the side ``model.arch`` builds, and a note of the STFT chosen."""
        notes, channels, length = [], 1, SINES_LENGTH
        if cfg.data.name == "signals":
            series = read_signal_set(cfg.data)
            notes = [f"signals: {note}" for note in series.notes]
            step, (channels, length) = length_step(cfg.model), series.x.shape[1:]
            if cfg.data.length == 0 and length % step:
                cfg.data.length = -(-length // step) * step
                how = "resampled to" if cfg.data.resample else "zero-padded at their end to"
                notes.append(f"signals: the series of {length} samples {how} data.length={cfg.data.length} "
                             f"(model.arch={cfg.model.arch} builds multiples of {step}; set data.length to choose)")
        if cfg.data.circular:
            notes.append("signals: data.circular: every series is rotated to one phase for training (per class where "
                         "labelled)" + (" and reversed where it runs the other way (data.mirror)" if cfg.data.mirror else "")
                         + "; samples are rotated to phases" + (" and directions" if cfg.data.mirror else "")
                         + " drawn from the real series'")
        if cfg.data.representation == "spectrogram":
            side = _check_spectrogram(cfg, channels, length)
            cfg.data.resolution, p = side, spec.stft_params(length, side)
            padded = f", zero-padded to {p.padded} samples" if p.padded > length else ""
            notes.append(f"signals: each series of {length} samples is a {side}x{side} spectrogram for model.arch="
                         f"{cfg.model.arch}: n_fft {p.n_fft}, hop {p.hop}{padded}; samples come back through "
                         f"{spec.GL_ITERS} Griffin-Lim iterations")
        return notes

    def build_source(self, data_cfg, seed: int, conditional: bool):
        return SignalSource(data_cfg, seed, arrays=sines() if data_cfg.name == "sines" else None,
                            transforms=series_transforms(data_cfg))

    def state(self, source) -> dict:
        return source.signal_state()

    def class_names(self, state: dict | None) -> list[str]:
        return list(state.get("class_names") or []) if state else []

    def transfer_mismatch(self, theirs, mine, conditional):
        theirs, mine = theirs or {}, mine or {}
        if theirs.get("spectrogram") != mine.get("spectrogram"):
            return "its spectrogram settings (data.representation, length, side) are not this run's"
        if bool(theirs.get("circular")) != bool(mine.get("circular")):
            return "its series were trained at one phase (data.circular) and this run's are not, or the reverse"
        if ("flips" in (theirs.get("circular") or {})) != ("flips" in (mine.get("circular") or {})):
            return "its curves were trained in one direction (data.mirror) and this run's are not, or the reverse"
        if bool(theirs.get("resampled")) != bool(mine.get("resampled")):
            how = ("resampled", "cropped or padded") if theirs.get("resampled") else ("cropped or padded", "resampled")
            return f"its series were {how[0]} to their length and this run's are {how[1]} (data.resample): another time scale"
        if conditional and theirs.get("class_names") != mine.get("class_names"):
            return f"its classes {theirs.get('class_names')} are not this data's {mine.get('class_names')}"
        return None       # another scale per channel is fine: the networks work in scaled units

    def to_data_units(self, x: torch.Tensor, state: dict | None) -> torch.Tensor:
        """Generated ``(N, C, L)`` series, or ``(N, C, S, S)`` spectrograms (decoded by Griffin-Lim), as
        ``(N, C, L)`` series in the data's units (cropped to the data's own length where it was padded)."""
        return _unscale(as_series(x, state), state)

    def sample_shape(self, data_shape: tuple[int, ...], state: dict | None) -> tuple[int, ...]:
        state = state or {}
        length = state["spectrogram"]["length"] if state.get("spectrogram") else data_shape[-1]
        return data_shape[0], state.get("own_length") or length

    def pictures(self, run, title: str) -> list:
        """Per class, real vs generated series, mean power spectra and spectrograms (``signals.pictures``)."""
        from wgangp.domains.signals.pictures import write_pictures

        state = run.domain_state
        return write_pictures(run, title, lambda x: _unscale(x, state))

    def live_panels(self, run, cache: dict) -> dict:
        """Per class: a real and a generated series and their mean power spectra (``signals.live``)."""
        from wgangp.domains.signals.live import series

        state = run.domain_state
        return series(run, cache, lambda x: self.to_data_units(x, state), lambda x: _unscale(x, state))

    def augment(self, run, out, per_class: int | None, seed: int, filter_net, max_draws: int) -> dict:
        """The run's signal file topped up per class, in its own format or an .npz (``signals.augment``)."""
        from wgangp.domains.signals.augment import augment_signals

        return augment_signals(run, out, per_class, seed, filter_net, max_draws)

    def summary(self, m: dict) -> list[str]:
        parts = []
        if m.get("spectrum_distance") is not None:
            parts.append(f"spectrum distance {m['spectrum_distance']:.3f} decades")
        if m.get("class_agreement") is not None:
            parts.append(f"class agreement {m['class_agreement']:.1%}")
        if m.get("w1") is not None:
            parts.append(f"W1 {m['w1']:.4f}")
        return parts


def _image_shape(arch: str) -> tuple[int, ...] | None:
    """``(C, H, W)`` of the images ``model.arch`` builds; None if it is no image network."""
    from wgangp.nets import _IMAGE_NETS         # the registry's table of image networks

    return _IMAGE_NETS[arch][-1] if arch in _IMAGE_NETS else None


def _check_spectrogram(cfg, channels: int | None, length: int | None) -> int:
    """The spectrogram side ``model.arch`` builds for signals of ``channels`` and ``length`` (None:
    not known yet); a one-line UserError naming what fits otherwise."""
    from wgangp.nets import _IMAGE_NETS

    arch, shape = cfg.model.arch, _image_shape(cfg.model.arch)
    if shape is None:
        raise UserError(f"data.representation=spectrogram trains an image network; model.arch={arch} is not one: use "
                        + ", ".join(f"{n} ({'x'.join(map(str, v[-1]))})" for n, v in _IMAGE_NETS.items()))
    side = shape[1]
    if cfg.data.resolution not in (0, side):
        raise UserError(f"data.resolution={cfg.data.resolution}: model.arch={arch} builds {side}x{side} spectrograms; "
                        "leave data.resolution at 0 (it is set from model.arch)")
    if channels is not None and channels != shape[0]:
        fits = [f"{n} ({v[-1][1]}x{v[-1][1]})" for n, v in _IMAGE_NETS.items() if v[-1][0] == channels]
        raise UserError(f"model.arch={arch} builds {shape[0]}-channel images; these signals have {channels} "
                        f"channel(s): use {' or '.join(fits) if fits else 'a 1-D network (dcgan-1d)'}")
    lo, hi = spec.length_range(side)
    if length is not None and not lo <= length <= hi:
        raise UserError(f"series of {length} samples do not fit model.arch={arch}'s {side}x{side} spectrogram "
                        f"(hop 2 to {side} holds {lo} to {hi} samples): set data.length={lo if length < lo else hi}")
    return side


def as_series(x: torch.Tensor, state: dict | None) -> torch.Tensor:
    """Generated samples as scaled ``(N, C, L)`` series: spectrograms decoded by Griffin-Lim; with
    ``data.circular``, rotated to phases drawn from the real series'; cropped to the data's own length
    where training zero-padded it (resampled back where it resampled)."""
    x = undo(x, state)                              # (transforms.py) Griffin-Lim, rotation back
    return own_length(x, state)


def own_length(x: torch.Tensor, state: dict | None) -> torch.Tensor:
    """Series ``(N, C, L)`` at the data's own length (``own_length`` of the state: the length every
    series had before ``data.length`` zero-padded it, or resampled it: ``resampled`` in the state),
    cropped or resampled back to it; unchanged where there is none."""
    state = state or {}
    length = state.get("own_length")
    if length and state.get("resampled"):
        return torch.from_numpy(resample_to(x.detach().cpu().numpy(), length)).to(x)
    return x[..., :length] if length else x


def _unscale(x: torch.Tensor, state: dict) -> torch.Tensor:
    """Scaled ``(N, C, L)`` series in the data's units (cropped as :func:`own_length`)."""
    return own_length(x, state) * torch.tensor(state["scale"], dtype=x.dtype)[:, None]


def _series(ctx) -> tuple[torch.Tensor, torch.Tensor]:
    """``(real, generated)`` scaled series of an evaluation, at the data's own length (spectrograms
    decoded once, cached)."""
    if "series" not in ctx.cache:
        state = ctx.run.domain_state
        real = own_length(ctx.run.reference_source().fresh_series(ctx.n, ctx.seed + 1), state)
        ctx.cache["series"] = real, as_series(ctx.samples(), state)
    return ctx.cache["series"]


@register_metric("spectrum", domains=("signals",), best={"spectrum_distance": "min"},
                 description="mean |log10| difference (decades) of the generated and real mean power spectra")
def _spectrum(ctx) -> dict:
    return {"spectrum_distance": spectrum_distance(*_series(ctx))}


@register_metric("class_agreement", domains=("signals",), best={"class_agreement": "max"},
                 description="conditional runs: share of class-balanced samples a random forest trained on the real "
                             "signals' band shares (and noisier copies of them) puts in their requested class (skipped for "
                             "unconditional runs)")
def _class_agreement(ctx) -> dict:
    run = ctx.run
    if not run.n_classes:
        return {}
    source = run.reference_source()
    labels = run.class_labels(ctx.n)
    fake = as_series(run.sample(ctx.n, seed=ctx.seed, classes=labels.tolist()), run.domain_state)
    real = own_length(source.series, run.domain_state)
    return {"class_agreement": class_agreement(real, source.labels, fake, labels, seed=ctx.seed)}


register_domain(Signals())
