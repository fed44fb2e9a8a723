"""What the core knows of a kind of data: the :class:`Domain` interface and the registry.

A domain owns everything specific to one kind of data (points, images, signals, text, tables, or
one a user registers): checking its config keys, building the training source, what a checkpoint
keeps to decode samples, decoding samples into the data's own units, the sample files it writes,
its metrics and their defaults, its pictures, augmentation and the one-line summary of a result.
The trainer, the API and the command line only call these methods; none of them asks which kind of
data a run holds. Adding a kind is one subclass and one :func:`register_domain` call::

    class Circle(Domain):
        name, data_names = "circle", ("circle",)
        def build_source(self, data_cfg, seed, conditional): ...
    register_domain(Circle())

This module imports no torch: the registry answers ``wgangp list`` and config checks cheaply.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from wgangp import config as _config
from wgangp.errors import UserError

# data.name -> domain name; domain name -> instance; built-in domains -> their module (imported on first use)
_BY_DATA: dict[str, str] = {}
_DOMAINS: dict[str, "Domain"] = {}
_KEY_OWNERS: dict[str, list[tuple[str, ...]]] = {}   # data.* key -> the data names of each kind that reads it
_LAZY: dict[str, str] = {}
EVAL_SEED = 12_345      # fixed noise / reference seed of evaluations and pictures: steps stay comparable


class Domain:
    """One kind of data. Subclasses set :attr:`name` and :attr:`data_names` and override what differs.

    ``state`` below is the domain's own checkpoint entry (:meth:`state`: plain Python values,
    stored under :attr:`state_key`), ``None`` for kinds that need none.
    """
    name: str = ""
    data_names: tuple[str, ...] = ()
    state_key: str = "domain_state"           # where checkpoints keep :meth:`state`
    base_metrics: tuple[str, ...] = ()        # metrics every evaluation reports (wgangp list --metrics)
    auto_sized: bool = False                  # sizes config.SIZE_KEYS given as 0 from the data (resolve)
    spatial: bool = False                     # samples have time or space axes (C, L) / (C, H, W): train.diffaugment
    data_keys: tuple[str, ...] = ()           # data.* keys this kind reads: refused, when set, for kinds that do not

    # ----- config and data ------------------------------------------------------------------
    def validate(self, cfg) -> None:
        """Checks of this kind's config keys (a missing ``data.path``, a value out of range); UserError."""

    def resolve(self, cfg) -> list[str]:
        """Set the size keys given as 0 (``auto_sized`` domains: from the data) in ``cfg``; returns
        notes saying what was chosen. Called before a run's trainer is built."""
        return []

    def build_source(self, data_cfg, seed: int, conditional: bool):
        """The training source (a :class:`wgangp.data.base.PointSource` or one with its interface)."""
        raise NotImplementedError

    def state(self, source) -> dict | None:
        """What a checkpoint must keep to decode samples without the data (plain Python values)."""
        return None

    classifier_options: tuple[str, ...] = ()  # options of ``wgangp classifier`` it takes besides epochs and seed

    def classifier_match(self, data_path) -> int:
        """How surely ``data_path`` is labelled data of this kind for ``wgangp classifier`` (0: not;
        the highest score among the kinds trains it)."""
        return 0

    def train_classifier(self, data_path, out, epochs: int | None, seed: int, replace: bool, **options) -> dict:
        """Train this kind's classifier on ``data_path`` and save it at ``out`` (``options``: only
        :attr:`classifier_options`); returns ``n_train``, ``n_classes``, ``test_accuracy``."""
        raise UserError(f"{self.name} data has no classifier")

    def transfer_mismatch(self, theirs: dict | None, mine: dict | None, conditional: bool) -> str | None:
        """``train.init_from``: why weights trained on data of state ``theirs`` would mean something else on
        this run's data (state ``mine``; ``conditional``: its classes matter), or None (shapes are checked apart)."""
        return None

    def check_checkpoint(self, state: dict, what: str) -> None:
        """Refuse (one line) a checkpoint ``state`` trained on another kind of data (``what``: which checkpoint,
        for the message); one from before checkpoints recorded their kind passes."""
        kind = state.get("domain", self.name)
        if kind != self.name:
            raise UserError(f"{what} is of a {kind} run; this run is of {self.name} data")

    def network_options(self, state: dict | None) -> dict:
        """Extra keyword arguments of :func:`wgangp.nets.build_networks` (e.g. ``generator_head``: the output
        layer the generator ends in, as tables' softmax blocks)."""
        return {}

    # ----- samples ----------------------------------------------------------------------------
    def to_data_units(self, x, state: dict | None):
        """Generated samples in the data's own units (e.g. a per-channel scale undone)."""
        return x

    def sample_shape(self, data_shape: tuple[int, ...], state: dict | None) -> tuple[int, ...]:
        """The shape of one sample after :meth:`to_data_units` (the generator's, unless decoding changes it)."""
        return tuple(data_shape)

    def label_values(self, labels, state: dict | None):
        """Class numbers ``(N,)`` as the labels written beside samples: the data's own integer labels
        where its class names are integers (UCR's ``1..K``), else the numbers themselves."""
        names = self.class_names(state)
        if names and all(n.lstrip("-").isdigit() for n in names):
            import torch

            return torch.tensor([int(n) for n in names])[labels]
        return labels

    def class_names(self, state: dict | None) -> list[str]:
        """Names of the classes of a conditional run, where the data names them (``--class NAME``)."""
        return []

    def writers(self) -> dict[str, Callable]:
        """``{suffix: write(run, n, path, seed, classes) -> message}``: sample files of this kind's own
        formats (``"/"``: a folder); other suffixes are written by :func:`wgangp.export.save_samples`."""
        return {}

    def reference(self, run, n: int, seed: int):
        """``n`` real samples, independent of the training batches, as the generator makes them."""
        return run.reference_source().fresh(n, seed)

    def eval_samples(self, run, n: int | None) -> int:
        """How many samples an evaluation draws when the caller did not say."""
        return n or run.config.train.eval_samples

    # ----- pictures, augmentation, summaries ------------------------------------------------
    def pictures(self, run, title: str) -> list[Path]:
        """This kind's pictures of a finished run, written into ``run.run_dir``."""
        return []

    def snapshot(self, run, logger) -> None:
        """Every ``train.sample_every`` iterations: a view of the samples (images: a grid)."""

    def live_panels(self, run, cache: dict) -> dict:
        """What the live view draws of this kind, now (JSON-ready, small: it is computed a few
        times a second between iterations); ``cache`` keeps fixed inputs across calls. Curves
        need nothing here: every kind gets them from ``metrics.jsonl``."""
        return {}

    def augment(self, run, out: Path, per_class: int | None, seed: int, filter_net, max_draws: int) -> dict:
        """Write the run's data set topped up per class with generated samples, in its own format."""
        raise UserError(f"augment writes images, signals and tables; for {self.name} draw labelled samples with "
                        "'wgangp sample RUN --class K -o FILE.npz' and add them to your data")

    def summary(self, result: dict) -> list[str]:
        """Phrases of the one-line summary ``wgangp train`` prints of an evaluation result."""
        return []


