"""Critic diagnostic figures (the paper's Figure 1): the histogram of the critic's weights and the
per-layer gradient norms logged every ``train.diag_every`` iterations."""
from __future__ import annotations

from pathlib import Path

import torch

from wgangp.diagnostics import layer_series
from wgangp.viz.toy import pyplot


@torch.no_grad()
def critic_weights(critic: torch.nn.Module, path: Path, clip_value: float | None = None, title: str = "",
                   bins: int = 100) -> Path:
    """Histogram of every critic weight (tensors of two or more dimensions; Figure 1b). With
    ``clip_value`` the clipping range is marked: clipping piles the weights up at its two ends."""
    plt = pyplot()
    w = torch.cat([p.detach().float().flatten().cpu() for p in critic.parameters() if p.dim() >= 2])
    fig, ax = plt.subplots(figsize=(5.5, 3.5))
    ax.hist(w.numpy(), bins=bins, color="C0")
    if clip_value is not None:
        for x in (-clip_value, clip_value):
            ax.axvline(x, color="C3", ls="--", lw=1)
    ax.set_xlabel("critic weight")
    ax.set_ylabel("count")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def gradient_norms(rows: list[dict], path: Path, title: str = "", curves: int = 4) -> Path | None:
    """Per-layer gradient norms (log scale) against the layer's depth, one line for each of up to
    ``curves`` diagnostic steps spread over the run (Figure 1a). None when the run logged none."""
    layers, steps, values = layer_series(rows, "grad_norm")
    if not layers:
        return None
    plt = pyplot()
    picks = sorted({round(i * (len(steps) - 1) / max(curves - 1, 1)) for i in range(curves)})
    fig, ax = plt.subplots(figsize=(6, 4))
    depth = list(range(1, len(layers) + 1))
    for i in picks:
        ax.plot(depth, values[i], "o-", ms=3, label=f"iteration {steps[i]}")
    ax.set_yscale("log")
    ax.set_xlabel("critic layer (1 = input side)")
    ax.set_ylabel("gradient norm of E[D(x~)] - E[D(x)]")
    ax.set_xticks(depth)
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3, which="both")
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
