"""The Python API: everything the CLI does, callable from Python.

>>> import wgangp
>>> run = wgangp.train("toy-8gaussians-fast", out="runs/8g", overrides={"train.iterations": 500})
>>> x = run.sample(1000)                 # (1000, 2) tensor
>>> wgangp.evaluate(run)["modes_captured"]

What depends on the kind of data is asked of the run's domain (:mod:`wgangp.domains`); which
metrics exist is asked of the registry (:mod:`wgangp.metrics.registry`).
"""
from __future__ import annotations

import json
import math
import traceback
from pathlib import Path

import torch

from wgangp.config import Config, from_dict, load_config
from wgangp.data.toy import toy_distribution  # noqa: F401  (part of the public API)
from wgangp.domains import EvalContext, domain_for
from wgangp.domains.base import EVAL_SEED
from wgangp.domains.base import train_classifier as train_kind_classifier
from wgangp.domains.images.classifier import labelled_data  # noqa: F401  (public API)
from wgangp.domains.images.metrics import evaluate_images, load_images  # noqa: F401  (public API)
from wgangp.errors import UserError, out_of_memory
from wgangp.export import atomic_write, save_samples, stream_samples  # noqa: F401  (public API: the last two)
from wgangp.metrics import registry
from wgangp.run import Run, build_trainer, check_config, load_run, run_of
from wgangp.train import distributed
from wgangp.train.checkpoint import NAME as CKPT_NAME
from wgangp.train.checkpoint import load_checkpoint
from wgangp.train.controls import Replay
from wgangp.train.logging import RunLogger, read_metrics, truncate_metrics
from wgangp.train.loop import Trainer
from wgangp.train.rundir import (acquire_lock, open_run_dir, read_run_config, release_lock, remove_stale,
                                 write_run_config)
from wgangp.viz import critic_weights, gradient_norms, training_curves
from wgangp.viz.live import open_live, start_live
from wgangp.viz.report import write_report


def metric_names(run_or_cfg, metrics: str | list[str] | None = None) -> list[str]:
    """The metrics an evaluation reports: the domain's base metrics, then ``metrics`` (default:
    ``train.eval_metrics``), checked against the registry."""
    cfg = run_or_cfg.config if isinstance(run_or_cfg, Run) else run_or_cfg
    domain = domain_for(cfg.data.name)
    extra = registry.parse_names(cfg.train.eval_metrics if metrics is None else metrics)
    registry.check(extra, domain.name, cfg.model.conditional, where="metrics" if metrics is not None else
                   "train.eval_metrics")
    base = [m for m in domain.base_metrics if "conditional" not in registry.get_metric(m).needs or cfg.model.conditional]
    return list(dict.fromkeys(base + extra))


def check_metrics(cfg: Config) -> str:
    """``train.eval_metrics`` are registered metrics of the run's kind and ``train.best_metric`` one
    of their results (checked before training); returns the direction of the latter (min / max)."""
    names = metric_names(cfg)
    return registry.best_direction(cfg.train.best_metric, names) if cfg.train.best_metric else "min"


def evaluate(run: Run, n: int | None = None, seed: int = EVAL_SEED, metrics: str | list[str] | None = None,
             feature_net: str | torch.nn.Module | None = None, feature_weights: str | None = None,
             n_per_class: int | None = None) -> dict:
    """Metrics of ``run`` on ``n`` samples (default ``train.eval_samples``; tables: the number of
    training records) against as many real ones: the kind's base metrics (``wgangp list --metrics``)
    plus ``metrics`` (``"fid,kid"``; default ``train.eval_metrics``). ``feature_net``: a TorchScript
    path or module for FID/KID (default ``train.feature_net``, else the standard Inception, which
    needs internet or ``feature_weights``); ``n_per_class``: samples per class of the conditional
    metrics (default ``n`` split over the classes)."""
    names = metric_names(run, metrics)
    if n is not None and n < 2:
        raise UserError(f"evaluation needs at least 2 samples, got {n}")
    n = run.domain.eval_samples(run, n)
    if n < 2:
        raise UserError(f"evaluation needs at least 2 samples, got {n}")
    if n_per_class is not None and n_per_class <= 0:
        raise UserError(f"--n-per-class must be positive, got {n_per_class}")
    ctx = EvalContext(run, n, seed, feature_net=feature_net, feature_weights=feature_weights, n_per_class=n_per_class)
    with out_of_memory(f"the evaluation of {n} samples", f"evaluate fewer (-n, train.eval_samples: now {n})"):
        return {"step": run.step, **({"truncation": run.truncation} if run.truncation else {}),
                **registry.compute(names, ctx)}


