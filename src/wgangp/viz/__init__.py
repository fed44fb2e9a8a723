"""Pictures of a run: the critic's value surface, weight histogram and per-layer gradient norms (the
paper's Figure 1), training curves, sample grids."""
from wgangp.viz.diagnostics import critic_weights, gradient_norms
from wgangp.viz.images import grid as image_grid
from wgangp.viz.images import save_grid
from wgangp.viz.toy import critic_surface, training_curves

__all__ = ["critic_surface", "critic_weights", "gradient_norms", "image_grid", "save_grid", "training_curves"]
