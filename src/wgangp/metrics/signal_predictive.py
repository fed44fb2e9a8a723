"""TimeGAN's predictive score (Yoon, Jarrett & van der Schaar 2019): train on synthetic, predict real.

A small GRU reads a series step by step and predicts each next step from the steps before it
(one step ahead, every channel). Trained on the synthetic series, its mean absolute error on real
series says whether the synthetic ones carry the real dynamics; the same GRU trained on real series
gives the reference. Both are tested on the same held-out 20% of the real series (the reference
never sees them), and both see the series standardised per channel with the real series' mean and
standard deviation; errors are reported back in the input's units.
"""
from __future__ import annotations

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from wgangp.errors import UserError


class NextStepGRU(nn.Module):
    """``(N, C, L)`` standardised series -> predictions ``(N, C, L - 1)`` of steps ``1 .. L-1``,
    each from the steps before it (a GRU of ``hidden`` units and a linear read-out)."""

    def __init__(self, channels: int, hidden: int = 16):
        super().__init__()
        self.gru = nn.GRU(channels, hidden, batch_first=True)
        self.head = nn.Linear(hidden, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(x[:, :, :-1].transpose(1, 2))             # (N, L - 1, hidden)
        return self.head(h).transpose(1, 2)


def fit_gru(x: torch.Tensor, epochs: int, seed: int, hidden: int = 16, batch_size: int = 32,
            lr: float = 5e-3) -> NextStepGRU:
    """A :class:`NextStepGRU` fitted with Adam on the L1 error of its one-step-ahead predictions of
    standardised ``x (N, C, L)`` (seeded; the global random state is left as it was)."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = NextStepGRU(x.shape[1], hidden)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=gen).split(batch_size):
            loss = F.l1_loss(model(x[idx]), x[idx, :, 1:])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model.eval()


@torch.no_grad()
def _mae(model: NextStepGRU, x: torch.Tensor, std: torch.Tensor) -> float:
    """Mean absolute one-step-ahead error on standardised ``x``, in the units ``std`` undoes."""
    return float(((model(x) - x[:, :, 1:]).abs() * std).mean())


def predictive_score(real, synthetic, seed: int = 0, epochs: int = 50, hidden: int = 16) -> dict:
    """``{"predictive_score": MAE of the GRU trained on synthetic, "predictive_score_real": MAE of
    the GRU trained on 80% of the real series}``, both on the other 20% of ``real (N, C, L)``, in the
    units of the series given; ``synthetic (M, C, L)``. Lower is better; the first near the second
    means the synthetic series predict real ones as well as real ones do."""
    real = torch.as_tensor(np.asarray(real, dtype=np.float32))
    synthetic = torch.as_tensor(np.asarray(synthetic, dtype=np.float32))
    if real.shape[1:] != synthetic.shape[1:] or real.shape[2] < 3:
        raise UserError(f"the predictive score needs real {tuple(real.shape[1:])} and synthetic "
                        f"{tuple(synthetic.shape[1:])} series of one shape (C, L), L >= 3")
    if len(real) < 5 or len(synthetic) < 2:
        raise UserError(f"the predictive score needs at least 5 real and 2 synthetic series, got {len(real)} and "
                        f"{len(synthetic)}")
    mean = real.mean(dim=(0, 2), keepdim=True)
    std = real.std(dim=(0, 2), keepdim=True).clamp_min(1e-8)
    order = torch.randperm(len(real), generator=torch.Generator().manual_seed(seed))
    held, fit = order[:max(1, len(real) // 5)], order[max(1, len(real) // 5):]
    test = (real[held] - mean) / std
    out = {}
    for key, train in (("predictive_score", synthetic), ("predictive_score_real", real[fit])):
        model = fit_gru((train - mean) / std, epochs, seed, hidden)
        out[key] = _mae(model, test, std)
    return out
