"""Augmentation of image data sets with a conditional run (``wgangp augment`` for images).

* ``.npz`` in -> ``.npz`` out: ``x_train`` (the real images as uint8 NHWC, then the synthetic
  ones), ``y_train``, ``synthetic`` (bool per row); other arrays (``x_test``...) copied unchanged.
* image folder (or .tar.gz) with class sub-folders in -> folder out: the real files copied into
  their class folders, synthetic ones added as ``synthetic_NNNNNN.png``, and ``augment.json``
  with the counts per class.

With ``filter_net`` (a classifier from ``wgangp classifier``, trained on real data only) a synthetic
sample is kept only if the classifier assigns it the class it was generated for; more are drawn
until every class has its count. The share accepted per class is reported; a class the classifier
accepts too rarely is a clear error, not an endless loop.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

import numpy as np
import torch

from wgangp.domains.base import plan
from wgangp.errors import UserError
from wgangp.domains.images.export import to_uint8_nhwc


def augment_images(run, out: Path, per_class: int | None, seed: int, filter_net, max_draws: int) -> dict:
    """Write the augmented image set to ``out`` (the input's own format, see the module docstring)."""
    src = run.config.data.path
    if not src:
        raise UserError(f"the run's data (data.name={run.config.data.name}) is not a file or folder; augment writes "
                        "the input's own format, so it needs an .npz or an image folder")
    if Path(src).resolve() == out.resolve():
        raise UserError("the output must not be the input data set")
    if max_draws < 1:
        raise UserError(f"max_draws must be at least 1, got {max_draws}")
    net = _classifier(filter_net, run) if filter_net is not None else None
    accepted: list[float | None] = [None] * run.n_classes

    def generate(n_new: list[int]):
        xs, ys = [], []
        for k, n in enumerate(n_new):
            if not n:
                continue
            if net is None:
                xs.append(to_uint8_nhwc(run.sample(n, seed=seed + k, classes=k)))
            else:
                x, accepted[k] = _filtered(run, net, k, n, seed, max_draws)
                xs.append(x)
            ys.append(np.full(n, k, np.int64))
        if not xs:
            return np.zeros((0, *run.data_shape[1:], run.data_shape[0]), np.uint8), np.zeros(0, np.int64)
        return np.concatenate(xs), np.concatenate(ys)

    report = (_augment_npz if src.endswith(".npz") else _augment_folder)(run, src, out, per_class, generate)
    if net is not None:
        report["accepted"] = [None if a is None else round(a, 4) for a in accepted]
    return report


def _classifier(filter_net, run):
    """The filter net, checked once: it has class logits, as many as the run has classes."""
    from wgangp.metrics.classifier import as_input
    from wgangp.metrics.features import as_feature_net

    net = as_feature_net(filter_net)
    if not hasattr(getattr(net, "net", net), "logits"):             # a loaded file wraps the net
        raise UserError("the filter needs a classifier with class logits (made with 'wgangp classifier')")
    with torch.no_grad():
        width = net.logits(as_input(torch.zeros((1, *run.data_shape), dtype=torch.uint8))).shape[1]
    if width != run.n_classes:
        raise UserError(f"the filter classifier has {width} classes, the run {run.n_classes}")
    return net


def _filtered(run, net, k: int, n: int, seed: int, max_draws: int) -> tuple[np.ndarray, float]:
    """``n`` uint8 NHWC samples of class ``k`` that ``net`` classifies as ``k``, and the share accepted."""
    from wgangp.metrics.classifier import predict

    kept, n_kept, n_good, drawn, rnd = [], 0, 0, 0, 0
    while n_kept < n:
        if drawn >= max_draws * n:
            raise UserError(f"class {k}: the filter classifier accepted {n_good} of {drawn} generated samples "
                            f"({n_good / drawn:.1%}); the generator does not make this class reliably yet "
                            f"(train longer, or augment without the filter)")
        m = min(max(2 * (n - n_kept), 64), max_draws * n - drawn)
        x = to_uint8_nhwc(run.sample(m, seed=seed + k + rnd * run.n_classes, classes=k))
        good = x[(predict(net, torch.from_numpy(x).permute(0, 3, 1, 2)) == k).numpy()]   # judged as written
        n_good += len(good)
        kept.append(good[:n - n_kept])
        n_kept += len(kept[-1])
        drawn += m
        rnd += 1
    return np.concatenate(kept), n_good / drawn


def _augment_npz(run, src: str, out: Path, per_class, generate) -> dict:
    from wgangp.data.images import as_nchw_uint8, load_array_labels

    key = run.config.data.key or "x_train"
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    if key not in arrays:
        raise UserError(f"'{src}' has no '{key}' array to augment")
    real = as_nchw_uint8(arrays[key], src).permute(0, 2, 3, 1).numpy()
    labels = load_array_labels(src, key, len(real))
    if labels is None:
        raise UserError(f"'{src}' has no labels beside '{key}' (y_train); augment needs them")
    y = labels.numpy()
    counts = np.bincount(y, minlength=run.n_classes).tolist()
    new = plan(counts, per_class)
    x_new, y_new = generate(new)
    label_key = "y" + key[1:] if key.startswith("x") else "y_train"
    arrays[key] = np.concatenate([real, x_new])
    arrays[label_key] = np.concatenate([y, y_new]).astype(np.int64)
    arrays["synthetic"] = np.concatenate([np.zeros(len(real), bool), np.ones(len(x_new), bool)])
    tmp = out.with_name(f".{out.name}.tmp")
    with open(tmp, "wb") as f:
        np.savez(f, **arrays)
    os.replace(tmp, out)
    return {"real": counts, "synthetic": new}


def _augment_folder(run, src: str, out: Path, per_class, generate) -> dict:
    from PIL import Image

    from wgangp.data.folder import image_files, class_names, split_folder

    root = split_folder(src)
    files = image_files(root) if root is not None else []
    names = class_names(root, files) if files else None
    if names is None:
        raise UserError(f"'{src}' has no class sub-folders; augment needs one folder per class")
    if len(names) != run.n_classes:
        raise UserError(f"'{src}' has {len(names)} classes but the run was trained with {run.n_classes}")
    counts = [0] * len(names)
    for f in files:
        counts[names.index(f.relative_to(root).parts[0])] += 1
    new = plan(counts, per_class)
    x_new, y_new = generate(new)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        for f in files:
            dest = tmp / f.relative_to(root)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(f, dest)
        for i, (img, k) in enumerate(zip(x_new, y_new)):
            Image.fromarray(img[..., 0] if img.shape[-1] == 1 else img).save(tmp / names[k] / f"synthetic_{i:06d}.png")
        report = {"classes": names, "real": counts, "synthetic": new}
        (tmp / "augment.json").write_text(json.dumps(report, indent=2) + "\n")
        os.replace(tmp, out)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        raise UserError(f"cannot write '{out}' ({e.strerror or e})") from None
    return {"real": counts, "synthetic": new}
