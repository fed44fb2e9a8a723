"""wgangp: Wasserstein GANs with gradient penalty (Gulrajani et al. 2017).

Public API::

    wgangp.list_presets()                      # {name: description}
    cfg = wgangp.load_config("toy-25gaussians", {"train.iterations": 2000})
    run = wgangp.train("toy-25gaussians-fast", out="runs/25g")
    run = wgangp.load_run("runs/25g")
    x = run.sample(1000)
    wgangp.evaluate(run)                       # {"modes_captured": 25, "high_quality": 0.9, "w1": ...}
    wgangp.evaluate_images("gen.npz", "real/", "fid,kid", feature_net="net.pt")   # sample sets, no run
    wgangp.build_trainer(cfg)                  # the Trainer of a config (its source and networks built)
    synth = wgangp.TableSynthesizer(label="y").fit(df)   # tables: DataFrame in, .sample(n, conditions=) out

The names that need torch are loaded on first use, so ``import wgangp`` (and ``wgangp --help``)
stays fast.
"""
from wgangp import domains as _domains  # noqa: F401  (registers the built-in data kinds; imports no torch)
from wgangp.config import Config, list_presets, load_config
from wgangp.errors import UserError
from wgangp.version import __version__

import wgangp.train  # noqa: E402,F401  (the sub-package first, so that the name ``train`` below is the function)


def train(preset_or_config, out, overrides=None, resume: bool = False, progress: bool = True, stop_after=None):
    """Train (or with ``resume=True`` continue) a run in ``out``; see :func:`wgangp.api.train`."""
    from wgangp.api import train as _train

    return _train(preset_or_config, out, overrides, resume=resume, progress=progress, stop_after=stop_after)


_LAZY = {"Run": "wgangp.run", "build_trainer": "wgangp.run", "load_run": "wgangp.run",
         "evaluate": "wgangp.api", "evaluate_images": "wgangp.api", "load_images": "wgangp.api",
         "sample": "wgangp.api", "save_samples": "wgangp.api", "train_classifier": "wgangp.api", "TableSynthesizer": "wgangp.domains.tables.api"}

_SUBMODULES = ("api", "augment", "cli", "data", "diagnostics", "domains", "export", "metrics", "nets", "objectives",
               "run", "viz")


def __getattr__(name: str):
    import importlib

    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    if name in _SUBMODULES:
        return importlib.import_module(f"wgangp.{name}")
    raise AttributeError(f"module 'wgangp' has no attribute {name!r}")


__all__ = ["Config", "Run", "TableSynthesizer", "UserError", "build_trainer", "evaluate", "evaluate_images", "list_presets", "load_config",
           "load_images", "load_run", "sample", "save_samples", "train", "train_classifier", "__version__"]