def check_eval_memory(run: Run) -> None:
    """An evaluation's samples and as many real ones fit in this machine's memory (checked before
    training: not a failure after hours)."""
    from wgangp.system import gib, physical_memory

    n = run.domain.eval_samples(run, None)
    need = 2 * n * math.prod(run.data_shape) * 4
    if need > physical_memory():
        raise UserError(f"train.eval_samples={n} samples of shape {run.data_shape} and as many real ones need about "
                        f"{gib(need)} for each evaluation, this machine has {gib(physical_memory())}; lower "
                        "train.eval_samples")


def write_pictures(run: Run) -> list[Path]:
    """Write the kind's pictures (critic surface of 2-D data, image grid, text samples), then
    ``critic_weights.png``, ``training_curves.png`` and, when diagnostics were logged, ``critic_gradients.png``."""
    title = f"{run.config.name}, {run.step} generator iterations"
    paths = run.domain.pictures(run, title)
    clip = run.config.loss.clip_value if run.config.loss.name == "wgan-clip" else None
    paths.append(critic_weights(run.critic, run.run_dir / "critic_weights.png", clip_value=clip, title=title))
    rows = read_metrics(run.run_dir)
    if rows:
        paths.append(training_curves(rows, run.run_dir / "training_curves.png", title=title))
        grads = gradient_norms(rows, run.run_dir / "critic_gradients.png", title=title)
        if grads is not None:
            paths.append(grads)
    return paths


def train(preset_or_config: str | Path | Config | None, out: str | Path, overrides: list[str] | dict | None = None,
          resume: bool = False, progress: bool = True, stop_after: int | None = None, live: dict | None = None,
          replay: list[dict] | None = None) -> Run:
    """Train (or with ``resume=True`` continue) a run in ``out``; returns the :class:`Run`.

    ``preset_or_config``: a preset name (``wgangp.list_presets()``), a .toml/.json file or a
    :class:`Config`; ``overrides``: ``{"train.iterations": 2000}`` or ``["train.iterations=2000"]``.
    ``stop_after``: stop (checkpointed) after this many iterations, as if interrupted.
    ``live``: serve the live view while training (``{"host": "127.0.0.1", "port": 0, "paused":
    False}``, any key optional; :mod:`wgangp.viz.live`). ``replay``: the control events of a steered
    run (:func:`wgangp.train.controls.read_events`), applied at their iterations.
    """
    run_dir = Path(out)
    if isinstance(preset_or_config, Config):
        cfg = preset_or_config
    elif preset_or_config is not None:
        cfg = load_config(preset_or_config, overrides)
    else:
        cfg = resume_config(run_dir, overrides) if resume and overrides else None
    dev_name = cfg.device if cfg is not None else (read_run_config(run_dir).device if resume else "auto")
    info = distributed.from_env(dev_name)           # None unless started by torchrun with WORLD_SIZE > 1
    if live is not None and info is not None:
        raise UserError("--live is for one process: under torchrun, start the run without it and open "
                        "'wgangp watch RUN_DIR' beside it")
    server = open_live(run_dir, live) if live is not None else None
    try:
        return _train(cfg, run_dir, resume, progress, stop_after, info, (live, server) if server else None, replay)
    except BaseException as e:
        if info is not None:         # the traceback's frames hold the trainer: free it before leaving the group
            traceback.clear_frames(e.__traceback__)
        raise
    finally:
        if server is not None and live.get("server") is None:     # a server handed in outlives the run
            server.close()
        release_lock(run_dir)                        # only if this process took it
        if info is not None:
            import gc

            import torch.distributed as tdist

            gc.collect()     # free the trainer's DDP wrappers (reference cycles) while the group still exists:
            tdist.destroy_process_group()    # Gloo work they hold, freed at interpreter exit, aborts the process


