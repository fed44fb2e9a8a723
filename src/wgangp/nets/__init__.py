"""Network registry: ``build_networks(cfg, data_shape)`` returns ``(generator, critic)``.

Networks are plain ``nn.Module``s built from a small dataclass of sizes; no optimiser, device or
logging lives here.
"""
from __future__ import annotations

from typing import Callable

from torch import nn

from wgangp.nets.mlp import MLP, MLPSizes

_REGISTRY: dict[str, Callable] = {}


def register(name: str):
    def deco(fn):
        _REGISTRY[name] = fn
        return fn
    return deco


def list_networks() -> list[str]:
    return sorted(_REGISTRY)


def _plain(generator: nn.Module) -> nn.Module:
    """The default ``generator_head``: the generator as it is."""
    return generator


@register("mlp")
def _mlp(model_cfg, data_shape: tuple[int, ...], n_classes: int = 0,
         generator_head: Callable[[nn.Module], nn.Module] = _plain) -> tuple[nn.Module, nn.Module]:
    from wgangp.errors import UserError

    if len(data_shape) != 1:
        raise UserError(f"model.arch=mlp needs (N, D) point data; this data set has samples of shape {tuple(data_shape)}")
    (data_dim,) = data_shape
    g = MLP(MLPSizes(model_cfg.noise_dim + n_classes, data_dim, model_cfg.hidden, model_cfg.depth, model_cfg.activation))
    d = MLP(MLPSizes(data_dim, 1, model_cfg.hidden, model_cfg.depth, model_cfg.activation))
    return _conditional(g, d, n_classes, generator_head)


@register("mlp-1d")
def _mlp_1d(model_cfg, data_shape: tuple[int, ...], n_classes: int = 0, generator_head=_plain):
    """The point MLPs over flattened short series ``(channels, length)`` (:mod:`wgangp.nets.mlp`)."""
    from wgangp.errors import UserError
    from wgangp.nets.mlp import SeriesCritic, SeriesGenerator

    if len(data_shape) != 2:
        raise UserError(f"model.arch=mlp-1d needs signals of shape (channels, length); this data set has "
                        f"samples of shape {tuple(data_shape)}")
    values, m = data_shape[0] * data_shape[1], model_cfg
    g = SeriesGenerator(MLPSizes(m.noise_dim + n_classes, values, m.hidden, m.depth, m.activation), data_shape)
    return _conditional(g, SeriesCritic(MLPSizes(values, 1, m.hidden, m.depth, m.activation)), n_classes, generator_head)


@register("resnet-text")
def _resnet_text(model_cfg, data_shape: tuple[int, ...], n_classes: int = 0, generator_head=_plain):
    """The language model's 1-D ResNets for one-hot sequences ``(vocab, seq_len)``."""
    from wgangp.errors import UserError
    from wgangp.nets.conv1d import SequenceCritic, SequenceGenerator, SequenceSizes

    if len(data_shape) != 2:
        raise UserError(f"model.arch=resnet-text needs text data (one-hot (vocab, seq_len) samples); this data set "
                        f"has samples of shape {tuple(data_shape)}")
    if n_classes:
        raise UserError("model.arch=resnet-text has no class-conditional variant; set model.conditional=false")
    s = SequenceSizes(vocab=data_shape[0], seq_len=data_shape[1], noise_dim=model_cfg.noise_dim, dim=model_cfg.dim,
                      blocks=model_cfg.depth, activation=model_cfg.activation)
    return generator_head(SequenceGenerator(s)), SequenceCritic(s)


# name -> (module, sizes dataclass, generator class, critic class, {sizes field: model config key}):
# signals ``(channels, length)``
_SIGNAL_NETS = {
    "dcgan-1d": ("conv1d", "SignalSizes", "SignalGenerator", "SignalCritic",              # lengths: multiples of 16
                 {"minibatch_std": "minibatch_std"}),
    "wavegan": ("wavegan", "WaveGANSizes", "WaveGANGenerator", "WaveGANCritic", {}),    # any length >= 16
    # model.depth 2x stages, lengths multiples of 2**depth (8 by default)
    "resnet-1d": ("resnet1d", "ResNet1dSizes", "ResNet1dGenerator", "ResNet1dCritic",
                  {"stages": "depth", "minibatch_std": "minibatch_std"}),
}


def _register_signal(name: str) -> None:
    """A 1-D network for signals ``(channels, length)``, class-conditional like the point networks."""
    module, sizes_cls, gen_cls, critic_cls, keys = _SIGNAL_NETS[name]

    @register(name)
    def _build(model_cfg, data_shape: tuple[int, ...], n_classes: int = 0, generator_head=_plain):
        import importlib

        from wgangp.errors import UserError

        if len(data_shape) != 2:
            raise UserError(f"model.arch={name} needs signals of shape (channels, length); this data set has "
                            f"samples of shape {tuple(data_shape)}")
        mod = importlib.import_module(f"wgangp.nets.{module}")
        sizes = getattr(mod, sizes_cls)
        channels, length = data_shape
        extra = {field: getattr(model_cfg, key) for field, key in keys.items()}
        try:
            g = getattr(mod, gen_cls)(sizes(channels, length, model_cfg.noise_dim + n_classes, model_cfg.dim, **extra))
            d = getattr(mod, critic_cls)(sizes(channels, length, model_cfg.noise_dim, model_cfg.dim,
                                               model_cfg.activation, **extra))
        except ValueError as e:                     # a length the network cannot be built with
            raise UserError(f"model.arch={name}: {e}") from None
        return _conditional(g, d, n_classes, generator_head)


