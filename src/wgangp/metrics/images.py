"""Image metrics in one call: batch images through a feature net, then FID / KID / IS.

Images are float tensors ``(N, C, H, W)`` in ``[-1, 1]``, on any device; they are moved to the
feature net's device one batch at a time, and features come back to the CPU.
"""
from __future__ import annotations

import torch
from torch import nn

from wgangp.errors import UserError
from wgangp.metrics.fid import feature_stats, fid_from_stats
from wgangp.metrics.inception_score import inception_score
from wgangp.metrics.kid import kid

METRICS = ("fid", "kid", "is")


def _device_of(net: nn.Module) -> torch.device:
    for t in net.parameters():
        return t.device
    for t in net.buffers():
        return t.device
    return torch.device("cpu")


@torch.no_grad()
def extract_features(images: torch.Tensor, net: nn.Module, batch_size: int = 50) -> torch.Tensor:
    """``(N, C, H, W)`` images -> ``(N, D)`` float32 CPU features, ``batch_size`` at a time."""
    if not isinstance(images, torch.Tensor) or images.ndim != 4:
        raise UserError(f"images must be a tensor (N, C, H, W), got "
                        f"{getattr(images, 'shape', type(images).__name__)}")
    device = _device_of(net)
    try:
        out = [net(images[i:i + batch_size].to(device)).float().cpu()
               for i in range(0, len(images), batch_size)]
    except RuntimeError as e:            # e.g. a feature net made for another channel count or size
        raise UserError(f"the feature net failed on images of shape {tuple(images.shape[1:])} "
                        f"({str(e).strip().splitlines()[-1][:200]}); is it the right net for this data?") from None
    return torch.cat(out)


def compute_image_metrics(fake_images: torch.Tensor, real, feature_net: nn.Module,
                          metrics=("fid", "kid"), batch_size: int = 50, classifier: nn.Module | None = None,
                          kid_subsets: int = 100, kid_subset_size: int = 1000) -> dict:
    """Metrics of generated images against real images or real ``(mu, sigma)`` statistics.

    ``real``: images ``(M, C, H, W)`` in ``[-1, 1]`` or a ``(mu (D,), sigma (D, D))`` pair (FID only).
    ``"is"`` needs ``classifier`` (images -> logits ``(N, K)``). Returns ``{"fid"}``,
    ``{"kid_mean", "kid_std"}`` and ``{"is_mean", "is_std"}`` as requested, plus ``n_fake``.
    """
    unknown = set(metrics) - set(METRICS)
    if unknown:
        raise UserError(f"unknown image metric(s) {sorted(unknown)}; choose from {METRICS}")
    real_is_stats = isinstance(real, (tuple, list))
    if real_is_stats and "kid" in metrics:
        raise UserError("KID needs real features, not (mu, sigma) statistics; pass real images")
    out: dict = {"n_fake": len(fake_images)}
    if "fid" in metrics or "kid" in metrics:
        fake_f = extract_features(fake_images, feature_net, batch_size)
        real_f = None if real_is_stats else extract_features(real, feature_net, batch_size)
        if "fid" in metrics:
            real_stats = tuple(real) if real_is_stats else feature_stats(real_f)
            out["fid"] = fid_from_stats(*feature_stats(fake_f), *real_stats)
        if "kid" in metrics:
            out.update(kid(fake_f, real_f, num_subsets=kid_subsets, subset_size=kid_subset_size))
    if "is" in metrics:
        if classifier is None:
            raise UserError("the Inception Score needs a classifier that outputs logits; pass "
                            "classifier=load_standard_inception(output='logits_unbiased') or your own")
        out.update(inception_score(extract_features(fake_images, classifier.eval(), batch_size)))
    return out