@dataclass
class EvalContext:
    """One evaluation of a run: what metric functions receive (registered in
    :mod:`wgangp.metrics.registry`). Samples and reference are drawn once and shared; ``cache``
    holds whatever else several metrics of one kind share."""
    run: Any
    n: int
    seed: int
    feature_net: Any = None
    feature_weights: str | None = None
    n_per_class: int | None = None
    cache: dict = field(default_factory=dict)

    def samples(self):
        if "samples" not in self.cache:
            self.cache["samples"] = self.run.sample(self.n, seed=self.seed)
        return self.cache["samples"]

    def reference(self):
        if "reference" not in self.cache:
            self.cache["reference"] = self.run.domain.reference(self.run, self.n, self.seed + 1)
        return self.cache["reference"]

    def per_class(self) -> int:
        """Samples per class of the conditional metrics (default: ``n`` split over the classes)."""
        return self.n_per_class or max(self.n // (self.run.n_classes or 1), 2)


def register_domain(domain: Domain) -> Domain:
    """Register ``domain`` under each of its ``data_names`` (a later registration of a name wins)."""
    if not domain.name or not domain.data_names:
        raise ValueError("a Domain needs a name and at least one data name")
    said = {k for k, owners in _KEY_OWNERS.items() if tuple(domain.data_names) in owners}
    if said and said != set(domain.data_keys):
        raise ValueError(f"domain {domain.name}: data_keys {sorted(domain.data_keys)} differ from its lazy "
                         f"registration's {sorted(said)}")
    _DOMAINS[domain.name] = domain
    for data_name in domain.data_names:
        _BY_DATA[data_name] = domain.name
        _LAZY.pop(data_name, None)
    _own_keys(domain.data_keys, domain.data_names)
    _config.register_data_names(domain.data_names, _validate, auto_sized=domain.auto_sized)
    return domain


def register_lazy(module: str, data_names: tuple[str, ...], auto_sized: bool = False,
                  data_keys: tuple[str, ...] = ()) -> None:
    """A built-in domain: its ``data_names`` are valid at once; ``module`` is imported on first use
    (``auto_sized``, ``data_keys``: as its class says, known before the import)."""
    for data_name in data_names:
        _LAZY[data_name] = module
    _own_keys(data_keys, data_names)
    _config.register_data_names(data_names, _validate, auto_sized)


def _own_keys(keys, data_names) -> None:
    for key in keys:
        owners = _KEY_OWNERS.setdefault(key, [])
        if tuple(data_names) not in owners:
            owners.append(tuple(data_names))


def _validate(cfg) -> None:
    """The keys of one kind refused elsewhere (never silently ignored), then the kind's own checks."""
    domain = domain_for(cfg.data.name)
    _refuse_others_keys(cfg, domain)
    if cfg.train.diffaugment.strip() and not domain.spatial:
        raise UserError(f"train.diffaugment shifts and cuts along time or space: it is for series (C, L) and images "
                        f"(C, H, W), not {domain.name} data (data.name={cfg.data.name}); drop it")
    domain.validate(cfg)


def _refuse_others_keys(cfg, domain: Domain) -> None:
    """A data.* key only other kinds read (:attr:`Domain.data_keys`) set away from its default: one line."""
    default = type(cfg.data)()
    for key, owners in _KEY_OWNERS.items():
        if key not in domain.data_keys and getattr(cfg.data, key) != getattr(default, key):
            kinds, names = " or ".join(n[0] for n in owners), " or ".join(n for names in owners for n in names)
            raise UserError(f"data.{key}={getattr(cfg.data, key)} applies to {kinds} data (data.name={names}), not "
                            f"to data.name={cfg.data.name}: drop it")


def domain_for(data_name: str) -> Domain:
    """The domain serving ``data.name = data_name``."""
    if data_name in _LAZY:
        importlib.import_module(_LAZY[data_name])      # registers itself
    if data_name not in _BY_DATA:
        raise UserError(f"no data kind is registered for data.name={data_name!r}; registered: "
                        f"{', '.join(sorted(set(_BY_DATA) | set(_LAZY)))}")
    return _DOMAINS[_BY_DATA[data_name]]


def train_classifier(data_path, out, epochs: int | None = None, seed: int = 0, replace: bool = False,
                     **options) -> dict:
    """``wgangp classifier``: the kind whose :meth:`Domain.classifier_match` scores ``data_path``
    highest trains it; an option it does not take (set away from 0 / False) is refused in one line."""
    list_domains()
    score, domain = max(((d.classifier_match(data_path), d) for d in _DOMAINS.values()), key=lambda t: t[0])
    if score <= 0:
        raise UserError(f"no kind of data trains a classifier on '{data_path}'")
    bad = [k for k, v in options.items() if v and k not in domain.classifier_options]
    if bad:
        raise UserError(f"--{bad[0]} does not apply to {domain.name} data; '{data_path}' holds {domain.name}: drop it")
    return domain.train_classifier(data_path, out, epochs, seed, replace,
                                   **{k: v for k, v in options.items() if k in domain.classifier_options})


def list_domains() -> dict[str, tuple[str, ...]]:
    """``{domain name: its data names}`` of every registered domain (built-ins imported)."""
    for module in sorted(set(_LAZY.values())):
        importlib.import_module(module)
    return {name: d.data_names for name, d in sorted(_DOMAINS.items())}


def plan(counts: list[int], per_class: int | None = None) -> list[int]:
    """Synthetic samples per class for augmentation: up to the largest class, or up to ``per_class``."""
    if any(c == 0 for c in counts):
        empty = [k for k, c in enumerate(counts) if c == 0]
        raise UserError(f"class {empty[0]} has no real samples; a conditional model cannot have learned it")
    target = max(counts) if per_class is None else per_class
    return [max(0, target - c) for c in counts]
