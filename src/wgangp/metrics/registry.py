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
``holdout`` (records held out of training, ``data.holdout > 0``). ``best`` names the result keys
that rank runs and which way (``{"fid": "min"}``): what ``train.best_metric`` may be. This module
imports no torch.
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
    best: tuple[tuple[str, str], ...] = ()        # (result key, "min" | "max")


_METRICS: dict[str, Metric] = {}


def register_metric(name: str, domains: tuple[str, ...], needs: tuple[str, ...] = (), description: str = "",
                    best: dict[str, str] | None = None):
    """Decorator: register ``fn(ctx) -> dict`` as metric ``name`` for the domains named ``domains``;
    ``best``: its result keys that can rank checkpoints, each ``"min"`` or ``"max"`` (better)."""
    unknown = set(needs) - set(NEEDS)
    if unknown:
        raise ValueError(f"metric {name}: unknown needs {sorted(unknown)}; known: {NEEDS}")
    if any(v not in ("min", "max") for v in (best or {}).values()):
        raise ValueError(f"metric {name}: best directions must be 'min' or 'max', got {best}")

    def deco(fn):
        _METRICS[name] = Metric(name, fn, tuple(domains), tuple(needs), description, tuple((best or {}).items()))
        return fn
    return deco


def best_direction(key: str, names: list[str]) -> str:
    """``"min"`` or ``"max"``: which way result ``key`` of the metrics ``names`` improves; a key that
    none of them reports is an error listing those that can rank a run."""
    ranked = {k: d for n in names for k, d in _METRICS[n].best}
    if key not in ranked:
        raise UserError(f"train.best_metric: {key!r} is not a result of this run's evaluation ({', '.join(names)}); "
                        f"choose one of {', '.join(ranked) or '(none)'}, or add its metric to train.eval_metrics")
    return ranked[key]


def get_metric(name: str) -> Metric:
    return _METRICS[name]


def list_metrics(domain: str | None = None) -> list[Metric]:
    """Registered metrics (of one domain, by its name), sorted by name."""
    return [m for _, m in sorted(_METRICS.items()) if domain is None or domain in m.domains]


def describe(base: dict[str, tuple[str, ...]]) -> list[str]:
    """``wgangp list --metrics``: a header and one line per metric (``base``: each kind's default metrics)."""
    metrics = list_metrics()
    width = max(len(m.name) for m in metrics)
    lines = [f"{'metric':<{width}}  [data kinds (* reported by default); what it needs] what it is"]
    for m in metrics:
        kinds = ", ".join(d + ("*" if m.name in base.get(d, ()) else "") for d in m.domains)
        needs = f"; needs {', '.join(m.needs)}" if m.needs else ""
        best = f" (train.best_metric: {', '.join(f'{k} {d}' for k, d in m.best)})" if m.best else ""
        lines.append(f"{m.name:<{width}}  [{kinds}{needs}] {m.description}{best}")
    return lines


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
