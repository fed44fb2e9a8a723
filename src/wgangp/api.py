"""The Python API: everything the CLI does, callable from Python.

>>> import wgangp
>>> run = wgangp.train("toy-8gaussians-fast", out="runs/8g", overrides={"train.iterations": 500})
>>> x = run.sample(1000)                 # (1000, 2) tensor
>>> wgangp.evaluate(run)["modes_captured"]
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from wgangp.config import Config, from_dict, load_config
from wgangp.data import build_source, toy_distribution
from wgangp.data.tabular import TableEncoder
from wgangp.errors import UserError
from wgangp.metrics import toy_metrics
from wgangp.nets import build_networks
from wgangp.train.checkpoint import NAME as CKPT_NAME
from wgangp.train.checkpoint import load_checkpoint
from wgangp.train.logging import RunLogger, read_metrics, truncate_metrics
from wgangp.train.loop import Trainer, resolve_device
from wgangp.train.rundir import open_run_dir, read_run_config, write_run_config
from wgangp.export import save_samples  # noqa: F401  (part of the public API)
from wgangp.viz import critic_surface, critic_weights, gradient_norms, image_grid, save_grid, training_curves

EVAL_SEED = 12_345   # fixed noise / reference seeds: metrics at different steps are comparable


@dataclass
class Run:
    """A trained run: its config, directory, step, generator (EMA copy if any) and critic."""
    config: Config
    run_dir: Path | None
    step: int
    generator: torch.nn.Module
    critic: torch.nn.Module
    data_shape: tuple[int, ...]
    completed: bool = True
    n_classes: int = 0                              # > 0: a class-conditional run
    table: dict | None = None                       # tables: the record encoding (data.tabular.TableSource.table_state)
    text: dict | None = None                        # text: the character map (data.text.TextSource.text_state)
    signal: dict | None = None                      # signals: per-channel scale (data.signals.SignalSource.signal_state)

    def to_data_units(self, x: torch.Tensor) -> torch.Tensor:
        """Samples in the data's own units: signals scaled back; anything else unchanged."""
        if self.signal is None:
            return x
        return x * torch.tensor(self.signal["scale"], dtype=x.dtype)[:, None]

    def sample_text(self, n: int, seed: int = 0) -> list[str]:
        """``n`` generated strings (text runs): the most likely character at every position."""
        from wgangp.data.text import decode

        if self.text is None:
            raise UserError("this run was not trained on text (data.name=text, python-docs or billion-word)")
        return decode(self.sample(n, seed=seed), self.text["charmap"])

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

    @torch.no_grad()
    def sample(self, n: int, seed: int = 0, batch_size: int = 65_536, classes: int | list[int] | None = None
               ) -> torch.Tensor:
        """``n`` generated samples ``(n, *data_shape)`` (float32, CPU), reproducible for a given ``seed``.

        Conditional runs: ``classes`` (one class or a list, cycled; default all, balanced).
        """
        device = next(self.generator.parameters()).device
        gen = torch.Generator(device).manual_seed(seed)
        labels = self.class_labels(n, classes)
        was_training = self.generator.training      # during training this is the live generator
        self.generator.eval()
        try:
            out = []
            for i in range(0, n, batch_size):
                z = torch.randn(min(batch_size, n - i), self.config.model.noise_dim, generator=gen, device=device)
                x = self.generator(z) if labels is None else self.generator(z, labels[i:i + len(z)].to(device))
                out.append(x.float().cpu())
        finally:
            self.generator.train(was_training)
        return torch.cat(out) if out else torch.empty(0, *self.data_shape)


def _reference(cfg: Config, n: int, seed: int) -> tuple[torch.Tensor, Any]:
    source = build_source(cfg.data, cfg.seed)
    dist = source.dist
    return source.fresh(n, seed), dist


