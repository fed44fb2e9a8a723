"""The WGAN-GP iteration (Gulrajani et al. 2017, Algorithm 1): ``n_critic`` critic steps on fresh
real batches, then one generator step -- with its precision (bf16 / fp16 autocast, GradScalers),
DDP wrappers, ``torch.compile`` and CUDA-graph capture. The loss maths lives in
:mod:`wgangp.objectives`; the cadence of logging, evaluation and checkpoints in
:mod:`wgangp.train.loop`.

The hot path holds no ``.item()`` or host sync: per-step statistics are summed on the device and
read by :meth:`TrainingStep.drain_stats` once every ``train.log_every`` iterations.
"""
from __future__ import annotations

import torch

from wgangp import objectives
from wgangp.config import Config
from wgangp.errors import UserError
from wgangp.nets import diffaugment
from wgangp.train import distributed, privacy
from wgangp.train.ema import EMA
from wgangp.train.graphs import CapturedIteration
from wgangp.train.traced import TracedSteps
from wgangp.train.optim import make_optimizer, set_lr
from wgangp.train.transfer import freeze_critic


def resolve_device(name: str) -> torch.device:
    """``auto`` -> CUDA when available, else the CPU; a CUDA device asked for without one is an error."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name.startswith("cuda") and not torch.cuda.is_available():
        raise UserError(f"device={name} asked for, but no CUDA device is available; use --set device=cpu")
    return torch.device(name)


def _stored_records(source) -> int:
    if not getattr(source, "n_stored", 0) or not hasattr(source, "poisson_batch"):
        raise UserError("train.dp_epsilon needs a stored data set (records held in memory): DP-SGD samples "
                        "records from it")
    return source.n_stored


def rank_seeds(seed: int, rank: int) -> tuple[int, int]:
    """``(data seed, noise seed)`` of one process; rank 0 of a DDP run draws as a single process."""
    return seed + 7919 * rank, seed + 1_000_003 + 7919 * rank


class TrainingStep:
    """The networks, their optimisers and the noise of one run, and the iteration that trains them.

    ``source``: where real batches come from (``sample_batch()`` / ``sample_labelled()``, ``shape``);
    ``n_classes > 0``: class-conditional. ``dist``: this process's place in a torchrun job (the
    networks are then wrapped in DistributedDataParallel for the steps). ``train.cuda_graphs``: the
    iteration runs on static buffers and is captured as one CUDA graph (:mod:`wgangp.train.graphs`);
    ``graph_capture=False`` runs that same static-buffer iteration uncaptured, on any device.
    """

    def __init__(self, cfg: Config, source, G: torch.nn.Module, D: torch.nn.Module, n_classes: int = 0,
                 dist=None, *, graph_capture: bool = True):
        self.cfg, self.source, self.G, self.D, self.n_classes, self.dist = cfg, source, G, D, n_classes, dist
        if cfg.train.trace_steps and dist is not None:
            raise UserError("train.trace_steps=true (on in the CPU-sized fast presets) is for one process: DDP's "
                            "gradient all-reduce runs in autograd hooks, which a traced step has none of; under "
                            "torchrun add --set train.trace_steps=false")
        self.device = distributed.device_for(dist, resolve_device(cfg.device))
        self.static = cfg.train.cuda_graphs
        if self.static and graph_capture and self.device.type != "cuda":
            raise UserError(f"train.cuda_graphs=true needs a CUDA device; this run is on {self.device}")
        if self.static and dist is not None:
            raise UserError("train.cuda_graphs=true is for one process: DDP's gradient all-reduce is not captured here; "
                            "drop it under torchrun (or use train.compile=reduce-overhead)")
        self._place_networks()
        self.d_trainable, self.frozen = freeze_critic(D, cfg.train.freeze_critic)   # FreezeD: [] when off
        self._setup_precision()
        self._setup_wrappers()
        self.ema = EMA(self.G, cfg.train.ema) if cfg.train.ema > 0 else None
        lr_g = cfg.optim.lr_g or cfg.optim.lr
        self.opt_g = make_optimizer(cfg.optim, self.G.parameters(), lr_g, self.device, self.static)
        self.opt_d = make_optimizer(cfg.optim, self.d_trainable, cfg.optim.lr, self.device, self.static)
        self.cfg_lrs = (lr_g, cfg.optim.lr)                # the config's learning rates
        self.lr_scale = 1.0                                  # their factor now (rollbacks lower it)
        self._setup_buffers(rank_seeds(cfg.seed, dist.rank if dist is not None else 0)[1])
        self._setup_diffaugment()
        self.step = 0
        self.graph_capture = graph_capture
        self.captured = None
        self.recapture()
        self._prime_scalers()
        self.private = None                   # train.dp_epsilon: the critic's DP-SGD step
        if cfg.train.dp_epsilon > 0:
            self.private = privacy.PrivateCritic(self, privacy.plan(cfg.train, cfg.data.batch_size,
                                                                    _stored_records(source)))

    @property
    def base_lrs(self) -> tuple[float, float]:
        """What the learning-rate schedule starts from: the config's rates times ``lr_scale``."""
        return tuple(lr * self.lr_scale for lr in self.cfg_lrs)

    def recapture(self) -> None:
        """``train.cuda_graphs``: a new captured iteration (after the optimiser state was replaced)."""
        if self.static:
            self.captured = CapturedIteration(self._static_iteration, capture=self.graph_capture,
                                              generators=(self.gen,), witness=self.z_g)

    def _prime_scalers(self) -> None:
        """fp16: make each GradScaler's scale tensor now. It is otherwise made by the first ``scale()``,
        so the first penalty after a start or resume would be taken of an unscaled output."""
        for scaler in (self.scaler_d, self.scaler_g):
            if scaler is not None:
                scaler.scale(torch.zeros((), device=self.device))

    def _place_networks(self) -> None:
        cfg = self.cfg
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

    def _setup_precision(self) -> None:
        """bf16 autocast, or fp16 autocast with one GradScaler per optimiser."""
        self.projection = self.cfg.loss.conditioning == "projection"
        self.amp_dtype = {"bf16": torch.bfloat16, "fp16": torch.float16}.get(self.cfg.train.precision)
        fp16 = self.cfg.train.precision == "fp16"
        # init scale 2^10, not 2^16: the penalty's scaled input-gradient overflows fp16 at 2^16 on
        # the first steps of a toy run (skipped steps and an inf in the first logged penalty)
        self.scaler_d = torch.amp.GradScaler(self.device.type, init_scale=1024.0) if fp16 else None
        self.scaler_g = torch.amp.GradScaler(self.device.type, init_scale=1024.0) if fp16 else None

    def _setup_wrappers(self) -> None:
        """What the steps call: DDP wrappers when distributed (gradients averaged in backward), and
        torch.compile where no double backward runs -- the generator (both steps) and the frozen
        critic of the generator step. The penalty needs autograd.grad(create_graph=True) through the
        critic, which compiled graphs do not support, so ``D_step`` stays eager."""
        dist = self.dist
        self.G_step, self.D_step = ((distributed.wrap(self.G, self.device), distributed.wrap(self.D, self.device))
                                    if dist is not None else (self.G, self.D))
        self.G_fwd, self.D_gen = self.G, self.D
        if self.cfg.train.compile != "none":
            mode = self.cfg.train.compile
            self.G_fwd = torch.compile(self.G, mode=mode)
            self.G_step = self.G_fwd if dist is None else torch.compile(self.G_step, mode=mode)
            self.D_gen = torch.compile(self.D, mode=mode)
        self.traced = TracedSteps(self.G, self.D, self.cfg, self.projection) if self.cfg.train.trace_steps else None

    def _setup_diffaugment(self) -> None:
        """``train.diffaugment``: the steps' critic sees augmented samples, drawn from the run's noise generator."""
        policy = diffaugment.parse_policy(self.cfg.train.diffaugment)
        if not policy:
            return
        other = [k for k, on in (("train.trace_steps=true", self.cfg.train.trace_steps),
                                 ("train.cuda_graphs=true", self.static),
                                 ("train.dp_epsilon > 0", self.cfg.train.dp_epsilon > 0)) if on]
        if other:
            raise UserError(f"train.diffaugment cannot be combined with {other[0]}: that step calls the critic itself; "
                            "drop one of the two")
        self.D_step = diffaugment.AugmentedCritic(self.D_step, policy, self.gen)
        self.D_gen = diffaugment.AugmentedCritic(self.D_gen, policy, self.gen)

    def _setup_buffers(self, noise_seed: int) -> None:
        """Noise and interpolation weights are drawn on the device from a generator of our own."""
        cfg = self.cfg
        self.gen = torch.Generator(self.device).manual_seed(noise_seed)
        b, gb = cfg.data.batch_size, cfg.train.gen_batch_size or cfg.data.batch_size
        self.z_d = torch.empty(b, cfg.model.noise_dim, device=self.device)
        self.z_g = torch.empty(gb, cfg.model.noise_dim, device=self.device)
        self.alpha = torch.empty(b, *([1] * len(self.source.shape)), device=self.device)
        self.y_g = torch.empty(gb, dtype=torch.int64, device=self.device)
        self._stats = torch.zeros(4, device=self.device)   # sums of w, penalty, d_loss, g_loss
        self._stats_n = 0
        # train.cuda_graphs: the real batches of one iteration are copied into these (made at the
        # first iteration), and the captured iteration reads them
        self.static_real: list[torch.Tensor] = []
        self.static_labels: list[torch.Tensor | None] = []

    # ----- the steps ----------------------------------------------------------------------
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

    def generate(self, module: torch.nn.Module, z: torch.Tensor, labels: torch.Tensor | None) -> torch.Tensor:
        return module(z) if labels is None else module(z, labels)

    def critic_step(self, real: torch.Tensor, labels: torch.Tensor | None = None) -> None:
        """One critic update; ``labels`` (conditional): the real batch's classes, also used for
        the fake batch, as the official AC-GAN."""
        cfg = self.cfg
        if self.traced is not None:
            z = self.z_d.normal_(generator=self.gen)
            self.alpha.uniform_(generator=self.gen)
            loss, w, penalty, grads = self.traced.critic(real, labels, z, self.alpha)
            self._apply_grads(grads, self.D, self.opt_d)
        else:
            loss, w, penalty = self._eager_critic_loss(real, labels)
            self._backward_step(loss, self.opt_d, self.scaler_d)
        if cfg.loss.name == "wgan-clip":
            objectives.clip_weights_(self.D, cfg.loss.clip_value)
        self._stats[:3] += torch.stack((w, penalty, loss.detach()))

    def _eager_critic_loss(self, real: torch.Tensor, labels: torch.Tensor | None):
        cfg = self.cfg
        with self._autocast():
            with torch.no_grad():
                fake = self.generate(self.G_fwd, self.z_d.normal_(generator=self.gen), labels)
            self.alpha.uniform_(generator=self.gen)
            # fp16: the penalty's input-gradient is taken of the scaled output (the scale as a
            # device tensor, so no host sync), then unscaled before its norm
            scale = self.scaler_d._get_scale_async() if self.scaler_d is not None else None
            loss, w, penalty = objectives.critic_loss(self.D_step, real, fake, self.alpha, cfg.loss.name,
                                                      cfg.loss.gp_weight, grad_scale=scale, labels=labels,
                                                      ac_weight=cfg.loss.ac_weight, projection=self.projection)
        return loss, w, penalty

    @staticmethod
    def _apply_grads(grads: list[torch.Tensor], module: torch.nn.Module, opt: torch.optim.Optimizer) -> None:
        """A traced step's gradients as the parameters' ``.grad`` (every parameter gets one, so no
        ``zero_grad``), then the optimiser step."""
        for p, g in zip(module.parameters(), grads):
            if not p.requires_grad:             # a frozen critic layer (train.freeze_critic): computed, dropped
                continue
            # in the parameter's own strides, as autograd's accumulation would leave it: a backward kernel
            # may hand back another layout, and the fused optimiser steps read both as one flat array
            p.grad = g if g.stride() == p.stride() else torch.empty_like(p).copy_(g)
        opt.step()

    def generator_step(self) -> None:
        labels = self.y_g.random_(0, self.n_classes, generator=self.gen) if self.n_classes else None
        if self.traced is not None:
            loss, grads = self.traced.generator(self.z_g.normal_(generator=self.gen), labels)
            self._apply_grads(grads, self.G, self.opt_g)
            self._stats[3] += loss * self.cfg.train.n_critic
            return
        self.D.requires_grad_(False)            # no critic weight-gradients in the generator step
        with self._autocast():
            fake = self.generate(self.G_step, self.z_g.normal_(generator=self.gen), labels)
            loss = objectives.generator_loss(self.D_gen, fake, self.cfg.loss.name,  # the frozen critic (DDP-unwrapped)
                                             labels=labels, ac_weight=self.cfg.loss.ac_weight_g,
                                             projection=self.projection)
        self._backward_step(loss, self.opt_g, self.scaler_g)
        for p in self.d_trainable:              # the frozen layers (train.freeze_critic) stay frozen
            p.requires_grad_(True)
        self._stats[3] += loss.detach() * self.cfg.train.n_critic

    def draw(self) -> tuple[torch.Tensor, torch.Tensor | None]:
        """One real batch (and its labels when conditional), where the data source keeps it."""
        return self.source.sample_labelled() if self.n_classes else (self.source.sample_batch(), None)

    def _static_iteration(self) -> None:
        """The iteration a CUDA graph captures: every input in a static buffer."""
        for i in range(self.cfg.train.n_critic):
            self.critic_step(self.static_real[i], self.static_labels[i] if self.n_classes else None)
        self.generator_step()

    def _fill_static(self) -> None:
        """The iteration's real batches, straight into the graph's buffers: one copy, no new tensor."""
        for i in range(self.cfg.train.n_critic):
            real, labels = self.draw()
            if len(self.static_real) <= i:
                self.static_real.append(torch.empty_like(real, device=self.device, memory_format=self.memory_format))
                self.static_labels.append(torch.empty_like(labels, device=self.device) if labels is not None else None)
            self.static_real[i].copy_(real, non_blocking=True)
            if labels is not None:
                self.static_labels[i].copy_(labels, non_blocking=True)

    def iteration(self) -> None:
        """One generator iteration: lr schedule, ``n_critic`` critic steps, one generator step, EMA."""
        if self.cfg.optim.lr_decay == "linear":
            frac = max(0.0, 1.0 - self.step / self.cfg.train.iterations)
            for opt, base in zip((self.opt_g, self.opt_d), self.base_lrs):
                set_lr(opt, base * frac)
        if self.private is not None:
            self.private.begin_iteration()
            for _ in range(self.cfg.train.n_critic):
                self.private.critic_step()
            self.generator_step()
        elif self.captured is None:
            for _ in range(self.cfg.train.n_critic):
                real, labels = self.draw()
                self.critic_step(real.to(self.device, non_blocking=True, memory_format=self.memory_format),
                                 labels.to(self.device, non_blocking=True) if labels is not None else None)
            self.generator_step()
        else:
            self._fill_static()
            self.captured()
        if self.ema is not None:
            self.ema.update(self.G)
        self.step += 1
        self._stats_n += self.cfg.train.n_critic

    def drain_stats(self) -> dict | None:
        """Means of the step statistics since the last call (one host sync), or None if none."""
        if self._stats_n == 0:
            return None
        if self.dist is not None:                         # the mean over ranks (a collective)
            distributed.mean_(self._stats)
        w, gp, d_loss, g_loss = (self._stats / self._stats_n).tolist()
        self._stats.zero_()
        self._stats_n = 0
        return {"w_estimate": w, "penalty": gp, "d_loss": d_loss, "g_loss": g_loss}

    def sample_generator(self) -> torch.nn.Module:
        """The generator used for samples and metrics: the EMA copy when EMA is on."""
        return self.ema.model if self.ema is not None else self.G
