"""The metric registry (as stylegan2-ada's ``metric_main``): every metric by name, with the data kinds
it applies to and what it needs; evaluation only knows names.

A metric is a function of an evaluation context (:class:`wgangp.domains.base.EvalContext`: the run,
``n``, the seed, the feature net, shared samples and reference) returning a dict of results. Its
domain module registers it::

    @register_metric("spectrum", domains=("signals",), description="...")
    def _spectrum(ctx): return {"spectrum_distance": ...}

``needs`` names what it requires: ``feature_net`` (an image feature net: ``--feature-net`` or the
standard Inception), ``classifier`` (a feature net with class logits, ``wgangp classifier``),
``conditional`` (a class-conditional run), ``labelled_data`` (the run's labelled ``data.path``),
``holdout`` (records held out of training, ``data.holdout > 0``). This module imports no torch.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from wgangp.errors import UserError

NEEDS = ("feature_net", "classifier", "conditional", "labelled_data", "holdout")


@dataclass(frozen=True)
class Metric:
    name: str
    fn: Callable
    domains: tuple[str, ...]
    needs: tuple[str, ...]
    description: str


_METRICS: dict[str, Metric] = {}


def register_metric(name: str, domains: tuple[str, ...], needs: tuple[str, ...] = (), description: str = ""):
    """Decorator: register ``fn(ctx) -> dict`` as metric ``name`` for the domains named ``domains``."""
    unknown = set(needs) - set(NEEDS)
    if unknown:
        raise ValueError(f"metric {name}: unknown needs {sorted(unknown)}; known: {NEEDS}")

    def deco(fn):
        _METRICS[name] = Metric(name, fn, tuple(domains), tuple(needs), description)
        return fn
    return deco


def get_metric(name: str) -> Metric:
    return _METRICS[name]


def list_metrics(domain: str | None = None) -> list[Metric]:
    """Registered metrics (of one domain, by its name), sorted by name."""
    return [m for _, m in sorted(_METRICS.items()) if domain is None or domain in m.domains]


def parse_names(metrics: str | list[str] | tuple[str, ...] | None) -> list[str]:
    """``"fid, kid"`` or ``["fid", "kid"]`` -> ``["fid", "kid"]`` (order kept, duplicates dropped)."""
    names = metrics.split(",") if isinstance(metrics, str) else list(metrics or [])
    return list(dict.fromkeys(n.strip() for n in names if n.strip()))


def check(names: list[str], domain: str, conditional: bool, where: str = "metrics") -> None:
    """Every name is registered for ``domain``; conditional-only metrics need a conditional run."""
    valid = [m.name for m in list_metrics(domain)]
    bad = [n for n in names if n not in valid]
    if bad:
        known = f" (a metric of {', '.join(get_metric(bad[0]).domains)} runs)" if bad[0] in _METRICS else ""
        raise UserError(f"{where}: unknown metric {bad[0]!r} for {domain} runs{known}; valid: {', '.join(valid)} "
                        "(wgangp list --metrics)")
    cond = [n for n in names if "conditional" in get_metric(n).needs]
    if cond and not conditional:
        raise UserError(f"{where}: {', '.join(cond)} are for class-conditional runs: set model.conditional=true or "
                        "drop them")


def compute(names: list[str], ctx) -> dict:
    """Run each metric on ``ctx`` in order; their dicts merged."""
    out: dict = {}
    for name in names:
        out.update(_METRICS[name].fn(ctx))
    return out
