"""Toy-run figures, written as PNG files with matplotlib's Agg backend (no display needed)."""
from __future__ import annotations

from pathlib import Path

import torch


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


@torch.no_grad()
def critic_surface(critic: torch.nn.Module, real: torch.Tensor, fake: torch.Tensor, path: Path,
                   title: str = "", n_grid: int = 128) -> Path:
    """Contour plot of ``D(x)`` over the plane with real (orange) and generated (green) points.

    ``real`` and ``fake`` are ``(N, 2)``; the critic is evaluated on an ``n_grid^2`` grid covering
    both sets with a margin (as Figure 1 of the paper and ``gan_toy.py``'s ``generate_image``).
    """
    plt = pyplot()
    real, fake = real.detach().float().cpu(), fake.detach().float().cpu()
    lim = 1.2 * float(torch.cat([real, fake]).abs().quantile(0.995).clamp_min(1e-3))
    axis = torch.linspace(-lim, lim, n_grid)
    xx, yy = torch.meshgrid(axis, axis, indexing="xy")
    grid = torch.stack([xx.flatten(), yy.flatten()], dim=1)
    device = next(critic.parameters()).device
    out = critic(grid.to(device)).float().cpu()
    values = out.reshape(len(grid), -1)[:, 0].reshape(n_grid, n_grid)    # the value column (conditional: 1 + K)
    fig, ax = plt.subplots(figsize=(5.5, 5))
    cs = ax.contour(xx.numpy(), yy.numpy(), values.numpy(), levels=20, cmap="viridis", linewidths=0.8)
    fig.colorbar(cs, ax=ax, label="critic value D(x)")
    ax.scatter(real[:, 0], real[:, 1], s=2, c="orange", marker="+", label="real")
    ax.scatter(fake[:, 0], fake[:, 1], s=2, c="green", marker="+", label="generated")
    ax.set_xlim(-lim, lim)
    ax.set_ylim(-lim, lim)
    ax.set_aspect("equal")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.06), ncol=2, markerscale=4, fontsize=8, frameon=False)
    ax.set_title(title, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)


def training_curves(rows: list[dict], path: Path, title: str = "") -> Path:
    """The Wasserstein estimate (−critic loss without the penalty) against generator iterations,
    and, where evaluated, W1 to true samples and the high-quality fraction (point data) or the
    character n-gram JS divergences (text)."""
    plt = pyplot()
    train = [r for r in rows if r.get("kind") == "train"]
    evals = [r for r in rows if r.get("kind") == "eval" and ("w1" in r or "js1" in r)]
    fig, axes = plt.subplots(1, 2 if evals else 1, figsize=(10 if evals else 5.5, 4), squeeze=False)
    ax = axes[0, 0]
    ax.plot([r["step"] for r in train], [r["w_estimate"] for r in train], lw=1)
    ax.set_xlabel("generator iterations")
    ax.set_ylabel("Wasserstein estimate  E[D(x)] - E[D(G(z))]")
    ax.set_title(title, fontsize=9)
    ax.grid(alpha=0.3)
    if evals:
        ax2 = axes[0, 1]
        steps = [r["step"] for r in evals]
        if "w1" in evals[0]:
            ax2.plot(steps, [r["w1"] for r in evals], "o-", label="W1 to true samples")
            ax2.set_ylabel("exact W1")
            ax2.set_yscale("log")
        else:
            for n in range(1, 5):
                ax2.plot(steps, [r[f"js{n}"] for r in evals], "o-", ms=3, label=f"JS divergence, {n}-grams")
            ax2.set_ylabel("JS divergence to the corpus (bits)")
        ax2.set_xlabel("generator iterations")
        if evals[0].get("high_quality") is not None:
            ax3 = ax2.twinx()
            ax3.plot(steps, [r["high_quality"] for r in evals], "s--", c="C1", label="high-quality fraction")
            ax3.set_ylabel("high-quality fraction")
            ax3.set_ylim(0, 1)
            ax3.legend(loc="center right", fontsize=8)
        ax2.legend(loc="upper right", fontsize=8)
        ax2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return Path(path)