def evaluate(run: Run, n: int | None = None, seed: int = EVAL_SEED, metrics: str | list[str] | None = None,
             feature_net: str | torch.nn.Module | None = None, feature_weights: str | None = None) -> dict:
    """Metrics of ``run`` on ``n`` samples against as many true samples.

    Point data: ``modes_captured``, ``n_modes``, ``high_quality`` (fraction), ``w1``. Text:
    ``js1``..``js4`` (character n-gram JS divergences to corpus lines), ``unique``, ``copied``. Tables
    (:func:`wgangp.tabular.evaluate_table`; ``n`` defaults to the number of training records):
    fidelity, utility and privacy. Images: ``w1``
    between flattened samples, plus ``metrics`` (``"fid,kid,is"``; default ``train.eval_metrics``)
    with ``feature_net`` (a TorchScript path or module; default ``train.feature_net``, else the
    standard Inception, which needs internet or ``feature_weights``).
    """
    if run.table is not None:                       # tables: fidelity, utility, privacy (wgangp.tabular)
        from wgangp.tabular import evaluate_table

        if n is not None and n < 2:
            raise UserError(f"evaluation needs at least 2 samples, got {n}")
        return {"step": run.step, **evaluate_table(run, n, seed=seed)}
    n = n or run.config.train.eval_samples
    if n < 2:
        raise UserError(f"evaluation needs at least 2 samples, got {n}")
    if run.text is not None:                        # text: character n-gram JS divergences (wgangp.text)
        from wgangp.text import evaluate_text

        return {"step": run.step, **evaluate_text(run, n, seed)}
    reference, dist = _reference(run.config, n, seed + 1)
    samples = run.sample(n, seed=seed)
    metrics = run.config.train.eval_metrics if metrics is None else metrics
    names = [m.strip() for m in (metrics.split(",") if isinstance(metrics, str) else metrics) if m.strip()]
    extra = {}
    feature_net = feature_net or run.config.train.feature_net or None
    per_class = [m for m in names if m in ("class_accuracy", "intra_fid")]
    names = [m for m in names if m not in per_class]
    if names:
        if len(run.data_shape) != 3:
            raise UserError(f"metrics {', '.join(names)} are for image runs; this run has samples of shape {run.data_shape}")
        extra = _image_metrics(run, samples, reference, names, feature_net, feature_weights)
    if per_class:                                   # n samples in all, n // K per class
        from wgangp.eval_conditional import evaluate_conditional

        extra.update(evaluate_conditional(run, per_class, feature_net, n_per_class=max(n // (run.n_classes or 1), 2),
                                          seed=seed))
    if run.signal is not None:                      # signals: power spectrum, class agreement (wgangp.signals)
        from wgangp.signals import evaluate_signals

        extra.update(evaluate_signals(run, samples, reference, n, seed))
    centers = dist.centers if dist is not None else None
    # Images: W1 between flattened samples (FID/KID come with the image metrics).
    return {"step": run.step, **toy_metrics(samples.flatten(1), reference.flatten(1), centers,
                                            dist.std if dist is not None else None), **extra}


def load_images(path: str | Path, resolution: int = 0, key: str = "") -> torch.Tensor:
    """Float images ``(N, C, H, W)`` in [-1, 1] from an .npz/.npy array, an image folder or a
    .tar.gz of one (e.g. ``wgangp sample -o DIR/`` output, or real data)."""
    from wgangp.data.folder import load_folder
    from wgangp.data.images import load_image_file

    p = str(path)
    if not Path(p).exists():
        raise UserError(f"image set '{p}' not found")
    images = load_image_file(p, key) if p.endswith((".npz", ".npy")) else load_folder(p, resolution)
    return images.float().div(127.5).sub(1.0)


def evaluate_images(fake: str | Path | torch.Tensor, real: str | Path | torch.Tensor, metrics: str = "fid",
                    feature_net: str | torch.nn.Module | None = None, feature_weights: str | None = None,
                    n: int | None = None, seed: int = EVAL_SEED) -> dict:
    """FID / KID / IS / coverage of a set of generated images against real images, no run needed.

    ``fake`` and ``real``: paths for :func:`load_images` or float tensors in [-1, 1]; ``n``: use a
    random subset of at most ``n`` of each. Real FID statistics of a path are cached.
    """

    x_fake = fake if isinstance(fake, torch.Tensor) else load_images(fake)
    x_real = real if isinstance(real, torch.Tensor) else load_images(real, resolution=x_fake.shape[-1])
    if x_fake.shape[1:] != x_real.shape[1:]:
        raise UserError(f"generated images are {'x'.join(map(str, x_fake.shape[1:]))} but real images are "
                        f"{'x'.join(map(str, x_real.shape[1:]))}; compare sets of one size and channel count")
    gen = torch.Generator().manual_seed(seed)
    if n:
        x_fake = x_fake[torch.randperm(len(x_fake), generator=gen)[:n]]
        x_real = x_real[torch.randperm(len(x_real), generator=gen)[:n]]
    names = [m.strip() for m in metrics.split(",") if m.strip()]
    cache_key = None if isinstance(real, torch.Tensor) else {"real": str(Path(real).resolve()), "n": len(x_real),
                                                             "shape": list(x_real.shape[1:]), "seed": seed}
    return {"n_fake": len(x_fake), "n_real": len(x_real),
            **_set_metrics(x_fake, x_real, names, feature_net, feature_weights, cache_key)}


def _image_metrics(run: Run, samples: torch.Tensor, reference: torch.Tensor, names: list[str], feature_net,
                   feature_weights) -> dict:
    """FID / KID / IS / coverage of a run's ``samples`` against ``reference`` real images."""
    cfg = run.config
    key = {"data": cfg.data.name, "path": str(Path(cfg.data.path).resolve()) if cfg.data.path else "",
           "key": cfg.data.key, "resolution": cfg.data.resolution, "shape": list(run.data_shape),
           "n": len(reference), "seed": cfg.seed}
    return _set_metrics(samples, reference, names, feature_net, feature_weights, key)


def _set_metrics(samples: torch.Tensor, reference: torch.Tensor, names: list[str], feature_net, feature_weights,
                 cache_key: dict | None) -> dict:
    """FID / KID / IS / coverage of ``samples`` against ``reference``; with ``cache_key`` (what the
    real images depend on) the real FID statistics are cached per feature net."""
    from wgangp.data.folder import cache_root
    from wgangp.metrics.features import as_feature_net, load_standard_inception
    from wgangp.metrics.fid import cached_stats, feature_stats
    from wgangp.metrics.images import compute_image_metrics, extract_features

    unknown = set(names) - {"fid", "kid", "is", "coverage"}
    if unknown:
        raise UserError(f"unknown metric(s) {', '.join(sorted(unknown))}; choose from fid, kid, is, coverage")
    out = {}
    if "coverage" in names:
        from wgangp.metrics.classifier import class_coverage

        net = as_feature_net(feature_net, weights_path=feature_weights)
        if not hasattr(net, "logits"):
            raise UserError("metric 'coverage' needs --feature-net CLASSIFIER.pt made with 'wgangp classifier'")
        with torch.no_grad():
            out.update(class_coverage(torch.cat([net.logits(samples[i:i + 500]) for i in range(0, len(samples), 500)])))
    fk = [m for m in names if m in ("fid", "kid")]
    if fk:
        net = as_feature_net(feature_net, weights_path=feature_weights)
        real = reference
        if "kid" not in fk and cache_key is not None:
            key = {**cache_key, "net": getattr(net, "net_id", type(net).__name__)}
            real = cached_stats(key, lambda: feature_stats(extract_features(reference, net)), cache_root() / "fid-stats")
        out.update(compute_image_metrics(samples, real, net, metrics=tuple(fk)))
    if "is" in names:
        classifier = load_standard_inception(feature_weights, output="logits_unbiased")
        out.update(compute_image_metrics(samples, reference, classifier, metrics=("is",), classifier=classifier))
    out.pop("n_fake", None)
    return out


def _run_from_trainer(tr: Trainer, run_dir: Path | None, completed: bool) -> Run:
    table = tr.source.table_state() if hasattr(tr.source, "table_state") else None
    text = tr.source.text_state() if hasattr(tr.source, "text_state") else None
    signal = tr.source.signal_state() if hasattr(tr.source, "signal_state") else None
    return Run(tr.cfg, run_dir, tr.step, tr.sample_generator(), tr.D, tuple(tr.source.shape), completed, tr.n_classes,
               table, text, signal)


def grid_layout(n_classes: int, rows: int = 8) -> tuple[int, int]:
    """``(n samples, per row)`` of a sample grid: ``rows`` x ``rows``, or for a conditional run with
    up to 16 classes one column per class (samples cycle through the classes)."""
    if n_classes and n_classes <= 16:
        return rows * n_classes, n_classes
    return rows * rows, rows


def write_pictures(run: Run) -> list[Path]:
    """Write ``critic_surface.png`` (2-D data), ``samples.png`` (images), ``samples.txt`` (text), ``training_curves.png``,
    ``critic_weights.png`` and, when the run logged diagnostics, ``critic_gradients.png``."""
    paths = []
    title = f"{run.config.name}, {run.step} generator iterations"
    if run.data_shape == (2,):
        real, _ = _reference(run.config, 1000, EVAL_SEED + 1)
        paths.append(critic_surface(run.critic, real, run.sample(1000, seed=EVAL_SEED),
                                    run.run_dir / "critic_surface.png", title=title))
    if run.text is not None:
        from wgangp.data.text import write_lines

        paths.append(write_lines(run.sample_text(64, seed=EVAL_SEED), run.run_dir / "samples.txt"))
    if len(run.data_shape) == 3:
        n, nrow = grid_layout(run.n_classes, rows=10)
        paths.append(save_grid(run.sample(n, seed=EVAL_SEED), run.run_dir / "samples.png", nrow=nrow))
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
          resume: bool = False, progress: bool = True, stop_after: int | None = None) -> Run:
    """Train (or with ``resume=True`` continue) a run in ``out``; returns the :class:`Run`.

    ``preset_or_config``: a preset name (``wgangp.list_presets()``), a .toml/.json file or a
    :class:`Config`; ``overrides``: ``{"train.iterations": 2000}`` or ``["train.iterations=2000"]``.
    ``stop_after``: stop (checkpointed) after this many iterations, as if interrupted.
    """
    run_dir = Path(out)
    if isinstance(preset_or_config, Config):
        cfg = preset_or_config
    elif preset_or_config is not None:
        cfg = load_config(preset_or_config, overrides)
    else:
        cfg = None
    from wgangp.train import distributed

    dev_name = cfg.device if cfg is not None else (read_run_config(run_dir).device if resume else "auto")
    info = distributed.from_env(dev_name)           # None unless started by torchrun with WORLD_SIZE > 1
    try:
        return _train(cfg, run_dir, resume, progress, stop_after, info)
    finally:
        if info is not None:
            import torch.distributed as tdist

            tdist.destroy_process_group()


