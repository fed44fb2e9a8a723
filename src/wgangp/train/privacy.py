"""Differential privacy: the critic trained with DP-SGD (Abadi et al. 2016), the generator only
through the private critic.

``train.dp_epsilon = eps`` (with ``train.dp_delta``, default ``1/n^2``): every critic step draws a
Poisson sample of the training records (each record with probability ``q = batch / n``), takes the
per-sample gradients of the whole critic loss -- the gradient penalty included, since it is a
per-sample term that reads the real record (:func:`wgangp.objectives.per_sample_critic_grads`) --
clips each to norm ``C`` (``train.dp_max_grad_norm``), sums them, adds Gaussian noise of standard
deviation ``sigma * C`` and divides by the expected batch size. ``sigma`` is the smallest noise
multiplier for which Opacus' RDP accountant puts ``(eps, delta)`` over all ``iterations x n_critic``
steps. The generator step never reads a record, so the released generator is ``(eps, delta)``-DP by
post-processing.

Every critic step taken is counted in ``dp_ledger.json`` in the run directory before it runs, so
steps re-done after a hard kill (resumed from an older checkpoint) are counted too: the reported
epsilon spent is never below what the records gave away (it can then exceed the target).

Not covered by the guarantee (docs/tables.md, "Differential privacy"): the table's encoding --
column quantiles, category lists, label proportions -- is computed from the records without noise
and ships in the checkpoint; and the training log (``metrics.jsonl``) reads real batches.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import torch

from wgangp import objectives
from wgangp.errors import UserError

MAX_NOISE = 100.0           # a noise multiplier above this trains nothing useful: refused before training


def _opacus():
    try:
        from opacus.accountants import RDPAccountant
        from opacus.accountants.utils import get_noise_multiplier
    except ImportError as e:
        raise UserError(f"train.dp_epsilon needs Opacus' privacy accountant ({e}); pip install 'wgangp[dp]' "
                        "(or pip install opacus)") from None
    return RDPAccountant, get_noise_multiplier


@dataclass
class PrivacyPlan:
    """What one private run spends: ``steps`` critic steps at sampling rate ``q`` with noise ``sigma``."""
    epsilon: float
    delta: float
    sample_rate: float
    steps: int
    noise_multiplier: float
    max_grad_norm: float

    def spent(self, steps: int | None = None) -> float:
        """The epsilon of the first ``steps`` critic steps (all of them by default), by Opacus' RDP accountant."""
        return epsilon_spent(self.noise_multiplier, self.sample_rate, self.steps if steps is None else steps, self.delta)


def epsilon_spent(noise_multiplier: float, sample_rate: float, steps: int, delta: float) -> float:
    if steps <= 0:
        return 0.0
    RDPAccountant, _ = _opacus()
    acc = RDPAccountant()
    acc.history = [(float(noise_multiplier), float(sample_rate), int(steps))]
    return float(acc.get_epsilon(delta=delta))


def read_ledger(path: Path) -> int:
    """Critic steps a run directory's ledger has counted (0 without one)."""
    try:
        return int(json.loads(Path(path).read_text())["critic_steps"])
    except FileNotFoundError:
        return 0
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise UserError(f"the privacy ledger '{path}' is unreadable ({e}); the privacy spent so far is unknown, "
                        "so the run cannot go on: start a new run") from None


LEDGER = "dp_ledger.json"


