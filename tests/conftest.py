import os

import pytest
import torch

torch.set_num_threads(max(1, min(2, os.cpu_count() or 1)))

# A tiny, fast configuration for tests that exercise machinery rather than learning.
TINY = {"model.hidden": 32, "model.depth": 2, "data.batch_size": 64, "train.iterations": 12,
        "train.log_every": 4, "train.ckpt_every": 4, "train.eval_every": 0, "train.eval_samples": 200,
        "device": "cpu"}


@pytest.fixture(autouse=True)
def _private_cache(tmp_path_factory, monkeypatch):
    """Decoded images and unpacked archives go to a per-session folder, never the user's ~/.cache."""
    monkeypatch.setenv("WGANGP_CACHE", str(tmp_path_factory.getbasetemp() / "wgangp-cache"))


@pytest.fixture
def tiny():
    return dict(TINY)
