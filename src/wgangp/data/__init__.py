"""Data sources. ``build_source(data_cfg, seed)`` returns an object with ``sample_batch()``."""
from wgangp.data.toy import PointSource, ToyDistribution, build_source, toy_distribution

__all__ = ["PointSource", "ToyDistribution", "build_source", "toy_distribution"]