def plan(train_cfg, batch_size: int, n_records: int) -> PrivacyPlan:
    """The noise a run needs for its ``(eps, delta)``; a target it cannot meet is refused now."""
    _, get_noise_multiplier = _opacus()
    q = min(1.0, batch_size / n_records)
    steps = train_cfg.iterations * train_cfg.n_critic
    delta = train_cfg.dp_delta or 1.0 / n_records ** 2
    if not 0.0 < delta < 1.0 / n_records:
        raise UserError(f"train.dp_delta={delta:g} must be in (0, 1/n) = (0, {1 / n_records:.3g}) for {n_records} "
                        "records (a larger delta allows releasing a record outright)")
    try:
        sigma = float(get_noise_multiplier(target_epsilon=train_cfg.dp_epsilon, target_delta=delta, sample_rate=q,
                                           steps=steps, accountant="rdp", epsilon_tolerance=0.01))
    except ValueError as e:
        sigma, why = float("inf"), str(e)
    else:
        why = ""
    if not sigma <= MAX_NOISE:
        raise UserError(f"train.dp_epsilon={train_cfg.dp_epsilon:g} is too small for {steps} critic steps at sampling "
                        f"rate {q:.3g} (batch {batch_size} of {n_records} records): it needs noise multiplier "
                        f"{sigma:.3g} > {MAX_NOISE:g}{f' ({why})' if why else ''}; raise the epsilon, or lower "
                        "train.iterations, train.n_critic or data.batch_size")
    return PrivacyPlan(train_cfg.dp_epsilon, delta, q, steps, sigma, train_cfg.dp_max_grad_norm)


class PrivateCritic:
    """The DP-SGD critic step of a :class:`wgangp.train.step.TrainingStep` (see the module docstring).

    ``last_norms``: the per-sample gradient norms of the last step after clipping (all ``<= C``)."""

    def __init__(self, step, privacy: PrivacyPlan):
        if step.dist is not None:
            raise UserError("train.dp_epsilon is for one process: under torchrun every rank would draw its own "
                            "Poisson sample and noise, which the accountant does not cover")
        self.step, self.plan = step, privacy
        self.expected_batch = privacy.sample_rate * step.source.n_stored
        self.last_norms = torch.zeros(0)
        self.taken = 0                        # critic steps taken in this run directory, re-done ones included
        self.ledger: Path | None = None

    def attach(self, ledger: Path) -> None:
        """Count steps in ``ledger`` (``dp_ledger.json``), continuing the count it holds."""
        self.ledger = ledger
        self.taken = read_ledger(ledger)

    def begin_iteration(self) -> None:
        """Count the iteration's critic steps before they run (a crash inside it has spent them)."""
        self.taken += self.step.cfg.train.n_critic
        if self.ledger is not None:
            tmp = self.ledger.with_name(f".{self.ledger.name}.tmp")
            tmp.write_text(json.dumps({"critic_steps": self.taken}))
            os.replace(tmp, self.ledger)

    def critic_step(self) -> None:
        st, cfg = self.step, self.step.cfg
        real, labels = st.source.poisson_batch(self.plan.sample_rate)
        if not st.n_classes:
            labels = None
        real = real.to(st.device)
        labels = labels.to(st.device) if labels is not None else None
        b = len(real)
        grads = {}
        if b:
            with torch.no_grad():
                z = torch.randn(b, cfg.model.noise_dim, device=st.device, generator=st.gen)
                fake = st.generate(st.G_fwd, z, labels)
            alpha = torch.rand(b, *([1] * (real.dim() - 1)), device=st.device, generator=st.gen)
            grads, stats = objectives.per_sample_critic_grads(st.D, real, fake, alpha, cfg.loss.name,
                                                              cfg.loss.gp_weight, labels=labels,
                                                              ac_weight=cfg.loss.ac_weight, projection=st.projection)
            st._stats[:3] += stats.mean(0)          # the training log's w, penalty, d_loss (not released)
        self._noisy_step(grads, b)

    def _noisy_step(self, grads: dict, b: int) -> None:
        st, clip = self.step, self.plan.max_grad_norm
        if b:
            norms = torch.sqrt(sum(g.flatten(1).square().sum(1) for g in grads.values()))
            factor = (clip / (norms + 1e-6)).clamp(max=1.0)
            self.last_norms = (norms * factor).detach()        # on the device: no host sync per step
        st.opt_d.zero_grad(set_to_none=True)
        for name, p in st.D.named_parameters():
            if not p.requires_grad:                         # a frozen layer (train.freeze_critic): no noise either
                continue
            total = (torch.einsum("n,n...->...", factor, grads[name]) if b else torch.zeros_like(p))
            noise = torch.randn(p.shape, device=p.device, generator=st.gen) * (self.plan.noise_multiplier * clip)
            p.grad = (total + noise) / self.expected_batch
        st.opt_d.step()