def _open_shared(run_dir: Path, cfg: Config | None, resume: bool, info) -> tuple[Config, bool]:
    """``open_run_dir`` on rank 0 only; its verdict (or its error) reaches every rank."""
    if info is None:
        return open_run_dir(run_dir, cfg, resume)
    import torch.distributed as tdist

    verdict: list = [None]
    if info.is_main:
        try:
            opened, has_ckpt = open_run_dir(run_dir, cfg, resume)
            verdict = [("ok", opened.to_dict(), has_ckpt)]
        except UserError as e:
            verdict = [("error", str(e), False)]
    tdist.broadcast_object_list(verdict, src=0)
    status, payload, has_ckpt = verdict[0]
    if status == "error":
        raise UserError(payload)
    return from_dict(payload, source="rank 0's run config"), has_ckpt


def _train(cfg, run_dir: Path, resume: bool, progress: bool, stop_after: int | None, info) -> Run:
    main = info is None or info.is_main
    cfg, has_ckpt = _open_shared(run_dir, cfg, resume, info)
    tr = Trainer(cfg, run_dir if main else None, dist=info)   # bad input fails before anything is written
    if main and not resume:
        write_run_config(cfg, run_dir)
    if has_ckpt:
        tr.load_state_dict(load_checkpoint(run_dir / CKPT_NAME, map_location=tr.device))
    if not main:                                     # other ranks: train only; rank 0 logs and evaluates
        completed = tr.fit(None, stop_after=stop_after)
        return _run_from_trainer(tr, run_dir, completed)
    truncate_metrics(run_dir, tr.step)
    logger = RunLogger(run_dir, cfg.train.iterations, tr.step, progress=progress)

    def on_eval(t: Trainer) -> None:
        logger.log({"kind": "eval", **evaluate(_run_from_trainer(t, run_dir, False)),
                    "train_seconds": round(t.train_seconds, 3)})

    def on_sample(t: Trainer) -> None:
        if len(t.source.shape) != 3:
            return
        n, nrow = grid_layout(t.n_classes)
        images = _run_from_trainer(t, run_dir, False).sample(n, seed=EVAL_SEED)     # the same noise every time
        (run_dir / "samples").mkdir(exist_ok=True)
        save_grid(images, run_dir / "samples" / f"step-{t.step:07d}.png", nrow=nrow)
        logger.image("samples", image_grid(images, nrow=nrow), t.step)

    def on_diag(t: Trainer) -> None:
        logger.log({"kind": "diag", "step": t.step, **t.diagnose()})
        logger.histograms("weights/critic", t.D, t.step)
        logger.histograms("weights/generator", t.G, t.step)

    try:
        completed = tr.fit(logger, on_eval=on_eval, stop_after=stop_after, on_sample=on_sample, on_diag=on_diag)
        logger.bar.close()
        run = _run_from_trainer(tr, run_dir, completed)
        if completed:
            result = {**evaluate(run), "train_seconds": round(tr.train_seconds, 3)}
            logger.log({"kind": "eval", **result})
            _write_json(run_dir / "eval.json", result)
            write_pictures(run)
    finally:
        logger.close()
    return run