def resume_config(run_dir: str | Path, overrides: list[str] | dict) -> Config:
    """The saved config of the run in ``run_dir`` with ``overrides`` (``--resume --set train.iterations=N``)."""
    from wgangp.train.rundir import CONFIG_NAME

    saved = Path(run_dir) / CONFIG_NAME
    if not saved.is_file():
        raise UserError(f"nothing to resume in '{run_dir}' (no {CONFIG_NAME}); drop --resume to start a new run")
    return load_config(str(saved), overrides)


def _open_shared(run_dir: Path, cfg: Config | None, resume: bool, info) -> tuple[Config, bool]:
    """``open_run_dir`` on rank 0 only; its verdict (or its error) reaches every rank."""
    if info is None:
        opened, has_ckpt = open_run_dir(run_dir, cfg, resume)
        acquire_lock(run_dir)
        remove_stale(run_dir)                        # with the lock: no live run's write in progress
        return opened, has_ckpt
    import torch.distributed as tdist

    verdict: list = [None]
    if info.is_main:
        try:
            opened, has_ckpt = open_run_dir(run_dir, cfg, resume)
            acquire_lock(run_dir)
            remove_stale(run_dir)
            verdict = [("ok", opened.to_dict(), has_ckpt)]
        except UserError as e:
            verdict = [("error", str(e), False)]
    tdist.broadcast_object_list(verdict, src=0)
    status, payload, has_ckpt = verdict[0]
    if status == "error":
        raise UserError(payload)
    return from_dict(payload, source="rank 0's run config"), has_ckpt


def _resume(tr: Trainer, run_dir: Path) -> None:
    """Load the run's checkpoint into ``tr``; one that belongs to another kind of run, or lacks or
    mistypes an entry, is a one-line error (and nothing has been written yet)."""
    state = load_checkpoint(run_dir / CKPT_NAME, map_location=tr.device)
    check_config(tr.cfg, state, run_dir)
    domain_for(tr.cfg.data.name).check_checkpoint(state, f"the checkpoint in '{run_dir}' (restore the run's own "
                                                         "checkpoint.pt)")
    try:
        tr.load_state_dict(state)
    except (KeyError, TypeError, ValueError, RuntimeError, IndexError, AttributeError) as e:
        raise UserError(f"checkpoint '{run_dir / CKPT_NAME}' does not fit this run ({type(e).__name__}: "
                        f"{str(e).splitlines()[0][:200] if str(e) else ''}); restore it from a backup or start a new "
                        "run with another --out") from None
    best = run_dir / "best.json"              # written after the checkpoint on disk, possibly: it is the truth
    if best.is_file():
        try:
            tr.best = json.loads(best.read_text())
        except (OSError, ValueError):
            pass
    if tr.resume_note and (tr.dist is None or tr.dist.is_main):
        import sys

        print(f"wgangp: note: {tr.resume_note}", file=sys.stderr)


def _train(cfg, run_dir: Path, resume: bool, progress: bool, stop_after: int | None, info, live=None,
           replay=None) -> Run:
    main = info is None or info.is_main
    cfg, has_ckpt = _open_shared(run_dir, cfg, resume, info)
    direction = check_metrics(cfg)
    advice = (f"lower data.batch_size (now {cfg.data.batch_size}) or train.gen_batch_size (now "
              f"{cfg.train.gen_batch_size or cfg.data.batch_size}), or use a smaller model")
    with out_of_memory("the set-up of the run", advice):        # bad input fails before anything is written
        tr = build_trainer(cfg, run_dir if main else None, dist=info, resuming=has_ckpt)
    tr.ckpt_path, tr.best_direction = run_dir / CKPT_NAME, direction  # every rank reads it at a rollback
    if has_ckpt:
        _resume(tr, run_dir)
    if not main:                                     # other ranks: train only; rank 0 logs and evaluates
        with out_of_memory("training", advice):
            completed = tr.fit(None, stop_after=stop_after)
        distributed.barrier()                        # leave the process group together with rank 0
        return run_of(tr, run_dir, completed)
    run = run_of(tr, run_dir, False)                 # one Run through training: its reference data is kept
    check_eval_memory(run)
    write_run_config(cfg, run_dir)                   # a resume's changed keys only once its checkpoint loaded
    truncate_metrics(run_dir, tr.step)
    _fit_logged(tr, run, progress, stop_after, advice, live, replay)
    if info is not None:                             # the other ranks wait here (not after a failure: they have
        distributed.barrier()                        # been told, or torchrun stops them): a rank that leaves the
    return run                                       # group while rank 0 still evaluates can abort at exit


