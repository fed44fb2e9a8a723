"""Image metrics of a run, registered by name: sliced W1 (the default), exact W1 (opt-in, in
:mod:`wgangp.domains.points`), FID / KID / IS / class coverage and, for class-conditional runs,
class accuracy, intra-class FID and train-on-synthetic-test-on-real; plus the same set metrics for
two image sets without a run (:func:`evaluate_images`).

Real FID statistics are cached per feature net under a key that covers everything that determines
them (:func:`reference_key`): the whole data config that selects the images (path, its size and
modification time, ``data.key``, ``lsun_class``, ``max_images``, ``resolution``), the sample count,
the evaluation seed, the image shape and the feature net's hash. The training seed is not part of
it: the reference draw does not depend on it.
"""
from __future__ import annotations

import dataclasses
from pathlib import Path

import torch

from wgangp.data.folder import cache_root
from wgangp.errors import UserError
from wgangp.metrics.registry import register_metric
from wgangp.metrics.sliced import sliced_w1

# data config keys that do not change which real images a reference draw holds
_NOT_REFERENCE = ("batch_size", "download", "dequantize", "seq_len", "max_lines", "label", "categorical", "holdout")


def _file_identity(path: str) -> list:
    """A file's resolved path, size and modification time; for a folder (an image folder, the
    folder of LSUN's lmdb databases, a torchvision root) the count, total size and newest
    modification time of every file under it, so that an edited image changes the key."""
    p = Path(path)
    if not path or not p.exists():
        return [path]
    if p.is_dir():
        stats = [f.stat() for f in p.rglob("*") if f.is_file()]
        return [str(p.resolve()), len(stats), sum(st.st_size for st in stats), max((st.st_mtime_ns for st in stats), default=0)]
    st = p.stat()
    return [str(p.resolve()), st.st_size, st.st_mtime_ns]


def reference_key(data_cfg, n: int, seed: int, shape) -> dict:
    """What the real images of a run's reference draw depend on (the stats cache key, less the net)."""
    data = {k: v for k, v in dataclasses.asdict(data_cfg).items() if k not in _NOT_REFERENCE}
    return {"data": data, "file": _file_identity(data_cfg.path), "n": n, "seed": seed, "shape": list(shape)}


def _net(ctx, classifier: bool = False):
    """The feature net of this evaluation, loaded once (``classifier``: it must have class logits)."""
    from wgangp.metrics.features import as_feature_net

    if "net" not in ctx.cache:
        ctx.cache["net"] = as_feature_net(ctx.feature_net or ctx.run.config.train.feature_net or None,
                                          weights_path=ctx.feature_weights)
    net = ctx.cache["net"]
    if classifier and not hasattr(net, "logits"):
        raise UserError("this metric needs --feature-net CLASSIFIER.pt made with 'wgangp classifier' (class logits)")
    return net


def _features(ctx, which: str) -> torch.Tensor:
    from wgangp.metrics.images import extract_features

    key = f"features/{which}"
    if key not in ctx.cache:
        images = ctx.samples() if which == "fake" else ctx.reference()
        ctx.cache[key] = extract_features(images, _net(ctx))
    return ctx.cache[key]


