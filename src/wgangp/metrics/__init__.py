"""Metrics, standalone: they take samples (and reference data or statistics), never the trainer."""
from wgangp.metrics.fid import cached_stats, feature_stats, fid, fid_from_stats
from wgangp.metrics.inception_score import inception_score
from wgangp.metrics.kid import kid
from wgangp.metrics.toy import mode_metrics, toy_metrics, w1_distance

__all__ = ["cached_stats", "feature_stats", "fid", "fid_from_stats", "inception_score", "kid", "mode_metrics",
           "toy_metrics", "w1_distance"]
