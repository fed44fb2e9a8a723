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


@register("mlp")
def _mlp(model_cfg, data_shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    from wgangp.errors import UserError

    if len(data_shape) != 1:
        raise UserError(f"model.arch=mlp needs (N, D) point data; this data set has samples of shape {tuple(data_shape)}")
    (data_dim,) = data_shape
    g = MLP(MLPSizes(model_cfg.noise_dim, data_dim, model_cfg.hidden, model_cfg.depth, model_cfg.activation))
    d = MLP(MLPSizes(data_dim, 1, model_cfg.hidden, model_cfg.depth, model_cfg.activation))
    return g, d


@register("dcgan-mnist")
def _dcgan_mnist(model_cfg, data_shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    from wgangp.errors import UserError
    from wgangp.nets.dcgan import DCGANSizes, MNISTCritic, MNISTGenerator

    if data_shape != (1, 28, 28):
        raise UserError(f"model.arch=dcgan-mnist builds 1x28x28 images; this data set has samples of shape "
                        f"{'x'.join(map(str, data_shape))}")
    sizes = DCGANSizes(model_cfg.noise_dim, model_cfg.dim, model_cfg.activation)
    return MNISTGenerator(sizes), MNISTCritic(sizes)


@register("dcgan-cifar")
def _dcgan_cifar(model_cfg, data_shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    from wgangp.errors import UserError
    from wgangp.nets.dcgan import CIFARCritic, CIFARGenerator, DCGANSizes

    if data_shape != (3, 32, 32):
        raise UserError(f"model.arch=dcgan-cifar builds 3x32x32 images; this data set has samples of shape "
                        f"{'x'.join(map(str, data_shape))}")
    sizes = DCGANSizes(model_cfg.noise_dim, model_cfg.dim, model_cfg.activation)
    return CIFARGenerator(sizes), CIFARCritic(sizes)


@register("resnet-cifar")
def _resnet_cifar(model_cfg, data_shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    from wgangp.errors import UserError
    from wgangp.nets.resnet import CIFARResNetCritic, CIFARResNetGenerator, ResNetSizes

    if data_shape != (3, 32, 32):
        raise UserError(f"model.arch=resnet-cifar builds 3x32x32 images; this data set has samples of shape "
                        f"{'x'.join(map(str, data_shape))}")
    sizes = ResNetSizes(model_cfg.noise_dim, model_cfg.dim, model_cfg.dim, model_cfg.activation)
    return CIFARResNetGenerator(sizes), CIFARResNetCritic(sizes)


def _register_64(name: str, gen_cls: str, critic_cls: str) -> None:
    @register(name)
    def _build(model_cfg, data_shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
        from wgangp.errors import UserError
        from wgangp.nets import resnet64

        if data_shape != (3, 64, 64):
            raise UserError(f"model.arch={name} builds 3x64x64 images; this data set has samples of shape "
                            f"{'x'.join(map(str, data_shape))} (set data.resolution=64 for an image folder)")
        sizes = resnet64.Sizes64(model_cfg.noise_dim, model_cfg.dim, model_cfg.activation)
        return getattr(resnet64, gen_cls)(sizes), getattr(resnet64, critic_cls)(sizes)


_register_64("resnet-64", "GoodGenerator", "GoodCritic")
_register_64("dcgan-64", "DCGAN64Generator", "DCGAN64Critic")


def build_networks(model_cfg, data_shape: tuple[int, ...]) -> tuple[nn.Module, nn.Module]:
    """Build ``(generator, critic)`` for samples of shape ``data_shape`` (no batch dim)."""
    from wgangp.errors import UserError

    if model_cfg.arch not in _REGISTRY:
        raise UserError(f"unknown model.arch '{model_cfg.arch}'; registered: {', '.join(list_networks())}")
    return _REGISTRY[model_cfg.arch](model_cfg, tuple(data_shape))
