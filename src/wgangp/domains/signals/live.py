"""The live view's panels for 1-D signals: per class (conditional runs; otherwise one group of
all), a real and a generated series (channel 0, in the data's units) and the two mean power
spectra (log10 of ``|rfft|^2``, averaged over channels and :data:`SPECTRUM_SERIES` series), the
picture behind the ``spectrum_distance`` metric. Long series (audio) are shown by their first
:data:`SHOWN` samples and their spectra averaged into at most :data:`BINS` bands."""
from __future__ import annotations

import torch

from wgangp.metrics.signals import power_spectrum

MAX_GROUPS = 4                   # classes drawn (the first ones)
SPECTRUM_SERIES = 32             # series per class behind each mean spectrum
SHOWN = 1024                     # samples of a series drawn
BINS = 256                       # frequency bands of a spectrum drawn
SEED = 20_171_109


def _log_power(x: torch.Tensor) -> list:
    """``(N, C, L)`` -> log10 mean power per band (at most BINS bands)."""
    p = power_spectrum(x).mean(dim=(0, 1))
    if len(p) > BINS:
        p = torch.stack([band.mean() for band in torch.tensor_split(p, BINS)])
    floor = 1e-12 * float(p.max().clamp_min(1e-300))
    return torch.round(p.clamp_min(floor).log10() * 1e3).div(1e3).tolist()


def _real_by_class(run, n_groups: int) -> list[torch.Tensor]:
    """SPECTRUM_SERIES real series per group (scaled as the generator makes them), fixed per run."""
    source = run.reference_source()
    gen = torch.Generator().manual_seed(SEED)
    if not run.n_classes or source.labels is None:
        return [source.series[torch.randint(len(source.series), (SPECTRUM_SERIES,), generator=gen)]]
    out = []
    for c in range(n_groups):
        idx = (source.labels == c).nonzero().flatten()
        pick = idx[torch.randint(len(idx), (SPECTRUM_SERIES,), generator=gen)] if len(idx) else idx
        out.append(source.series[pick])
    return out


def series(run, cache: dict, to_units, real_units) -> dict:
    """The panel: ``groups`` of {label, real, fake, real_power, fake_power}; ``to_units`` maps
    generated samples to ``(N, C, L)`` series in the data's units, ``real_units`` the source's
    scaled series."""
    n_groups = min(run.n_classes, MAX_GROUPS) if run.n_classes else 1
    if "real" not in cache:
        cache["real"] = [real_units(x) for x in _real_by_class(run, n_groups)]
    shown = lambda x: torch.round(x[0, 0, :SHOWN].float() * 1e4).div(1e4).tolist() if len(x) else []  # noqa: E731
    groups = []
    for g, real in enumerate(cache["real"]):
        fake = to_units(run.sample(SPECTRUM_SERIES, seed=SEED, classes=g if run.n_classes else None))
        groups.append({"label": f"class {g}" if run.n_classes else "all", "real": shown(real), "fake": shown(fake),
                       "real_power": _log_power(real) if len(real) else [], "fake_power": _log_power(fake)})
    length = cache["real"][0].shape[-1]
    return {"kind": "series", "length": length, "shown": min(length, SHOWN), "channels": run.data_shape[0],
            "classes": run.n_classes or 0, "groups": groups}