for _name in _SIGNAL_NETS:
    _register_signal(_name)


def _conditional(g: nn.Module, d: nn.Module, n_classes: int, head: Callable[[nn.Module], nn.Module] = _plain,
                 g_takes_labels: bool = False):
    """The generator in the domain's output layer ``head`` (:func:`build_networks`' ``generator_head``), then
    the class-conditional versions (AC-GAN head on the critic; labels into the generator)."""
    g = head(g)
    if n_classes <= 0:
        return g, d
    from wgangp.nets.conditional import LabelConcat, with_class_head

    return (g if g_takes_labels else LabelConcat(g, n_classes)), with_class_head(d, n_classes)


# name -> (module, generator class, critic class, critic kwargs, the sample shape it builds)
_IMAGE_NETS = {
    "dcgan-mnist": ("dcgan", "MNISTGenerator", "DCGANCritic", {"in_channels": 1, "size": 28}, (1, 28, 28)),
    "dcgan-cifar": ("dcgan", "CIFARGenerator", "DCGANCritic", {"in_channels": 3, "size": 32}, (3, 32, 32)),
    "resnet-cifar": ("resnet", "CIFARResNetGenerator", "CIFARResNetCritic", {}, (3, 32, 32)),
    "resnet-64": ("resnet64", "GoodGenerator", "GoodCritic", {}, (3, 64, 64)),
    "dcgan-64": ("resnet64", "DCGAN64Generator", "DCGAN64Critic", {}, (3, 64, 64)),
    "resnet101-64": ("resnet101", "ResNet101Generator", "ResNet101Critic", {}, (3, 64, 64)),
    "specgan": ("specgan", "SpecGANGenerator", "SpecGANCritic", {}, (1, 128, 128)),   # spectrograms of 16,384 samples
}


def _register_image(name: str) -> None:
    module, gen_cls, critic_cls, critic_kwargs, shape = _IMAGE_NETS[name]

    @register(name)
    def _build(model_cfg, data_shape: tuple[int, ...], n_classes: int = 0, generator_head=_plain) -> tuple[nn.Module, nn.Module]:
        import importlib

        from wgangp.errors import UserError

        if tuple(data_shape) != shape:
            raise UserError(f"model.arch={name} builds {'x'.join(map(str, shape))} images; this data set has samples "
                            f"of shape {'x'.join(map(str, data_shape))} (image folders: set data.resolution)")
        from wgangp.nets.dcgan import ImageSizes

        mod = importlib.import_module(f"wgangp.nets.{module}")
        sizes = ImageSizes(model_cfg.noise_dim, model_cfg.dim, model_cfg.activation)
        try:
            if name == "resnet-cifar" and n_classes > 0:     # conditional BatchNorm, as the official AC-GAN
                g = getattr(mod, gen_cls)(sizes, n_classes=n_classes)
                return _conditional(g, getattr(mod, critic_cls)(sizes, **critic_kwargs), n_classes, generator_head,
                                    g_takes_labels=True)
            g_sizes = ImageSizes(model_cfg.noise_dim + n_classes, model_cfg.dim, model_cfg.activation)
            return _conditional(getattr(mod, gen_cls)(g_sizes), getattr(mod, critic_cls)(sizes, **critic_kwargs),
                                n_classes, generator_head)
        except ValueError as e:                     # a size the network cannot be built with
            raise UserError(f"model.arch={name}: {e}") from None


for _name in _IMAGE_NETS:
    _register_image(_name)


def build_networks(model_cfg, data_shape: tuple[int, ...], n_classes: int = 0,
                   generator_head: Callable[[nn.Module], nn.Module] = _plain) -> tuple[nn.Module, nn.Module]:
    """Build ``(generator, critic)`` for samples of shape ``data_shape`` (no batch dim).

    ``n_classes > 0``: class-conditional -- ``G(z, labels)`` and a critic returning ``(N, 1 + K)``
    (Wasserstein value, then class logits). ``generator_head``: wraps every network's unconditioned generator
    in the domain's output layer (:meth:`wgangp.domains.base.Domain.network_options`; tables' softmax blocks).
    """
    from wgangp.errors import UserError

    if model_cfg.arch not in _REGISTRY:
        raise UserError(f"unknown model.arch '{model_cfg.arch}'; registered: {', '.join(list_networks())}")
    with_std = [n for n, spec in _SIGNAL_NETS.items() if "minibatch_std" in spec[4]]
    if model_cfg.minibatch_std and model_cfg.arch not in with_std:
        raise UserError(f"model.minibatch_std is built into {' and '.join(with_std)}, not model.arch={model_cfg.arch}; "
                        f"set model.minibatch_std=0")
    return _REGISTRY[model_cfg.arch](model_cfg, tuple(data_shape), n_classes, generator_head=generator_head)
