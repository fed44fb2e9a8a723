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
from wgangp.errors import Diverged, UserError
from wgangp.train import distributed
from wgangp.train.checkpoint import NAME as CKPT_NAME
from wgangp.train.checkpoint import keep_history, load_checkpoint, save_best, save_checkpoint
from wgangp.train.optim import load_state, portable_state, set_lr
from wgangp.train.step import TrainingStep, rank_seeds, resolve_device  # noqa: F401  (resolve_device: public here too)
from wgangp.version import __version__

DIAG_SEED = 24_680      # the fixed noise of the diagnostics' generated batch
ROLLBACK_SEED = 104_729  # a rollback's fresh streams: seeds offset by this times the rollback count
STOP_CHECK_EVERY = 10    # DDP: the ranks compare stop flags at least this often (torchrun's SIGTERM grace is ~30 s)


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
        self.train_cpu_seconds = 0.0                 # CPU time of this process in the iterations (all its threads)
        self.saved_step: int | None = None          # the iteration the checkpoint on disk holds
        self.ckpt_path = self.run_dir / CKPT_NAME if self.run_dir is not None else None  # read by rollbacks (every rank)
        self.rollbacks = 0                           # train.on_nonfinite=rollback: how many so far
        self.best: dict | None = None               # train.best_metric: {"key", "value", "step"} of best.pt
        self.best_direction = "min"                  # which way train.best_metric improves (set from the registry)
        self.resume_note = ""                        # what a resume could not restore bit for bit
        self.controls: list[dict] = []               # changes made while training (train/controls.py), replayed on resume
        self._stop_signal: int | None = None
        if self.private is not None and self.run_dir is not None:
            from wgangp.train.privacy import LEDGER

            self.private.attach(self.run_dir / LEDGER)

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
            "train_cpu_seconds": self.train_cpu_seconds,
            "n_classes": self.n_classes, **self.extra_state, "world": self.dist.world if self.dist is not None else 1,
            "rollbacks": self.rollbacks, "lr_scale": self.lr_scale, "best": self.best, "controls": self.controls,
            "config": self._configured(), "generator": self.G.state_dict(), "critic": self.D.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "opt_g": portable_state(self.opt_g.state_dict()), "opt_d": portable_state(self.opt_d.state_dict()), "rng": rng,
            "scalers": [s.state_dict() for s in (self.scaler_d, self.scaler_g)] if self.scaler_d is not None else None,
        }

    def _configured(self) -> dict:
        """The config as configured (``config.json``): changes from the live view are events on top."""
        if not self.controls:
            return self.cfg.to_dict()
        from wgangp.train.controls import configured

        return configured(self.cfg.to_dict(), self.controls)

    def rng_state(self) -> dict:
        rng = {"torch": torch.get_rng_state(), "gen": self.gen.get_state(), "data": self.source.state_dict()}
        if torch.cuda.is_available():
            rng["cuda"] = torch.cuda.get_rng_state_all()
        return rng

    def load_state_dict(self, state: dict) -> None:
        """Continue from ``state``: bit for bit on the same number of processes and device type.
        Another world size (DDP 2 -> 1, 1 -> 2) or a noise generator of another device (CPU <-> CUDA)
        continues with fresh streams seeded from the step instead (said in :attr:`resume_note`)."""
        self.G.load_state_dict(state["generator"])
        self.D.load_state_dict(state["critic"])
        if self.ema is not None:     # EMA switched on at a resume: the average starts at the loaded weights
            self.ema.load_state_dict(state["ema"] if state.get("ema") is not None else state["generator"])
        load_state(self.opt_g, state["opt_g"], self.device)
        load_state(self.opt_d, state["opt_d"], self.device)
        if self.scaler_d is not None and state.get("scalers"):
            self.scaler_d.load_state_dict(state["scalers"][0])
            self.scaler_g.load_state_dict(state["scalers"][1])
        self._prime_scalers()
        self.step = int(state["step"])
        self.saved_step = self.step
        self.train_seconds = float(state["train_seconds"])
        self.train_cpu_seconds = float(state.get("train_cpu_seconds", 0.0))   # not kept by wgangp <= 0.1
        self.rollbacks, self.lr_scale = int(state.get("rollbacks", 0)), float(state.get("lr_scale", 1.0))
        self.best = state.get("best")
        self.controls = list(state.get("controls") or [])      # not kept by wgangp <= 0.1
        if self.controls:
            from wgangp.train.controls import reapply

            reapply(self, self.controls)
        self._load_rng(state)

    def _load_rng(self, state: dict) -> None:
        rng, ranks = state["rng"], state.get("rng_ranks")
        world, rank = (self.dist.world, self.dist.rank) if self.dist is not None else (1, 0)
        saved_world = int(state.get("world", len(ranks) if ranks else 1))
        if saved_world != world:
            self.reseed(self.cfg.seed + self.step)
            self.resume_note = (f"resumed on {world} process(es), saved on {saved_world}: each rank's data order and "
                                "noise start fresh streams (the run goes on, not bit for bit)")
            return
        if ranks is not None:
            rng = ranks[rank]
        torch.set_rng_state(rng["torch"])
        self.source.load_state_dict(rng["data"])
        if rng["gen"].numel() == self.gen.get_state().numel():
            self.gen.set_state(rng["gen"])
        else:                               # a CPU generator's state into a CUDA one, or back
            self.gen.manual_seed(rank_seeds(self.cfg.seed + self.step, rank)[1])
            self.resume_note = (f"resumed on {self.device.type}, saved on another device type: the noise starts a "
                                "fresh stream (the run goes on, not bit for bit)")
        if "cuda" in rng and torch.cuda.is_available() and len(rng["cuda"]) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(rng["cuda"])

    def reseed(self, seed: int) -> None:
        """Fresh data-order and noise streams of this rank from ``seed``."""
        data_seed, noise_seed = rank_seeds(seed, self.dist.rank if self.dist is not None else 0)
        self.gen.manual_seed(noise_seed)
        self.source.reseed(data_seed)

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
            keep_history(self.run_dir, self.step, self.cfg.train.keep_last)
        self.saved_step = self.step

    def consider_best(self, result: dict) -> bool:
        """``train.best_metric``: write ``best.pt`` (and ``best.json``) when ``result`` beats the best
        evaluation so far (rank 0; the direction comes from the metric registry). True if written."""
        key = self.cfg.train.best_metric
        if not key or self.run_dir is None:
            return False
        value = result.get(key)
        if not isinstance(value, (int, float)) or not math.isfinite(value):
            return False
        if self.best is not None:
            old = float(self.best["value"])
            if (value >= old) if self.best_direction == "min" else (value <= old):
                return False
        self.best = {"key": key, "value": float(value), "step": self.step, "direction": self.best_direction}
        save_best(self.state_dict(), self.run_dir, self.best)
        return True

    def check_finite(self, stats: dict | None = None) -> None:
        """Raise :class:`Diverged` if a logged statistic, or (``stats=None``) a weight of the networks
        or the EMA, is not finite: one reduction on the device and one host sync, at the logging
        and checkpoint cadence only."""
        if stats is not None:
            bad = {k: v for k, v in stats.items() if not math.isfinite(v)}
        else:
            named = [(f"{tag}.{n}", p) for tag, m in (("generator", self.G), ("critic", self.D),
                                                      ("ema", self.ema.model if self.ema else None))
                     if m is not None for n, p in m.named_parameters()]
            finite = torch.stack([torch.isfinite(p).all() for _, p in named]).all()
            bad = {} if bool(finite) else {next(f"weight {n}" for n, p in named if not torch.isfinite(p).all()):
                                           float("nan")}
        if bad:
            what = ", ".join(f"{k} = {v}" for k, v in bad.items())
            kept = (f"{CKPT_NAME} still holds iteration {self.saved_step} (finite)" if self.saved_step is not None
                    else f"no {CKPT_NAME} was written")
            tried = f" after {self.rollbacks} rollback(s)" if self.rollbacks else ""
            raise Diverged(f"training diverged by iteration {self.step}{tried}: {what}; {kept}. Resume it with "
                           f"--set train.on_nonfinite=rollback --set train.rollback_lr_scale=0.5, or start a new run "
                           f"with a lower optim.lr (this one: {self.cfg.optim.lr * self.lr_scale:g})")

    def rollback(self, why: Diverged, logger=None) -> bool:
        """``train.on_nonfinite=rollback``: reload the last (finite) checkpoint, scale the learning
        rates by ``train.rollback_lr_scale`` and go on with fresh noise and data order (a replay of the
        same streams would diverge again). False when not asked for, impossible or used up."""
        t = self.cfg.train
        if t.on_nonfinite != "rollback" or self.saved_step is None or self.ckpt_path is None \
                or self.rollbacks >= t.max_rollbacks:
            return False
        diverged_at, count, best = self.step, self.rollbacks + 1, self.best
        seconds = (self.train_seconds, self.train_cpu_seconds)
        self.load_state_dict(load_checkpoint(self.ckpt_path, map_location=self.device))
        self.rollbacks, self.best = count, best                  # best.pt may be newer than the checkpoint
        self.train_seconds, self.train_cpu_seconds = seconds
        self.lr_scale *= t.rollback_lr_scale
        for opt in (self.opt_g, self.opt_d):
            set_lr(opt, float(opt.param_groups[0]["lr"]) * t.rollback_lr_scale)
        self.reseed(self.cfg.seed + ROLLBACK_SEED * count + self.step)
        self._stats.zero_()
        self._stats_n = 0
        self.recapture()
        if logger is not None:
            logger.rewind(self.step, {"kind": "event", "event": "rollback", "step": self.step, "from_step": diverged_at,
                                      "rollback": count, "lr_scale": self.lr_scale, "reason": str(why).split(";")[0]})
        return True

    def _guard(self, stats: dict | None, logger) -> bool:
        """:meth:`check_finite`; on divergence roll back (True) or raise."""
        try:
            self.check_finite(stats)
        except Diverged as e:
            if self.rollback(e, logger):
                return True
            raise
        return False

    # ----- the loop -----------------------------------------------------------------------
    def fit(self, logger=None, on_eval: Callable[["Trainer"], dict] | None = None,
            stop_after: int | None = None, on_sample: Callable[["Trainer"], None] | None = None,
            on_diag: Callable[["Trainer"], None] | None = None,
            on_step: Callable[["Trainer"], None] | None = None) -> bool:
        """Train to ``train.iterations``. Returns False if stopped early by SIGINT/SIGTERM or
        ``stop_after`` (the state at the last finished iteration is checkpointed first).
        ``on_eval`` / ``on_sample`` / ``on_diag`` run every ``train.eval_every`` / ``sample_every`` /
        ``diag_every`` iterations; ``on_step`` before every iteration (the live view: it must be cheap,
        and may wait there while the run is paused).

        Under DDP the ranks agree on stopping (a signal seen by one, an error in rank 0's callbacks)
        with one small all-reduce at the iterations that log, evaluate or checkpoint and every
        ``STOP_CHECK_EVERY`` iterations, not every step."""
        t = self.cfg.train
        handlers = self._install_signal_handlers()
        try:
            while self.step < t.iterations:
                if on_step is not None:
                    on_step(self)
                    if self._stop_signal is not None:     # stopped from the live view while paused
                        if self.run_dir is not None and self.saved_step != self.step and not self._guard(None, logger):
                            self.save()
                        return False
                t0, c0 = time.perf_counter(), time.process_time()
                self.iteration()
                due = self.step % t.log_every == 0 or self.step == t.iterations
                stats = self.drain_stats() if due else None   # the one host sync: timed with the work it waits for
                self.train_seconds += time.perf_counter() - t0
                self.train_cpu_seconds += time.process_time() - c0
                self._log(logger, stats)
                if stats is not None and self._guard(stats, logger):
                    continue
                failed = self._callbacks(on_eval, on_sample, on_diag)
                stopping = self._stop_signal is not None or (stop_after is not None and self.step >= stop_after)
                if self.dist is not None:                 # a signal waits for the next iteration the ranks compare at
                    stopping = self._agree(stopping, failed) if due or self._sync_due(stop_after) else False
                if (self.run_dir is not None or self.dist is not None) and (
                        self.step % t.ckpt_every == 0 or self.step == t.iterations or stopping):
                    if self._guard(None, logger):         # never a non-finite checkpoint
                        continue
                    self.save()
                if stopping:
                    return False
            return True
        finally:
            for sig, old in handlers.items():
                signal.signal(sig, old)

    def _log(self, logger, stats: dict | None) -> None:
        if logger is None:
            return
        logger.advance()
        if stats is not None:
            logger.log({"kind": "train", "step": self.step, **stats, "lr": float(self.opt_d.param_groups[0]["lr"]),
                        "train_seconds": round(self.train_seconds, 3)})

    def _callbacks(self, on_eval, on_sample, on_diag) -> Exception | None:
        """Run the callbacks due at this step. Under DDP an exception is returned (every rank is told
        at :meth:`_agree`, then it is raised) rather than leaving the other ranks waiting."""
        t = self.cfg.train
        try:
            if on_eval is not None and t.eval_every and self.step % t.eval_every == 0 and self.step < t.iterations:
                on_eval(self)
            if on_sample is not None and t.sample_every and self.step % t.sample_every == 0:
                on_sample(self)
            if on_diag is not None and t.diag_every and self.step % t.diag_every == 0:
                on_diag(self)
        except Exception as e:
            if self.dist is None:
                raise
            return e
        return None

    def _sync_due(self, stop_after: int | None) -> bool:
        """The iterations at which DDP ranks compare notes (the same on every rank)."""
        t, s = self.cfg.train, self.step
        return (s % t.ckpt_every == 0 or s % STOP_CHECK_EVERY == 0 or s == t.iterations
                or (stop_after is not None and s >= stop_after)
                or any(every and s % every == 0 for every in (t.eval_every, t.sample_every, t.diag_every)))

    def _agree(self, stopping: bool, failed: Exception | None) -> bool:
        """One all-reduce: whether any rank stops, and whether any rank failed (then every rank raises)."""
        stop, fail = distributed.any_of((stopping, failed is not None), self.device)
        if failed is not None:
            raise failed
        if fail:
            raise UserError(f"another rank failed at iteration {self.step} (its message is above); every rank stops")
        return stop

    def request_stop(self) -> None:
        """Stop after this iteration, checkpointed, as a SIGTERM would (the live view's stop)."""
        self._stop_signal = signal.SIGTERM

    def _install_signal_handlers(self) -> dict:
        import threading

        if threading.current_thread() is not threading.main_thread():
            return {}

        def handler(signum, frame):
            self._stop_signal = signum

        return {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
