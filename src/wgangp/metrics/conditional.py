"""Metrics of class-conditional generators.

* ``class_accuracy``: the share of samples generated for class k that an independent classifier
  labels k, per class (how well the generator obeys its label);
* ``intra_class_fid``: FID between the samples of class k and the real images of class k, per
  class, and their mean;
* ``tstr``: train a classifier on synthetic samples only, test on real held-out data ("train on
  synthetic, test on real"), beside the same classifier trained on real data and on real +
  synthetic -- the figure a user of augmentation wants.
"""
from __future__ import annotations

import torch

from wgangp.metrics.fid import feature_stats, fid_from_stats


def class_accuracy(logits: torch.Tensor, labels: torch.Tensor, n_classes: int) -> dict:
    """``{"class_accuracy": mean over classes, "class_accuracies": [per class]}`` from classifier
    logits ``(N, K')`` of samples generated for ``labels (N,)``."""
    pred = logits.argmax(1)
    per = []
    for k in range(n_classes):
        mask = labels == k
        per.append(float((pred[mask] == k).float().mean()) if mask.any() else float("nan"))
    return {"class_accuracy": float(torch.tensor(per).nanmean()), "class_accuracies": [round(a, 4) for a in per]}


def intra_class_fid(fake_features: torch.Tensor, fake_labels: torch.Tensor, real_features: torch.Tensor,
                    real_labels: torch.Tensor, n_classes: int) -> dict:
    """Per-class FID (features ``(N, D)``; at least 2 samples per class on each side) and the mean."""
    per = []
    for k in range(n_classes):
        f, r = fake_features[fake_labels == k], real_features[real_labels == k]
        per.append(fid_from_stats(*feature_stats(f), *feature_stats(r)) if len(f) > 1 and len(r) > 1 else float("nan"))
    return {"intra_fid": float(torch.tensor(per).nanmean()), "intra_fids": [round(v, 3) for v in per]}


def tstr(synthetic: tuple[torch.Tensor, torch.Tensor], real_train: tuple[torch.Tensor, torch.Tensor],
         real_test: tuple[torch.Tensor, torch.Tensor], epochs: int = 2, seed: int = 0) -> dict:
    """Test accuracy on real held-out data of the in-project classifier trained on synthetic only
    (``tstr``), real only (``trtr``) and real + synthetic (``trrs``). Images uint8 ``(N, C, H, W)``."""
    from wgangp.metrics.classifier import accuracy, train_classifier

    out = {}
    both = (torch.cat([real_train[0], synthetic[0]]), torch.cat([real_train[1], synthetic[1]]))
    for name, (x, y) in (("tstr", synthetic), ("trtr", real_train), ("trrs", both)):
        out[f"{name}_accuracy"] = accuracy(train_classifier(x, y, epochs=epochs, seed=seed), *real_test)
    return out
