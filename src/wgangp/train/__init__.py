"""Training: the step and loop (loop.py), checkpoints, EMA, logging, run directories."""