def load_run(run_dir: str | Path, device: str = "cpu") -> Run:
    """Load a run directory's latest checkpoint (EMA generator when the run used EMA)."""
    run_dir = Path(run_dir)
    cfg = read_run_config(run_dir)
    state = load_checkpoint(run_dir / CKPT_NAME, map_location="cpu")
    dev = resolve_device(device)
    data_shape = tuple(int(s) for s in state["data_shape"])
    n_classes = int(state.get("n_classes", 0))
    table = state.get("table")
    spans = TableEncoder.from_state(table).categorical_spans if table is not None else ()
    g, d = build_networks(cfg.model, data_shape, n_classes, spans)
    try:
        g.load_state_dict(state["ema"] if state.get("ema") is not None else state["generator"])
        d.load_state_dict(state["critic"])
    except (RuntimeError, KeyError) as e:
        raise UserError(f"checkpoint in '{run_dir}' does not match its config.json ({str(e).splitlines()[0]})") from None
    completed = int(state["step"]) >= cfg.train.iterations
    return Run(cfg, run_dir, int(state["step"]), g.to(dev).eval(), d.to(dev).eval(), data_shape, completed, n_classes,
               table, state.get("text"), state.get("signal"))


def sample(run: Run | str | Path, n: int, seed: int = 0, classes: int | list[int] | None = None) -> torch.Tensor:
    """``n`` samples from a run (or a run directory); ``classes`` for conditional runs."""
    run = run if isinstance(run, Run) else load_run(run)
    return run.sample(n, seed=seed, classes=classes)


