"""The live view's panels for 2-D points (GAN Lab's picture, with the paper's critic): the critic's
value surface on a grid (Figure 1 of the paper), real and generated points, the direction the
generator's loss pushes some generated points (``grad D`` there), the image of a grid of noise
(the generator's transformation; noise dimensions past the first two held at 0), and the
histogram of ``||grad D||`` at random interpolates, which the gradient penalty pulls to 1."""
from __future__ import annotations

import numpy as np
import torch

from wgangp.objectives import critic_input_gradients, critic_values

N_POINTS = 256                   # real and generated points drawn
N_ARROWS = 48                    # generated points with their gradient arrow
GRID = 40                        # the critic surface: GRID x GRID values
NOISE_LINES, NOISE_STEPS = 9, 24  # the noise grid: lines per axis, points per line
SEED = 20_171_107


def _fixed(run, cache: dict, reference) -> dict:
    """Real points, noise, interpolation weights and the plane's bounds: drawn once per run."""
    if "real" not in cache:
        gen = torch.Generator().manual_seed(SEED)
        real = reference(run, N_POINTS, SEED).float().cpu()
        lim = 1.3 * float(real.abs().quantile(0.995).clamp_min(1e-3))
        d = run.config.model.noise_dim
        t = torch.linspace(-2.5, 2.5, NOISE_STEPS)
        lines = [torch.stack([t, torch.full_like(t, v)], 1) for v in torch.linspace(-2.5, 2.5, NOISE_LINES)]
        lines += [torch.stack([torch.full_like(t, v), t], 1) for v in torch.linspace(-2.5, 2.5, NOISE_LINES)]
        grid = torch.cat(lines)
        noise_grid = torch.cat([grid, torch.zeros(len(grid), max(0, d - 2))], 1)[:, :d] if d >= 2 else None
        axis = torch.linspace(-lim, lim, GRID)
        yy, xx = torch.meshgrid(axis, axis, indexing="ij")
        cache.update(real=real, z=torch.randn(N_POINTS, d, generator=gen), alpha=torch.rand(N_POINTS, 1, generator=gen),
                     lim=lim, plane=torch.stack([xx.reshape(-1), yy.reshape(-1)], 1), noise_grid=noise_grid)
    return cache


def _rounded(t: torch.Tensor, digits: int = 4) -> list:
    return np.round(t.detach().cpu().double().numpy(), digits).tolist()


def plane(run, cache: dict, reference) -> dict:
    c = _fixed(run, cache, reference)
    G, D = run.generator, run.critic
    dev = next(G.parameters()).device
    real = c["real"].to(dev)
    with torch.no_grad():
        fake = G(c["z"].to(dev)).float()
        manifold = G(c["noise_grid"].to(dev)).float() if c["noise_grid"] is not None else None
        value = critic_values(D, c["plane"].to(dev))            # the surface needs no gradient
    x_hat = c["alpha"].to(dev) * real + (1 - c["alpha"].to(dev)) * fake
    _, grads = critic_input_gradients(D, torch.cat([fake[:N_ARROWS], x_hat]))   # one backward for both
    push, g_hat = grads[:N_ARROWS], grads[N_ARROWS:]
    norms = g_hat.norm(dim=1).cpu().numpy()
    counts, edges = np.histogram(norms, bins=30, range=(0.0, max(2.0, float(np.quantile(norms, 0.99)))))
    return {"kind": "plane", "lim": c["lim"], "grid": GRID, "surface": _rounded(value.view(GRID, GRID), 3),
            "real": _rounded(c["real"]), "fake": _rounded(fake), "push": _rounded(push),
            "manifold": _rounded(manifold.view(2 * NOISE_LINES, NOISE_STEPS, 2)) if manifold is not None else None,
            "grad_norm": {"edges": np.round(edges, 4).tolist(), "counts": counts.tolist(),
                          "mean": float(norms.mean())}}
