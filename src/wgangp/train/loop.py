"""The training loop around the WGAN-GP iteration (:mod:`wgangp.train.step`): the cadence of
logging, evaluation, sample grids, diagnostics and checkpoints, stop signals, and the state that
makes a resumed run continue bit for bit.

The trainer is handed its data source and networks (:func:`wgangp.run.build_trainer` builds them
from a config); it never asks which kind of data it holds. ``extra_state`` is written into every
checkpoint untouched (the data kind's own entry: what decoding samples needs).
"""
from __future__ import annotations

import math
import signal
import time
from pathlib import Path
from typing import Callable

import torch

from wgangp.config import Config
from wgangp.errors import Diverged
from wgangp.train import distributed
from wgangp.train.checkpoint import NAME as CKPT_NAME
from wgangp.train.checkpoint import save_checkpoint
from wgangp.train.optim import load_state, portable_state
from wgangp.train.step import TrainingStep, rank_seeds, resolve_device  # noqa: F401  (resolve_device: public here too)
from wgangp.version import __version__

DIAG_SEED = 24_680      # the fixed noise of the diagnostics' generated batch


class Trainer(TrainingStep):
    """One run's training: :class:`TrainingStep` plus ``fit()``, checkpoints and their state.

    Only a trainer with a ``run_dir`` (rank 0) writes checkpoints.
    """

    def __init__(self, cfg: Config, source, G: torch.nn.Module, D: torch.nn.Module, n_classes: int = 0,
                 run_dir: Path | None = None, dist=None, *, extra_state: dict | None = None, graph_capture: bool = True):
        super().__init__(cfg, source, G, D, n_classes, dist, graph_capture=graph_capture)
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.extra_state = dict(extra_state or {})
        self.train_seconds = 0.0
        self.saved_step: int | None = None          # the iteration the checkpoint on disk holds
        self._stop_signal: int | None = None

    def diagnose(self) -> dict[str, float]:
        """Critic diagnostics (:func:`wgangp.diagnostics.critic_report`, in fp32) on the next real
        batch and generated samples from fixed noise, leaving training untouched: the data stream,
        the noise generator and the generator's normalisation statistics are as they were."""
        from wgangp import diagnostics

        data_state = self.source.state_dict()
        real, labels = self.draw()
        self.source.load_state_dict(data_state)
        real = real.to(self.device, memory_format=self.memory_format)
        labels = labels.to(self.device) if labels is not None else None
        z = torch.randn(real.shape[0], self.cfg.model.noise_dim, device=self.device,
                        generator=torch.Generator(self.device).manual_seed(DIAG_SEED))
        saved = [b.clone() for b in self.G.buffers()]       # BatchNorm running statistics
        with torch.no_grad():
            fake = self.generate(self.G, z, labels)
            for b, old in zip(self.G.buffers(), saved):
                b.copy_(old)
        clip = self.cfg.loss.clip_value if self.cfg.loss.name == "wgan-clip" else None
        return diagnostics.critic_report(self.D, real, fake, self.cfg.loss.name, clip_value=clip, labels=labels,
                                         projection=self.projection)

    # ----- state --------------------------------------------------------------------------
    def state_dict(self, rank_rngs: list[dict] | None = None) -> dict:
        """Everything needed to continue bit for bit: weights, optimisers, EMA, step, RNG states
        (``rank_rngs``: every rank's RNG states in a DDP run, gathered by :meth:`save`)."""
        rng = self.rng_state()
        extra = {"rng_ranks": rank_rngs} if rank_rngs is not None else {}
        return {**extra,
            "version": __version__, "step": self.step, "data_shape": list(self.source.shape), "train_seconds": self.train_seconds,
            "n_classes": self.n_classes, **self.extra_state,
            "config": self.cfg.to_dict(), "generator": self.G.state_dict(), "critic": self.D.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "opt_g": portable_state(self.opt_g.state_dict()), "opt_d": portable_state(self.opt_d.state_dict()), "rng": rng,
            "scalers": [s.state_dict() for s in (self.scaler_d, self.scaler_g)] if self.scaler_d is not None else None,
        }

    def rng_state(self) -> dict:
        rng = {"torch": torch.get_rng_state(), "gen": self.gen.get_state(), "data": self.source.state_dict()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        return rng

    def load_state_dict(self, state: dict) -> None:
        self.G.load_state_dict(state["generator"])
        self.D.load_state_dict(state["critic"])
        if self.ema is not None:     # EMA switched on at a resume: the average starts at the loaded weights
            self.ema.load_state_dict(state["ema"] if state.get("ema") is not None else state["generator"])
        load_state(self.opt_g, state["opt_g"], self.device)
        load_state(self.opt_d, state["opt_d"], self.device)
        if self.scaler_d is not None and state.get("scalers"):
            self.scaler_d.load_state_dict(state["scalers"][0])
            self.scaler_g.load_state_dict(state["scalers"][1])
        self.step = int(state["step"])
        self.saved_step = self.step
        self.train_seconds = float(state["train_seconds"])
        rng = state["rng"]
        if self.dist is not None:
            ranks = state.get("rng_ranks")
            if ranks is not None and len(ranks) == self.dist.world:
                rng = ranks[self.dist.rank]
            elif self.dist.rank > 0:     # another world size: fresh per-rank streams (not bitwise)
                data_seed, noise_seed = rank_seeds(self.cfg.seed + self.step, self.dist.rank)
                self.gen.manual_seed(noise_seed)
                self.source.gen.manual_seed(data_seed)
                return
        torch.set_rng_state(rng["torch"])
        self.gen.set_state(rng["gen"])
        self.source.load_state_dict(rng["data"])
        if "cuda" in rng and torch.cuda.is_available():
            torch.cuda.set_rng_state_all(rng["cuda"])

    def save(self) -> None:
        """Write the checkpoint (rank 0). Distributed: a collective -- every rank checks that the
        ranks' parameters agree and hands its RNG state to rank 0 -- so every rank calls it."""
        rank_rngs = None
        if self.dist is not None:
            import torch.distributed as tdist

            if not distributed.parameters_agree(self.G, self.D):
                raise RuntimeError(f"DDP ranks hold different parameters at iteration {self.step}; not saving")
            rank_rngs = [None] * self.dist.world
            tdist.all_gather_object(rank_rngs, self.rng_state())
        if self.run_dir is not None:
            save_checkpoint(self.state_dict(rank_rngs), self.run_dir / CKPT_NAME)
        self.saved_step = self.step

    def check_finite(self, stats: dict | None = None) -> None:
        """Raise :class:`Diverged` if a logged statistic, or (``stats=None``) a weight of the networks
        or the EMA, is not finite: one reduction on the device and one host sync, at the logging
        and checkpoint cadence only."""
        if stats is not None:
            bad = {k: v for k, v in stats.items() if not math.isfinite(v)}
        else:
            tensors = [p for m in (self.G, self.D, self.ema.model if self.ema else None) if m is not None
                       for p in m.parameters()]
            finite = torch.stack([torch.isfinite(p).all() for p in tensors]).all()
            bad = {} if bool(finite) else {"a network weight": float("nan")}
        if bad:
            what = ", ".join(f"{k} = {v}" for k, v in bad.items())
            kept = (f"{CKPT_NAME} still holds iteration {self.saved_step} (finite)" if self.saved_step is not None
                    else f"no {CKPT_NAME} was written")
            raise Diverged(f"training diverged by iteration {self.step}: {what}; {kept}. Start a new run with a "
                           f"lower optim.lr (this one: {self.cfg.optim.lr:g}) or other loss settings")

    # ----- the loop -----------------------------------------------------------------------
    def fit(self, logger=None, on_eval: Callable[["Trainer"], dict] | None = None,
            stop_after: int | None = None, on_sample: Callable[["Trainer"], None] | None = None,
            on_diag: Callable[["Trainer"], None] | None = None) -> bool:
        """Train to ``train.iterations``. Returns False if stopped early by SIGINT/SIGTERM or
        ``stop_after`` (the state at the last finished iteration is checkpointed first).
        ``on_eval`` / ``on_sample`` / ``on_diag`` run every ``train.eval_every`` / ``sample_every`` /
        ``diag_every`` iterations."""
        t = self.cfg.train
        handlers = self._install_signal_handlers()
        try:
            while self.step < t.iterations:
                t0 = time.perf_counter()
                self.iteration()
                due = self.step % t.log_every == 0 or self.step == t.iterations
                stats = self.drain_stats() if due else None   # the one host sync: timed with the work it waits for
                self.train_seconds += time.perf_counter() - t0
                if logger is not None:
                    logger.advance()
                    if stats is not None:
                        logger.log({"kind": "train", "step": self.step, **stats,
                                    "lr": float(self.opt_d.param_groups[0]["lr"]),
                                    "train_seconds": round(self.train_seconds, 3)})
                if stats is not None:
                    self.check_finite(stats)
                if on_eval is not None and t.eval_every and self.step % t.eval_every == 0 and self.step < t.iterations:
                    on_eval(self)
                if on_sample is not None and t.sample_every and self.step % t.sample_every == 0:
                    on_sample(self)
                if on_diag is not None and t.diag_every and self.step % t.diag_every == 0:
                    on_diag(self)
                stopping = self._stop_signal is not None or (stop_after is not None and self.step >= stop_after)
                if self.dist is not None:                 # one rank signalled: all stop at this iteration
                    stopping = distributed.any_true(stopping, self.device)
                if (self.run_dir is not None or self.dist is not None) and (
                        self.step % t.ckpt_every == 0 or self.step == t.iterations or stopping):
                    self.check_finite()                  # never a non-finite checkpoint
                    self.save()
                if stopping:
                    return False
            return True
        finally:
            for sig, old in handlers.items():
                signal.signal(sig, old)

    def _install_signal_handlers(self) -> dict:
        import threading

        if threading.current_thread() is not threading.main_thread():
            return {}

        def handler(signum, frame):
            self._stop_signal = signum

        return {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
