"""Pictures of a run: the critic's value surface (the paper's Figure 1) and training curves."""
from wgangp.viz.images import grid as image_grid
from wgangp.viz.images import save_grid
from wgangp.viz.toy import critic_surface, training_curves

__all__ = ["critic_surface", "image_grid", "save_grid", "training_curves"]
