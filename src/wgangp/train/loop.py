"""The WGAN-GP training step and loop (Gulrajani et al. 2017, Algorithm 1).

One generator iteration = ``n_critic`` critic steps on fresh real batches, then one generator
step. The hot path holds no ``.item()`` or host sync: per-step statistics are summed on the device
and read once every ``train.log_every`` iterations. Loss maths lives in :mod:`wgangp.objectives`.
"""
from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Callable

import torch

from wgangp import objectives
from wgangp.config import Config
from wgangp.data import build_source
from wgangp.errors import UserError
from wgangp.nets import build_networks
from wgangp.train.checkpoint import NAME as CKPT_NAME
from wgangp.train.checkpoint import save_checkpoint
from wgangp.train.ema import EMA
from wgangp.train.graphs import CapturedIteration


DIAG_SEED = 24_680      # the fixed noise of the diagnostics' generated batch


def resolve_device(name: str) -> torch.device:
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"device={name} asked for, but no CUDA device is available; use --set device=cpu")
    return torch.device(name)


def _optimizer(cfg: Config, params, lr: float, device: torch.device, static: bool) -> torch.optim.Optimizer:
    """Fused Adam (foreach RMSprop). ``static`` (train.cuda_graphs): graph-safe (``capturable``) with
    the learning rate as a device tensor that the schedule writes into; RMSprop is capturable on
    CUDA only, so on other devices it keeps a float learning rate."""
    if cfg.optim.name == "rmsprop":
        graph_safe = static and device.type == "cuda"
        return torch.optim.RMSprop(params, lr=torch.tensor(lr, device=device) if graph_safe else lr, foreach=True,
                                   capturable=graph_safe)
    return torch.optim.Adam(params, lr=torch.tensor(lr, device=device) if static else lr, betas=cfg.optim.betas,
                            fused=True, capturable=static)


def _portable(opt_state: dict) -> dict:
    """An optimiser state for checkpoints, the same with or without train.cuda_graphs: float
    learning rates, not capturable (:func:`_load_optimizer` restores the running optimiser's own)."""
    for group in opt_state["param_groups"]:
        group["lr"] = float(group["lr"])
        group["capturable"] = False
    return opt_state


def _load_optimizer(opt: torch.optim.Optimizer, state: dict, device: torch.device) -> None:
    """Load ``state`` keeping ``opt``'s own graph-safety settings (capturable, a tensor learning rate)."""
    keep = [(group.get("capturable", False), isinstance(group["lr"], torch.Tensor)) for group in opt.param_groups]
    opt.load_state_dict(state)
    for group, (capturable, tensor_lr) in zip(opt.param_groups, keep):
        group["capturable"] = capturable
        if tensor_lr:
            group["lr"] = torch.tensor(float(group["lr"]), device=device)
    if any(capturable for capturable, _ in keep):   # a capturable optimiser keeps its step counts on the device
        for st in opt.state.values():
            if isinstance(st.get("step"), torch.Tensor):
                st["step"] = st["step"].to(device, torch.float32)


def rank_seeds(seed: int, rank: int) -> tuple[int, int]:
    """``(data seed, noise seed)`` of one process; rank 0 of a DDP run draws as a single process."""
    return seed + 7919 * rank, seed + 1_000_003 + 7919 * rank


