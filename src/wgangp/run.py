"""A run: its config, generator, critic and its data kind's state; built for training
(:func:`build_trainer`) or loaded from a run directory (:func:`load_run`).

Everything specific to the kind of data goes through the run's domain (:attr:`Run.domain`,
:mod:`wgangp.domains`); this module never asks which kind it holds.
"""
from __future__ import annotations

import dataclasses
import math
import numbers
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from wgangp.config import Config
from wgangp.domains import domain_for
from wgangp.errors import Diverged, UserError
from wgangp.nets import build_networks
from wgangp.train.checkpoint import checkpoint_path, load_checkpoint
from wgangp.train.loop import Trainer
from wgangp.train.rundir import read_run_config
from wgangp.train.step import rank_seeds, resolve_device
from wgangp.train.transfer import load_initial_weights


@dataclass
class Run:
    """A trained run: its config, directory, step, generator (EMA copy if any) and critic.

    ``domain_state``: what its data kind keeps to decode samples (a checkpoint entry, see
    :meth:`wgangp.domains.base.Domain.state`); ``source``: the training source when this process
    holds the whole of it (reused as the reference data of evaluations), else built when needed.
    ``truncation``: see :meth:`noise` (:meth:`truncated` sets it).
    """
    config: Config
    run_dir: Path | None
    step: int
    generator: torch.nn.Module
    critic: torch.nn.Module
    data_shape: tuple[int, ...]
    completed: bool = True
    n_classes: int = 0                              # > 0: a class-conditional run
    domain_state: dict | None = None
    source: Any = None
    truncation: float = 0.0                         # > 0: sample with the truncation trick at this bound (:meth:`noise`)

    @property
    def domain(self):
        """The :class:`~wgangp.domains.base.Domain` of the run's ``data.name``."""
        return domain_for(self.config.data.name)

    def reference_source(self):
        """The run's data source, for reference samples (built once, from the config, when not held)."""
        if self.source is None:
            self.source = self.domain.build_source(self.config.data, self.config.seed, self.config.model.conditional)
        return self.source

    def to_data_units(self, x: torch.Tensor) -> torch.Tensor:
        """Samples in the data's own units (the domain's decoding; e.g. signals scaled back)."""
        return self.domain.to_data_units(x, self.domain_state)

    def class_labels(self, n: int, classes: int | list[int] | None = None) -> torch.Tensor | None:
        """``n`` labels cycling over ``classes`` (default: every class, balanced); None if unconditional."""
        if classes is not None and not self.n_classes:
            raise UserError("this run is not class-conditional; --class needs a run trained with model.conditional=true")
        if not self.n_classes:
            return None
        wanted = list(range(self.n_classes)) if classes is None else ([classes] if isinstance(classes, int) else list(classes))
        bad = [c for c in wanted if not 0 <= c < self.n_classes]
        if bad or not wanted:
            raise UserError(f"class {bad[0] if bad else '(none)'} is out of range: this run has classes 0..{self.n_classes - 1}")
        return torch.tensor(wanted, dtype=torch.int64).repeat(-(-n // len(wanted)))[:n]

    def truncated(self, bound: float | None) -> "Run":
        """This run sampling with the truncation trick at ``bound`` (:meth:`noise`; None: the plain prior)."""
        if bound is None:
            return self
        if isinstance(bound, bool) or not isinstance(bound, numbers.Real) or not (math.isfinite(bound) and bound > 0):
            raise UserError(f"truncation (--truncation) must be a positive number, the bound of every noise entry "
                            f"(1 or 0.5 are common; leave it out for the plain prior), got {bound!r}")
        return dataclasses.replace(self, truncation=float(bound))

    def noise(self, n: int, gen: torch.Generator, device) -> torch.Tensor:
        """``(n, noise_dim)`` latent vectors: N(0, 1) entries, or with ``truncation`` t > 0 each entry from
        N(0, 1) restricted to [-t, t] (BigGAN's truncation trick: typical samples, less variety)."""
        if not self.truncation:
            return torch.randn(n, self.config.model.noise_dim, generator=gen, device=device)
        z = torch.empty(n, self.config.model.noise_dim, device=device)
        return torch.nn.init.trunc_normal_(z, 0.0, 1.0, -self.truncation, self.truncation, generator=gen)

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0, batch_size: int = 65_536, classes: int | list[int] | None = None
               ) -> torch.Tensor:
        """``n`` generated samples ``(n, *data_shape)`` (float32, CPU), reproducible for a given ``seed``.

        Conditional runs: ``classes`` (one class or a list, cycled; default all, balanced).
        """
        out = list(self.iter_samples(n, seed, batch_size, classes))
        return torch.cat(out) if out else torch.empty(0, *self.data_shape)

    @torch.no_grad()
    def iter_samples(self, n: int, seed: int = 0, batch_size: int = 65_536, classes: int | list[int] | None = None):
        """The samples of :meth:`sample` as batches of ``batch_size`` (the same numbers, never all in
        memory at once: what ``wgangp sample`` streams to disk)."""
        device = next(self.generator.parameters()).device
        gen = torch.Generator(device).manual_seed(seed)
        labels = self.class_labels(n, classes)
        was_training = self.generator.training      # during training this is the live generator
        self.generator.eval()
        try:
            for i in range(0, n, batch_size):
                z = self.noise(min(batch_size, n - i), gen, device)
                x = (self.generator(z) if labels is None else self.generator(z, labels[i:i + len(z)].to(device))).float().cpu()
                if not torch.isfinite(x).all():
                    raise Diverged(f"the generator of this run (iteration {self.step}) makes non-finite samples "
                                   "(NaN or inf): it has diverged; train it again with a lower optim.lr")
                yield x
        finally:
            self.generator.train(was_training)


def _classes(cfg: Config, source) -> int:
    """The number of classes a conditional run trains on (0 if unconditional), checked against the labels."""
    n_classes = source.n_classes if cfg.model.conditional else 0
    if cfg.model.conditional and n_classes == 1:
        raise UserError(f"model.conditional=true needs at least 2 classes; the labels of data.name={cfg.data.name} "
                        f"{'(' + cfg.data.path + ') ' if cfg.data.path else ''}hold one class only: train it "
                        "unconditionally (model.conditional=false) or give labels of several classes")
    if cfg.model.conditional and n_classes < 2:
        raise UserError(f"model.conditional=true needs class labels in the data (data.name={cfg.data.name} has "
                        "none): an .npz with y_train, class sub-folders, torchvision sets, or Gaussian mixtures")
    labels = getattr(source, "labels", None)
    if n_classes and labels is not None:
        empty = (torch.bincount(labels, minlength=n_classes) == 0).nonzero().flatten().tolist()
        if empty:
            raise UserError(f"class {empty[0]} has no samples in the data (labels run 0..{n_classes - 1}); "
                            "a conditional model needs examples of every class")
    return n_classes


def build_trainer(cfg: Config, run_dir: Path | None = None, dist=None, *, graph_capture: bool = True,
                  resuming: bool = False) -> Trainer:
    """The :class:`~wgangp.train.loop.Trainer` of ``cfg``: its domain's source (this rank's shard
    under torchrun) and the registered networks, initialised from ``cfg.seed`` (the same weights on
    every rank), or from ``train.init_from``'s run unless ``resuming`` (its checkpoint has them)."""
    domain = domain_for(cfg.data.name)
    for note in domain.resolve(cfg):                 # sizes given as 0 (tables), set in cfg before anything is built
        if run_dir is not None:
            print(f"wgangp: note: {note}", file=sys.stderr)
    torch.manual_seed(cfg.seed)
    source = domain.build_source(cfg.data, rank_seeds(cfg.seed, dist.rank if dist is not None else 0)[0],
                                 cfg.model.conditional)
    if dist is not None and hasattr(source, "shard"):
        source.shard(dist.rank, dist.world)
    n_classes = _classes(cfg, source)
    state = domain.state(source)
    G, D = build_networks(cfg.model, source.shape, n_classes, **domain.network_options(state))
    if cfg.train.init_from and not resuming:
        note = load_initial_weights(G, D, cfg.train.init_from, domain, state, n_classes > 0)
        if run_dir is not None:
            print(f"wgangp: note: {note}", file=sys.stderr)
    extra = {"domain": domain.name, **({domain.state_key: state} if state is not None else {})}
    tr = Trainer(cfg, source, G, D, n_classes, run_dir, dist, extra_state=extra, graph_capture=graph_capture)
    if tr.frozen and run_dir is not None:
        print(f"wgangp: note: train.freeze_critic: the critic's first {len(tr.frozen)} layer"
              f"{'s' if len(tr.frozen) > 1 else ''} keep their weights ({', '.join(tr.frozen)})", file=sys.stderr)
    return tr


def run_of(tr: Trainer, run_dir: Path | None, completed: bool) -> Run:
    """The :class:`Run` a trainer holds (its EMA generator when EMA is on)."""
    domain = domain_for(tr.cfg.data.name)
    return Run(tr.cfg, run_dir, tr.step, tr.sample_generator(), tr.D, tuple(tr.source.shape), completed, tr.n_classes,
               tr.extra_state.get(domain.state_key), tr.source if tr.dist is None else None)


# config keys that decide what a checkpoint holds: config.json must agree with the checkpoint on them
_FIXED_SECTIONS = ("data.", "model.", "loss.")


def check_config(cfg: Config, state: dict, run_dir: Path) -> None:
    """config.json and the checkpoint's own config agree on the data, the model and the loss (an
    edited config.json must not silently decode samples with another data set's settings)."""
    saved = state.get("config")
    if not isinstance(saved, dict):
        return
    from wgangp.config import _flatten

    def plain(v):
        return list(v) if isinstance(v, tuple) else v

    mine = {k: plain(v) for k, v in cfg.flat().items()}
    theirs = {k: plain(v) for k, v in _flatten(saved)}
    diff = sorted(k for k in mine if k.startswith(_FIXED_SECTIONS) and k in theirs and theirs[k] != mine[k])
    if diff:
        shown = ", ".join(f"{k}: {theirs[k]!r} in the checkpoint, {mine[k]!r} in config.json" for k in diff[:3])
        raise UserError(f"'{run_dir / 'config.json'}' was edited: {shown}; restore it (the checkpoint's config is "
                        "what the run was trained with)")


def load_run(run_dir: str | Path, device: str = "cpu", checkpoint: str = "latest", truncation: float | None = None) -> Run:
    """Load a run directory's checkpoint (EMA generator when the run used EMA): ``latest``
    (checkpoint.pt), ``best`` (best.pt, ``train.best_metric``) or a step kept by ``train.keep_last``;
    ``truncation``: sample with the truncation trick at this bound (:meth:`Run.noise`)."""
    run_dir = Path(run_dir)
    cfg = read_run_config(run_dir)
    state = load_checkpoint(checkpoint_path(run_dir, str(checkpoint)), map_location="cpu")
    check_config(cfg, state, run_dir)
    domain = domain_for(cfg.data.name)
    domain.check_checkpoint(state, f"the checkpoint in '{run_dir}' (restore the run's own checkpoint.pt)")
    try:
        data_shape = tuple(int(s) for s in state["data_shape"])
        n_classes, step = int(state.get("n_classes", 0)), int(state["step"])
        domain_state = state.get(domain.state_key)
        g, d = build_networks(cfg.model, data_shape, n_classes, **domain.network_options(domain_state))
        g.load_state_dict(state["ema"] if state.get("ema") is not None else state["generator"])
        d.load_state_dict(state["critic"])
    except (RuntimeError, KeyError, TypeError, ValueError) as e:
        raise UserError(f"checkpoint in '{run_dir}' does not match its config.json "
                        f"({type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''})") from None
    dev = resolve_device(device)
    return Run(cfg, run_dir, step, g.to(dev).eval(), d.to(dev).eval(), data_shape, step >= cfg.train.iterations,
               n_classes, domain_state).truncated(truncation)