def _write_json(path: Path, obj: dict) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(obj, indent=2) + "\n")
    os.replace(tmp, path)


def labelled_data(data_path: str | Path, resolution: int = 0):
    """``((x_train, y_train), (x_test, y_test) or None)`` from an .npz (x_train/y_train, optional
    x_test/y_test) or an image folder / .tar.gz with class sub-folders (optional test/ split)."""
    import numpy as np

    from wgangp.data.images import as_nchw_uint8

    path = Path(data_path)
    if not path.exists():
        raise UserError(f"classifier data '{data_path}' not found")
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as npz:
            if "x_train" not in npz.files or "y_train" not in npz.files:
                raise UserError(f"'{data_path}' holds {', '.join(npz.files)}; the classifier needs x_train and y_train")
            x, y = as_nchw_uint8(npz["x_train"], str(path)), torch.from_numpy(npz["y_train"].astype("int64"))
            test = ((as_nchw_uint8(npz["x_test"], str(path)), torch.from_numpy(npz["y_test"].astype("int64")))
                    if "x_test" in npz.files and "y_test" in npz.files else None)
        return (x, y), test
    if path.is_file() and not path.name.endswith((".tar.gz", ".tgz", ".tar")):
        raise UserError(f"classifier data '{data_path}' must be an .npz (x_train, y_train) or an image folder / "
                        ".tar.gz with one sub-folder per class")
    from wgangp.data.folder import load_labelled_folder

    x, y, names = load_labelled_folder(str(path), resolution)
    if y is None:
        raise UserError(f"images under '{data_path}' are not in class sub-folders (one folder per class, at least "
                        "two); the classifier needs labels")
    xt, yt, test_names = load_labelled_folder(str(path), resolution, split="test")
    if yt is not None and test_names != names:
        raise UserError(f"the test/ classes under '{data_path}' ({', '.join(test_names)}) differ from train/ ({', '.join(names)})")
    return (x, y), ((xt, yt) if yt is not None else None)


def train_classifier(data_path: str | Path, out: str | Path, epochs: int = 2, seed: int = 0,
                     resolution: int = 0) -> dict:
    """Train the in-project classifier on labelled images -- an .npz with ``x_train``/``y_train``
    (and, if present, ``x_test``/``y_test`` for its accuracy) or an image folder / .tar.gz with one
    sub-folder per class (and optionally train/ and test/ splits) -- and save it as a TorchScript
    feature net at ``out``. ``resolution`` resizes folder images as ``data.resolution`` does."""
    from wgangp.metrics.classifier import accuracy, save_classifier
    from wgangp.metrics.classifier import train_classifier as fit

    (x, y), test = labelled_data(data_path, resolution)
    if y.min() < 0:
        raise UserError(f"labels in '{data_path}' must be 0..K-1, found {int(y.min())}")
    model = fit(x, y, epochs=epochs, seed=seed)
    result = {"n_train": len(x), "n_classes": int(y.max()) + 1,
              "test_accuracy": accuracy(model, *test) if test is not None else None}
    save_classifier(model, out, x.shape[-1], info=result)
    return result


__all__ = ["Run", "train", "load_run", "sample", "evaluate", "evaluate_images", "load_images", "save_samples", "write_pictures", "toy_distribution",
           "train_classifier"]
