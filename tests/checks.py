"""Assertions, made-up data and loaders several test modules share."""
import importlib.util
from pathlib import Path

import numpy as np
import torch


def experiment(name: str):
    """``experiments/NAME.py`` loaded as a module (the scripts are not a package)."""
    spec = importlib.util.spec_from_file_location(name, Path(__file__).resolve().parents[1] / "experiments" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def assert_same_state(a, b, where):
    """``a`` and ``b`` equal all the way down: every tensor bitwise (dtype and shape too), every number exactly."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, f"{where} differs in kind"
        assert torch.equal(a, b), f"{where} differs"
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), f"{where}: keys {sorted(map(str, a))} vs {sorted(map(str, b))}"
        for k in a:
            assert_same_state(a[k], b[k], f"{where}.{k}")
    elif isinstance(a, (list, tuple)):
        assert isinstance(b, (list, tuple)) and len(a) == len(b), f"{where} differs in length"
        for i, (x, y) in enumerate(zip(a, b)):
            assert_same_state(x, y, f"{where}[{i}]")
    else:
        assert a == b, f"{where}: {a!r} vs {b!r}"


def ucr_toy(path):
    """A UCR-style .npz with one set 'toy': 2 classes labelled 1, 2 (3 against 5 cycles at random phases),
    24 training and 16 test series of 20 samples."""
    rng = np.random.default_rng(0)
    t = np.arange(20) / 20

    def make(n):
        y = np.arange(n) % 2 + 1
        return np.sin(2 * np.pi * (1 + 2 * y[:, None]) * t + rng.uniform(0, 6, (n, 1))), y
    (x, y), (xt, yt) = make(24), make(16)
    np.savez(path, toy_x_train=x, toy_y_train=y, toy_x_test=xt, toy_y_test=yt)
    return path
