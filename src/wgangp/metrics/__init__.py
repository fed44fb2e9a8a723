"""Metrics, standalone: they take samples (and reference data), never the trainer."""
from wgangp.metrics.toy import mode_metrics, toy_metrics, w1_distance

__all__ = ["mode_metrics", "toy_metrics", "w1_distance"]