def _logits(net, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([net.logits(x[i:i + 500]) for i in range(0, len(x), 500)])


@register_metric("sliced_w1", domains=("images",), best={"sliced_w1": "min"},
                 description="sliced Wasserstein-1 of the flattened pixels over 256 random directions (the default; "
                             "exact w1 is opt-in)")
def _sliced(ctx) -> dict:
    return {"n_samples": ctx.n, "sliced_w1": sliced_w1(ctx.samples(), ctx.reference(), seed=ctx.seed)}


@register_metric("fid", domains=("images",), needs=("feature_net",), best={"fid": "min"},
                 description="Frechet distance of feature-net features (default: the standard FID Inception); real "
                             "statistics cached")
def _fid(ctx) -> dict:
    from wgangp.metrics.fid import cached_stats, feature_stats, fid_from_stats

    net, run = _net(ctx), ctx.run
    key = {**reference_key(run.config.data, ctx.n, ctx.seed + 1, run.data_shape),
           "net": getattr(net, "net_id", type(net).__name__)}
    real = cached_stats(key, lambda: feature_stats(_features(ctx, "real")), cache_root() / "fid-stats")
    return {"fid": fid_from_stats(*feature_stats(_features(ctx, "fake")), *real)}


@register_metric("kid", domains=("images",), needs=("feature_net",), best={"kid_mean": "min"},
                 description="kernel inception distance (unbiased polynomial MMD^2 over 100 subsets): kid_mean, kid_std")
def _kid(ctx) -> dict:
    from wgangp.metrics.kid import kid

    return kid(_features(ctx, "fake"), _features(ctx, "real"), num_subsets=100, subset_size=1000)


@register_metric("is", domains=("images",), needs=("feature_net",), best={"is_mean": "max"},
                 description="Inception Score of the standard Inception's logits (needs its weights: internet or "
                             "--feature-weights)")
def _is(ctx) -> dict:
    from wgangp.metrics.features import load_standard_inception
    from wgangp.metrics.images import compute_image_metrics

    classifier = load_standard_inception(ctx.feature_weights, output="logits_unbiased")
    out = compute_image_metrics(ctx.samples(), ctx.reference(), classifier, metrics=("is",), classifier=classifier)
    out.pop("n_fake", None)
    return out


@register_metric("coverage", domains=("images",), needs=("classifier",), best={"classes_covered": "max"},
                 description="share of samples a classifier puts in each class; classes covered (>= 5%)")
def _coverage(ctx) -> dict:
    from wgangp.metrics.classifier import class_coverage

    return class_coverage(_logits(_net(ctx, classifier=True), ctx.samples()))


def _conditional_samples(ctx) -> tuple[torch.Tensor, torch.Tensor]:
    """``per_class`` samples of every class (cycled 0..K-1) and their labels, drawn once."""
    if "cond" not in ctx.cache:
        run, k = ctx.run, ctx.run.n_classes
        labels = run.class_labels(k * ctx.per_class(), list(range(k)))
        ctx.cache["cond"] = (run.sample(len(labels), seed=ctx.seed, classes=list(range(k))), labels)
    return ctx.cache["cond"]


def _labelled(ctx):
    from wgangp.domains.images.classifier import labelled_data

    if "labelled" not in ctx.cache:
        cfg = ctx.run.config.data
        if not cfg.path:
            raise UserError("intra_fid / tstr need the run's labelled data file or folder (data.path)")
        ctx.cache["labelled"] = labelled_data(cfg.path, cfg.resolution)
    return ctx.cache["labelled"]


@register_metric("class_accuracy", domains=("images",), needs=("conditional", "classifier"),
                 best={"class_accuracy": "max"},
                 description="share of samples generated for class k that a classifier labels k, per class and mean")
def _class_accuracy(ctx) -> dict:
    from wgangp.metrics import conditional as cm

    if not (ctx.feature_net or ctx.run.config.train.feature_net):
        raise UserError("class_accuracy / intra_fid need --feature-net (a classifier made with 'wgangp classifier')")
    x, labels = _conditional_samples(ctx)
    return {"n_per_class": ctx.per_class(),
            **cm.class_accuracy(_logits(_net(ctx, classifier=True), x), labels, ctx.run.n_classes)}


@register_metric("intra_fid", domains=("images",), needs=("conditional", "feature_net", "labelled_data"),
                 best={"intra_fid": "min"},
                 description="FID between the samples and the real images of each class, per class and mean")
def _intra_fid(ctx) -> dict:
    from wgangp.metrics import conditional as cm
    from wgangp.metrics.images import extract_features

    if not (ctx.feature_net or ctx.run.config.train.feature_net):
        raise UserError("class_accuracy / intra_fid need --feature-net (a classifier made with 'wgangp classifier')")
    x, labels = _conditional_samples(ctx)
    (xr, yr), _ = _labelled(ctx)
    net = _net(ctx)
    return {"n_per_class": ctx.per_class(),
            **cm.intra_class_fid(extract_features(x, net), labels, extract_features(xr.float().div(127.5).sub(1.0), net),
                                 yr, ctx.run.n_classes)}


@register_metric("tstr", domains=("images",), needs=("conditional", "labelled_data"), best={"tstr_accuracy": "max"},
                 description="accuracy on the real test split of the in-project classifier trained on synthetic "
                             "(tstr), real (trtr) and real + synthetic (trrs) images")
def _tstr(ctx) -> dict:
    from wgangp.domains.images.export import to_uint8_nhwc
    from wgangp.metrics import conditional as cm

    x, labels = _conditional_samples(ctx)
    (xr, yr), test = _labelled(ctx)
    if test is None:
        raise UserError(f"tstr needs held-out real data: x_test/y_test in the .npz or a test/ folder beside train/ "
                        f"in '{ctx.run.config.data.path}'")
    synthetic = (torch.from_numpy(to_uint8_nhwc(x)).permute(0, 3, 1, 2).contiguous(), labels)
    return {"n_per_class": ctx.per_class(), **cm.tstr(synthetic, (xr, yr), test, epochs=2, seed=ctx.seed)}


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


SET_METRICS = ("sliced_w1", "fid", "kid", "is", "coverage")


def evaluate_images(fake: str | Path | torch.Tensor, real: str | Path | torch.Tensor, metrics: str = "fid",
                    feature_net: str | torch.nn.Module | None = None, feature_weights: str | None = None,
                    n: int | None = None, seed: int = 12_345) -> dict:
    """FID / KID / IS / coverage / sliced W1 of a set of generated images against real images, no run
    needed. ``fake`` and ``real``: paths for :func:`load_images` or float tensors in [-1, 1]; ``n``: a
    random subset of at most ``n`` of each. Real FID statistics of a path are cached."""
    from wgangp.metrics.features import as_feature_net, load_standard_inception
    from wgangp.metrics.fid import cached_stats, feature_stats
    from wgangp.metrics.images import compute_image_metrics, extract_features

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
    unknown = [m for m in names if m not in SET_METRICS]
    if unknown:
        raise UserError(f"unknown metric(s) {', '.join(unknown)} for two image sets; choose from {', '.join(SET_METRICS)}")
    out: dict = {"n_fake": len(x_fake), "n_real": len(x_real)}
    if "sliced_w1" in names:
        out["sliced_w1"] = sliced_w1(x_fake, x_real, seed=seed)
    if "coverage" in names:
        from wgangp.metrics.classifier import class_coverage

        net = as_feature_net(feature_net, weights_path=feature_weights)
        if not hasattr(net, "logits"):
            raise UserError("metric 'coverage' needs --feature-net CLASSIFIER.pt made with 'wgangp classifier'")
        out.update(class_coverage(_logits(net, x_fake)))
    fk = [m for m in names if m in ("fid", "kid")]
    if fk:
        net = as_feature_net(feature_net, weights_path=feature_weights)
        ref = x_real
        if "kid" not in fk and not isinstance(real, torch.Tensor):
            key = {"real": _file_identity(str(real)), "n": len(x_real), "shape": list(x_real.shape[1:]), "seed": seed,
                   "net": getattr(net, "net_id", type(net).__name__)}
            ref = cached_stats(key, lambda: feature_stats(extract_features(x_real, net)), cache_root() / "fid-stats")
        out.update(compute_image_metrics(x_fake, ref, net, metrics=tuple(fk)))
    if "is" in names:
        classifier = load_standard_inception(feature_weights, output="logits_unbiased")
        out.update(compute_image_metrics(x_fake, x_real, classifier, metrics=("is",), classifier=classifier))
    return out
