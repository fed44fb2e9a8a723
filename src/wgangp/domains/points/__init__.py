"""Points: the paper's toy sets (8 Gaussians, 25 Gaussians, Swiss roll) and any point cloud file.

Data: :mod:`wgangp.data.toy`. Metrics: exact W1 to fresh true samples (every kind of vector data
shares it) and, for the Gaussian mixtures, modes captured and the high-quality fraction
(:mod:`wgangp.metrics.toy`). Pictures: the critic's value surface for 2-D data (the paper's Figure 1).
"""
from __future__ import annotations

from wgangp.data.toy import distribution_source, file_source, fixed_mixture_source
from wgangp.domains import shared_metrics  # noqa: F401  (registers w1)
from wgangp.domains.base import EVAL_SEED, Domain, register_domain
from wgangp.errors import UserError
from wgangp.metrics.registry import register_metric
from wgangp.metrics.toy import mode_metrics



SOURCES = {"8gaussians": distribution_source, "25gaussians": fixed_mixture_source, "swissroll": distribution_source,
           "points": file_source}                 # which reader serves each data.name


class Points(Domain):
    name = "points"
    data_names = ("8gaussians", "25gaussians", "swissroll", "points")
    base_metrics = ("w1", "modes")

    def validate(self, cfg) -> None:
        if cfg.data.name == "points" and not cfg.data.path:
            raise UserError("data.name=points needs a file: add --set data.path=FILE.npy (or .csv) with one point per row")

    def build_source(self, data_cfg, seed: int, conditional: bool):
        return SOURCES[data_cfg.name](data_cfg, seed)

    def pictures(self, run, title: str) -> list:
        if run.data_shape != (2,):
            return []
        from wgangp.viz import critic_surface

        real = self.reference(run, 1000, EVAL_SEED + 1)
        return [critic_surface(run.critic, real, run.sample(1000, seed=EVAL_SEED), run.run_dir / "critic_surface.png",
                               title=title)]

    def live_panels(self, run, cache: dict) -> dict:
        if run.data_shape != (2,) or run.n_classes:
            return {}
        from wgangp.domains.points.live import plane

        return plane(run, cache, self.reference)

    def summary(self, m: dict) -> list[str]:
        parts = []
        if m.get("modes_captured") is not None:
            parts.append(f"modes {m['modes_captured']}/{m['n_modes']}, high quality {m['high_quality']:.1%}")
        if m.get("w1") is not None:
            parts.append(f"W1 {m['w1']:.4f}")
        return parts


@register_metric("modes", domains=("points",), best={"high_quality": "max", "modes_captured": "max"},
                 description="Gaussian mixtures: modes captured (>= 20 samples within 3 sigma) and the high-quality "
                             "fraction; null for data without known modes")
def _modes(ctx) -> dict:
    dist = getattr(ctx.run.reference_source(), "dist", None)
    if dist is None or dist.centers is None:
        return {"modes_captured": None, "n_modes": None, "high_quality": None}
    return mode_metrics(ctx.samples(), dist.centers, dist.std)


register_domain(Points())
