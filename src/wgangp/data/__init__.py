"""Readers and generic sources, below the domains: ``base.PointSource`` (sampling, sharding, state)
and one reader module per input format. Which reader serves a ``data.name`` is decided by its
domain (:func:`wgangp.domains.build_source`)."""
from wgangp.data.base import PointSource
from wgangp.data.toy import ToyDistribution, toy_distribution

__all__ = ["PointSource", "ToyDistribution", "toy_distribution"]