class Trainer:
    """Owns the networks, optimisers, RNG and data source of one run; ``fit()`` trains it.

    ``dist``: this process's place in a torchrun job (:mod:`wgangp.train.distributed`); the
    networks are then wrapped in DistributedDataParallel for the steps, each rank draws its own
    data shard and noise, and only a trainer with a ``run_dir`` (rank 0) writes checkpoints.

    ``train.cuda_graphs``: the iteration runs on static buffers and is captured as one CUDA graph
    (:mod:`wgangp.train.graphs`); ``graph_capture=False`` runs that same static-buffer iteration
    without capturing, which works on any device (tests on the CPU).
    """

    def __init__(self, cfg: Config, run_dir: Path | None = None, dist=None, *, graph_capture: bool = True):
        from wgangp.train import distributed

        self.cfg = cfg
        self.run_dir = Path(run_dir) if run_dir is not None else None
        self.dist = dist
        self.device = distributed.device_for(dist, resolve_device(cfg.device))
        self.static = cfg.train.cuda_graphs
        if self.static and graph_capture and self.device.type != "cuda":
            raise UserError(f"train.cuda_graphs=true needs a CUDA device; this run is on {self.device}")
        if self.static and dist is not None:
            raise UserError("train.cuda_graphs=true is for one process: DDP's gradient all-reduce is not captured here; "
                            "drop it under torchrun (or use train.compile=reduce-overhead)")
        rank = dist.rank if dist is not None else 0
        data_seed, noise_seed = rank_seeds(cfg.seed, rank)
        torch.manual_seed(cfg.seed)                 # the same initial weights on every rank
        self.source = build_source(cfg.data, data_seed, cfg.model.conditional)
        if dist is not None and hasattr(self.source, "shard"):
            self.source.shard(dist.rank, dist.world)
        self.n_classes = self.source.n_classes if cfg.model.conditional else 0
        if cfg.model.conditional and self.n_classes < 2:
            raise UserError(f"model.conditional=true needs class labels in the data (data.name={cfg.data.name} has "
                            "none): an .npz with y_train, class sub-folders, torchvision sets, or Gaussian mixtures")
        labels = getattr(self.source, "labels", None)
        empty_classes = ((torch.bincount(labels, minlength=self.n_classes) == 0).nonzero().flatten().tolist()
                         if self.n_classes and labels is not None else [])
        if empty_classes:
            empty = empty_classes[0]
            raise UserError(f"class {empty} has no samples in the data (labels run 0..{self.n_classes - 1}); "
                            "a conditional model needs examples of every class")
        self.G, self.D = build_networks(cfg.model, self.source.shape, self.n_classes,
                                        getattr(self.source, "categorical_spans", ()))
        self.G.to(self.device)
        self.D.to(self.device)
        self.memory_format = torch.contiguous_format
        if self.device.type == "cuda":
            torch.backends.cuda.matmul.allow_tf32 = cfg.train.tf32
            torch.backends.cudnn.allow_tf32 = cfg.train.tf32
            torch.backends.cudnn.benchmark = True            # static shapes: let cuDNN pick its kernels once
        if cfg.train.channels_last and len(self.source.shape) == 3:
            self.memory_format = torch.channels_last
            self.G.to(memory_format=self.memory_format)
            self.D.to(memory_format=self.memory_format)
        self.projection = cfg.loss.conditioning == "projection"
        # Mixed precision: bf16 autocast, or fp16 autocast with one GradScaler per optimiser.
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(cfg.train.precision)
        fp16 = cfg.train.precision == "fp16"
        # init scale 2^10, not 2^16: the penalty's scaled input-gradient overflows fp16 at 2^16 on
        # the first steps of a toy run (skipped steps and an inf in the first logged penalty)
        self.scaler_d = torch.amp.GradScaler(self.device.type, init_scale=1024.0) if fp16 else None
        self.scaler_g = torch.amp.GradScaler(self.device.type, init_scale=1024.0) if fp16 else None
        # What the steps call: DDP wrappers when distributed (gradients averaged in backward).
        self.G_step, self.D_step = ((distributed.wrap(self.G, self.device), distributed.wrap(self.D, self.device))
                                    if dist is not None else (self.G, self.D))
        # torch.compile where no double backward runs: the generator (both steps) and the frozen
        # critic of the generator step. The critic step's penalty needs autograd.grad(create_graph=True)
        # through the critic, which compiled graphs do not support, so self.D_step stays eager.
        self.G_fwd, self.D_gen = self.G, self.D
        if cfg.train.compile != "none":
            mode = cfg.train.compile
            self.G_fwd = torch.compile(self.G, mode=mode)
            self.G_step = self.G_fwd if dist is None else torch.compile(self.G_step, mode=mode)
            self.D_gen = torch.compile(self.D, mode=mode)
        self.ema = EMA(self.G, cfg.train.ema) if cfg.train.ema > 0 else None
        lr_g = cfg.optim.lr_g or cfg.optim.lr
        self.opt_g = _optimizer(cfg, self.G.parameters(), lr_g, self.device, self.static)
        self.opt_d = _optimizer(cfg, self.D.parameters(), cfg.optim.lr, self.device, self.static)
        self.base_lrs = (lr_g, cfg.optim.lr)
        # Noise and interpolation weights are drawn on the device from a generator of our own.
        self.gen = torch.Generator(self.device).manual_seed(noise_seed)
        b, gb = cfg.data.batch_size, cfg.train.gen_batch_size or cfg.data.batch_size
        self.z_d = torch.empty(b, cfg.model.noise_dim, device=self.device)
        self.z_g = torch.empty(gb, cfg.model.noise_dim, device=self.device)
        self.alpha = torch.empty(b, *([1] * len(self.source.shape)), device=self.device)
        self.y_g = torch.empty(gb, dtype=torch.int64, device=self.device)
        self.step = 0
        self.train_seconds = 0.0
        self._stats = torch.zeros(4, device=self.device)   # sums of w, penalty, d_loss, g_loss
        self._stats_n = 0
        self._stop_signal: int | None = None
        # train.cuda_graphs: the real batches of one iteration are copied into these (made at the
        # first iteration), and the captured iteration reads them
        self.static_real: list[torch.Tensor] = []
        self.static_labels: list[torch.Tensor | None] = []
        self.captured = (CapturedIteration(self._static_iteration, capture=graph_capture, generators=(self.gen,),
                                           witness=self.z_g) if self.static else None)

    # ----- the step -----------------------------------------------------------------------
    def _autocast(self):
        # no autocast weight-cast cache under train.cuda_graphs: a graph must not keep casts made at capture
        return torch.autocast(self.device.type, dtype=self.amp_dtype or torch.bfloat16,
                              enabled=self.amp_dtype is not None, cache_enabled=not self.static)

    def _backward_step(self, loss: torch.Tensor, opt: torch.optim.Optimizer, scaler) -> None:
        opt.zero_grad(set_to_none=True)
        if scaler is None:
            loss.backward()
            opt.step()
        else:                                   # skips the step (and lowers the scale) on inf/nan
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()

    def _generate(self, module: torch.nn.Module, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return module(z) if labels is None else module(z, labels)

    def critic_step(self, real: torch.Tensor, labels: torch.Tensor | None = None) -> None:
        """One critic update; ``labels`` (conditional): the real batch's classes, also used for
        the fake batch, as the official AC-GAN."""
        cfg = self.cfg
        with self._autocast():
            with torch.no_grad():
                fake = self._generate(self.G_fwd, self.z_d.normal_(generator=self.gen), labels)
            self.alpha.uniform_(generator=self.gen)
            # fp16: the penalty's input-gradient is taken of the scaled output (the scale as a
            # device tensor, so no host sync), then unscaled before its norm
            scale = self.scaler_d._get_scale_async() if self.scaler_d is not None else None
            loss, w, penalty = objectives.critic_loss(self.D_step, real, fake, self.alpha, cfg.loss.name,
                                                      cfg.loss.gp_weight, grad_scale=scale, labels=labels,
                                                      ac_weight=cfg.loss.ac_weight,
                                                      projection=self.projection)
        self._backward_step(loss, self.opt_d, self.scaler_d)
        if cfg.loss.name == "wgan-clip":
            objectives.clip_weights_(self.D, cfg.loss.clip_value)
        self._stats[:3] += torch.stack((w, penalty, loss.detach()))

    def generator_step(self) -> None:
        self.D.requires_grad_(False)            # no critic weight-gradients in the generator step
        labels = self.y_g.random_(0, self.n_classes, generator=self.gen) if self.n_classes else None
        with self._autocast():
            fake = self._generate(self.G_step, self.z_g.normal_(generator=self.gen), labels)
            loss = objectives.generator_loss(self.D_gen, fake, self.cfg.loss.name,  # the frozen critic, unwrapped
                                             labels=labels, ac_weight=self.cfg.loss.ac_weight_g,
                                             projection=self.projection)
        self._backward_step(loss, self.opt_g, self.scaler_g)
        self.D.requires_grad_(True)
        self._stats[3] += loss.detach() * self.cfg.train.n_critic

    def _draw(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One real batch (and its labels when conditional), where the data source keeps it."""
        return self.source.sample_labelled() if self.n_classes else (self.source.sample_batch(), None)

    def _static_iteration(self) -> None:
        """The iteration a CUDA graph captures: every input in a static buffer."""
        for i in range(self.cfg.train.n_critic):
            self.critic_step(self.static_real[i], self.static_labels[i] if self.n_classes else None)
        self.generator_step()

    def iteration(self) -> None:
        """One generator iteration: lr schedule, ``n_critic`` critic steps, one generator step, EMA."""
        if self.cfg.optim.lr_decay == "linear":
            frac = max(0.0, 1.0 - self.step / self.cfg.train.iterations)
            for opt, base in zip((self.opt_g, self.opt_d), self.base_lrs):
                for group in opt.param_groups:
                    if isinstance(group["lr"], torch.Tensor):     # capturable: the graph reads it
                        group["lr"].fill_(base * frac)
                    else:
                        group["lr"] = base * frac
        if self.captured is None:
            for _ in range(self.cfg.train.n_critic):
                real, labels = self._draw()
                self.critic_step(real.to(self.device, non_blocking=True, memory_format=self.memory_format),
                                 labels.to(self.device, non_blocking=True) if labels is not None else None)
            self.generator_step()
        else:                                  # straight into the graph's buffers: one copy, no new tensor
            for i in range(self.cfg.train.n_critic):
                real, labels = self._draw()
                if len(self.static_real) <= i:
                    self.static_real.append(torch.empty_like(real, device=self.device, memory_format=self.memory_format))
                    self.static_labels.append(torch.empty_like(labels, device=self.device) if labels is not None else None)
                self.static_real[i].copy_(real, non_blocking=True)
                if labels is not None:
                    self.static_labels[i].copy_(labels, non_blocking=True)
            self.captured()
        if self.ema is not None:
            self.ema.update(self.G)
        self.step += 1
        self._stats_n += self.cfg.train.n_critic

    def diagnose(self) -> dict[str, float]:
        """Critic diagnostics (:func:`wgangp.diagnostics.critic_report`, in fp32) on the next real
        batch and generated samples from fixed noise, leaving training untouched: the data stream,
        the noise generator and the generator's normalisation statistics are as they were."""
        from wgangp import diagnostics

        data_state = self.source.state_dict()
        real, labels = self._draw()
        self.source.load_state_dict(data_state)
        real = real.to(self.device, memory_format=self.memory_format)
        labels = labels.to(self.device) if labels is not None else None
        z = torch.randn(real.shape[0], self.cfg.model.noise_dim, device=self.device,
                        generator=torch.Generator(self.device).manual_seed(DIAG_SEED))
        saved = [b.clone() for b in self.G.buffers()]       # BatchNorm running statistics
        with torch.no_grad():
            fake = self._generate(self.G, z, labels)
            for b, old in zip(self.G.buffers(), saved):
                b.copy_(old)
        clip = self.cfg.loss.clip_value if self.cfg.loss.name == "wgan-clip" else None
        return diagnostics.critic_report(self.D, real, fake, self.cfg.loss.name, clip_value=clip, labels=labels,
                                         projection=self.projection)

    # ----- state --------------------------------------------------------------------------
    def state_dict(self, rank_rngs: list[dict] | None = None) -> dict:
        """Everything needed to continue bit for bit: weights, optimisers, EMA, step, RNG states
        (``rank_rngs``: every rank's RNG states in a DDP run, gathered by :meth:`save`)."""
        from wgangp import __version__

        rng = self.rng_state()
        extra = {"rng_ranks": rank_rngs} if rank_rngs is not None else {}
        return {**extra,
            "version": __version__, "step": self.step, "data_shape": list(self.source.shape), "train_seconds": self.train_seconds,
            "n_classes": self.n_classes,
            **({"table": self.source.table_state()} if hasattr(self.source, "table_state") else {}),
            **({"text": self.source.text_state()} if hasattr(self.source, "text_state") else {}),
            **({"signal": self.source.signal_state()} if hasattr(self.source, "signal_state") else {}),
            "config": self.cfg.to_dict(), "generator": self.G.state_dict(), "critic": self.D.state_dict(),
            "ema": self.ema.state_dict() if self.ema is not None else None,
            "opt_g": _portable(self.opt_g.state_dict()), "opt_d": _portable(self.opt_d.state_dict()), "rng": rng,
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
        _load_optimizer(self.opt_g, state["opt_g"], self.device)
        _load_optimizer(self.opt_d, state["opt_d"], self.device)
        if self.scaler_d is not None and state.get("scalers"):
            self.scaler_d.load_state_dict(state["scalers"][0])
            self.scaler_g.load_state_dict(state["scalers"][1])
        self.step = int(state["step"])
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

            from wgangp.train import distributed

            if not distributed.parameters_agree(self.G, self.D):
                raise RuntimeError(f"DDP ranks hold different parameters at iteration {self.step}; not saving")
            rank_rngs = [None] * self.dist.world
            tdist.all_gather_object(rank_rngs, self.rng_state())
        if self.run_dir is not None:
            save_checkpoint(self.state_dict(rank_rngs), self.run_dir / CKPT_NAME)

    def sample_generator(self) -> torch.nn.Module:
        """The generator used for samples and metrics: the EMA copy when EMA is on."""
        return self.ema.model if self.ema is not None else self.G

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
                if on_eval is not None and t.eval_every and self.step % t.eval_every == 0 and self.step < t.iterations:
                    on_eval(self)
                if on_sample is not None and t.sample_every and self.step % t.sample_every == 0:
                    on_sample(self)
                if on_diag is not None and t.diag_every and self.step % t.diag_every == 0:
                    on_diag(self)
                stopping = self._stop_signal is not None or (stop_after is not None and self.step >= stop_after)
                if self.dist is not None:                 # one rank signalled: all stop at this iteration
                    from wgangp.train.distributed import any_true

                    stopping = any_true(stopping, self.device)
                if (self.run_dir is not None or self.dist is not None) and (
                        self.step % t.ckpt_every == 0 or self.step == t.iterations or stopping):
                    self.save()
                if stopping:
                    return False
            return True
        finally:
            for sig, old in handlers.items():
                signal.signal(sig, old)

    def drain_stats(self) -> dict | None:
        """Means of the step statistics since the last call (one host sync), or None if none."""
        if self._stats_n == 0:
            return None
        if self.dist is not None:                         # the mean over ranks (a collective)
            from wgangp.train.distributed import mean_

            mean_(self._stats)
        w, gp, d_loss, g_loss = (self._stats / self._stats_n).tolist()
        self._stats.zero_()
        self._stats_n = 0
        return {"w_estimate": w, "penalty": gp, "d_loss": d_loss, "g_loss": g_loss}

    def _install_signal_handlers(self) -> dict:
        import threading

        if threading.current_thread() is not threading.main_thread():
            return {}

        def handler(signum, frame):
            self._stop_signal = signum

        return {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
