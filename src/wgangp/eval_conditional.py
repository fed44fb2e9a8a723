"""Evaluation of a class-conditional run: class accuracy, intra-class FID, TSTR (see
:mod:`wgangp.metrics.conditional`). Used by ``wgangp eval RUN --metrics class_accuracy,intra_fid,tstr``."""
from __future__ import annotations

import torch

from wgangp.errors import UserError

CONDITIONAL_METRICS = ("class_accuracy", "intra_fid", "tstr")


def evaluate_conditional(run, metrics: list[str], feature_net=None, n_per_class: int = 1000, seed: int = 0,
                         epochs: int = 2) -> dict:
    """``class_accuracy`` and ``intra_fid`` need ``feature_net`` (a classifier from ``wgangp
    classifier`` for the first); ``tstr`` trains the in-project classifier on ``n_per_class``
    synthetic samples per class and tests it on the run data's held-out split (x_test/y_test or
    test/), beside real-only and real+synthetic training."""
    from wgangp.api import labelled_data
    from wgangp.export import _to_uint8_nhwc
    from wgangp.metrics import conditional as cm
    from wgangp.metrics.features import as_feature_net
    from wgangp.metrics.images import extract_features

    if not run.n_classes:
        raise UserError(f"metrics {', '.join(metrics)} are for class-conditional runs (model.conditional=true)")
    k = run.n_classes
    labels = run.class_labels(k * n_per_class, list(range(k)))         # cycles 0..K-1
    x = run.sample(len(labels), seed=seed, classes=list(range(k)))
    out: dict = {"n_per_class": n_per_class}
    if "class_accuracy" in metrics or "intra_fid" in metrics:
        if feature_net is None:
            raise UserError("class_accuracy / intra_fid need --feature-net (a classifier made with 'wgangp classifier')")
        net = as_feature_net(feature_net)
        if "class_accuracy" in metrics:
            if not hasattr(net, "logits"):
                raise UserError("class_accuracy needs a classifier made with 'wgangp classifier' as --feature-net")
            with torch.no_grad():
                logits = torch.cat([net.logits(x[i:i + 500]) for i in range(0, len(x), 500)])
            out.update(cm.class_accuracy(logits, labels, k))
    needs_real = "intra_fid" in metrics or "tstr" in metrics
    if needs_real:
        if not run.config.data.path:
            raise UserError("intra_fid / tstr need the run's labelled data file or folder (data.path)")
        (xr, yr), test = labelled_data(run.config.data.path, run.config.data.resolution)
    if "intra_fid" in metrics:
        real = xr.float().div(127.5).sub(1.0)
        out.update(cm.intra_class_fid(extract_features(x, net), labels, extract_features(real, net), yr, k))
    if "tstr" in metrics:
        if test is None:
            raise UserError(f"tstr needs held-out real data: x_test/y_test in the .npz or a test/ folder beside train/ "
                            f"in '{run.config.data.path}'")
        synthetic = (torch.from_numpy(_to_uint8_nhwc(x)).permute(0, 3, 1, 2).contiguous(), labels)
        out.update(cm.tstr(synthetic, (xr, yr), test, epochs=epochs, seed=seed))
    return out
