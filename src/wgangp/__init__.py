"""wgangp: Wasserstein GANs with gradient penalty (Gulrajani et al. 2017).

Public API::

    wgangp.list_presets()                      # {name: description}
    cfg = wgangp.load_config("toy-25gaussians", {"train.iterations": 2000})
    run = wgangp.train("toy-25gaussians-fast", out="runs/25g")
    run = wgangp.load_run("runs/25g")
    x = run.sample(1000)
    wgangp.evaluate(run)                       # {"modes_captured": 25, "high_quality": 0.9, "w1": ...}
    wgangp.evaluate_images("gen.npz", "real/", "fid,kid", feature_net="net.pt")   # sample sets, no run
"""
__version__ = "0.1.0"

from wgangp.api import Run, evaluate, evaluate_images, load_images, load_run, sample, save_samples, train  # noqa: E402
from wgangp.config import Config, list_presets, load_config  # noqa: E402
from wgangp.errors import UserError  # noqa: E402

__all__ = ["Config", "Run", "UserError", "evaluate", "evaluate_images", "list_presets", "load_config", "load_images",
           "load_run", "sample", "save_samples", "train", "__version__"]
