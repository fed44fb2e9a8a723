"""One owner per kind of data (see :mod:`wgangp.domains.base`): points, images, signals, text, tables.

Each module registers a :class:`~wgangp.domains.base.Domain` under the ``data.name`` values it
serves; here the built-ins are only named (their modules import torch, and load on first use).
"""
from wgangp.domains.base import Domain, EvalContext, domain_for, list_domains, plan, register_domain, register_lazy
from wgangp.domains.keys import IMAGE_KEYS, SIGNAL_KEYS, TABLE_KEYS, TEXT_KEYS

register_lazy("wgangp.domains.points", ("8gaussians", "25gaussians", "swissroll", "points"))
register_lazy("wgangp.domains.images", ("mnist", "fashion-mnist", "cifar10", "images", "lsun"),
              data_keys=IMAGE_KEYS)
register_lazy("wgangp.domains.tables", ("table", "breast-cancer"), auto_sized=True, data_keys=TABLE_KEYS)
register_lazy("wgangp.domains.text", ("text", "python-docs", "billion-word"), data_keys=TEXT_KEYS)
register_lazy("wgangp.domains.signals", ("signals", "sines"), data_keys=SIGNAL_KEYS)


def build_source(data_cfg, seed: int, conditional: bool = False):
    """The training source of ``data_cfg`` (``conditional``: ``model.conditional``), built by its domain."""
    return domain_for(data_cfg.name).build_source(data_cfg, seed, conditional)


__all__ = ["Domain", "EvalContext", "build_source", "domain_for", "list_domains", "plan", "register_domain",
           "register_lazy"]