def _fit_logged(tr: Trainer, run: Run, progress: bool, stop_after: int | None, advice: str, live=None,
                replay=None) -> None:
    """Rank 0's training: logging, evaluations, sample grids, diagnostics, then the final evaluation,
    ``eval.json`` and the pictures."""
    cfg, run_dir = tr.cfg, run.run_dir
    logger = RunLogger(run_dir, cfg.train.iterations, tr.step, progress=progress)

    def current(t: Trainer) -> Run:
        run.step = t.step
        return run

    def on_eval(t: Trainer) -> None:
        result = evaluate(current(t))
        logger.log({"kind": "eval", **result, "train_seconds": round(t.train_seconds, 3)})
        t.consider_best(result)

    def on_sample(t: Trainer) -> None:
        run.domain.snapshot(current(t), logger)

    def on_diag(t: Trainer) -> None:
        logger.log({"kind": "diag", "step": t.step, **t.diagnose()})
        logger.histograms("weights/critic", t.D, t.step)
        logger.histograms("weights/generator", t.G, t.step)

    view = start_live(run, tr, logger, *live) if live is not None else None
    hooks = ([Replay(replay, logger.log)] if replay else []) + ([view.probe] if view is not None else [])
    try:
        with out_of_memory("training", advice):
            completed = tr.fit(logger, on_eval=on_eval, stop_after=stop_after, on_sample=on_sample, on_diag=on_diag,
                               on_step=(lambda t: [h(t) for h in hooks]) if hooks else None)
        if view is not None:
            view.probe.write(tr)                     # the last state, for the page that stays open
        logger.bar.close()
        run.step, run.completed = tr.step, completed
        if completed:
            result = {**evaluate(run), "train_seconds": round(tr.train_seconds, 3),
                      "train_cpu_seconds": round(tr.train_cpu_seconds, 3)}
            logger.log({"kind": "eval", **result})
            tr.consider_best(result)
            _write_json(run_dir / "eval.json", result)
            write_pictures(run)
            write_report(run_dir)
    finally:
        logger.close()


def sample(run: Run | str | Path, n: int, seed: int = 0, classes: int | list[int] | None = None,
           truncation: float | None = None) -> torch.Tensor:
    """``n`` samples from a run (or a run directory); ``classes`` for conditional runs; ``truncation``:
    every noise entry drawn within [-t, t] (the truncation trick, :meth:`Run.noise`)."""
    run = run if isinstance(run, Run) else load_run(run)
    return run.truncated(truncation).sample(n, seed=seed, classes=classes)


def train_classifier(data_path: str | Path, out: str | Path, epochs: int | None = None, seed: int = 0,
                     resolution: int = 0, replace: bool = False, length: int = 0, resample: bool = False,
                     label: str = "") -> dict:
    """Train the in-project classifier of the labelled data at ``data_path`` and save it at ``out``;
    returns ``n_train``, ``n_classes`` and ``test_accuracy`` (None without a test split). The kind of
    data that claims the path trains it (:func:`wgangp.domains.base.train_classifier`).

    Signal data (:func:`~wgangp.domains.signals.classifier.is_series_data`: an .npz of ``(N, L)`` or
    ``(N, C, L)`` series, CSV/UCR files, WAV folders): the 1-D CNN, saved as TorchScript mapping
    float32 ``(N, C, L)`` in the data's units to logits (``epochs`` default 100; an existing ``out``
    refused unless ``replace``; ``length``, ``resample``, ``label``: as the run's ``data.length``,
    ``data.resample``, ``data.label``). Image data: the small image CNN, saved as a feature net (``epochs`` default 2;
    ``resolution`` resizes folder images), as :func:`wgangp.domains.images.classifier.train_classifier`."""
    return train_kind_classifier(data_path, out, epochs, seed, replace, resolution=resolution, length=length,
                                 resample=resample, label=label)


def _write_json(path: Path, obj: dict) -> None:
    atomic_write(path, lambda f: f.write((json.dumps(obj, indent=2) + "\n").encode()))


__all__ = ["Run", "build_trainer", "evaluate", "evaluate_images", "load_images", "load_run", "sample",
           "save_samples", "toy_distribution", "train", "train_classifier", "write_pictures"]
