"""Inception Score (Salimans et al. 2016): ``exp(E_x KL(p(y|x) || p(y)))`` from class logits.

The samples are cut into ``splits`` contiguous parts (as in the original improved-GAN code); each
part gives a score with its own marginal ``p(y)``, and we report their mean and std (ddof=0).
The score lies in ``[1, K]`` for ``K`` classes: 1 when every prediction equals the marginal, ``K``
when predictions are confident and the classes are used evenly. It needs a classifier with logits
(the shared FID TorchScript net gives pool3 features only; torch-fidelity's standard Inception
gives ``logits_unbiased``).
"""
from __future__ import annotations

import math

import torch

from wgangp.errors import UserError


def inception_score(logits: torch.Tensor, splits: int = 10, probs: bool = False) -> dict:
    """``{"is_mean", "is_std"}`` from ``logits (N, K)`` (or probabilities if ``probs=True``)."""
    z = torch.as_tensor(logits).detach().cpu().double()
    if z.ndim != 2 or z.shape[1] < 2:
        raise UserError(f"inception_score takes class logits (N, K) with K >= 2, got {tuple(z.shape)}")
    n = z.shape[0]
    if splits < 1 or n < splits:
        raise UserError(f"inception_score needs at least `splits` ({splits}) samples, got {n}")
    if probs:
        if (z < 0).any() or not torch.allclose(z.sum(1), torch.ones(n, dtype=z.dtype), atol=1e-6):
            raise UserError("probs=True expects rows of probabilities summing to 1; pass logits instead")
        log_p = z.clamp_min(1e-300).log()
    else:
        log_p = torch.log_softmax(z, dim=1)                      # log p(y|x), (N, K)
    scores = []
    for i in range(splits):
        part = log_p[i * n // splits:(i + 1) * n // splits]
        log_py = torch.logsumexp(part, dim=0) - math.log(len(part))   # log p(y), (K,)
        kl = (part.exp() * (part - log_py)).sum(dim=1)                 # KL per sample, (n_i,)
        scores.append(kl.mean().exp())
    s = torch.stack(scores)
    return {"is_mean": float(s.mean()), "is_std": float(s.std(unbiased=False))}
