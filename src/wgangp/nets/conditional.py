"""Class conditioning (AC-WGAN-GP, the official ``gan_cifar_resnet.py`` conditional model).

Critic: the unconditional body plus a second linear head with one logit per class; the output is
``(N, 1 + K)``: column 0 is the Wasserstein value (the only one the penalty sees), columns 1.. are
class logits. Generator: conditional BatchNorm (per-class gamma / beta) in the CIFAR ResNet's
residual blocks as the official code; every other network takes ``[z, one_hot(y)]`` as input.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F


class CondBatchNorm2d(nn.Module):
    """BatchNorm without its own affine, then a per-class scale and offset (tflib ``cond_batchnorm``).

    ``(N, C, H, W), labels (N,) -> (N, C, H, W)``; gamma starts at 1 and beta at 0 for every class.
    """

    def __init__(self, channels: int, n_classes: int):
        super().__init__()
        self.bn = nn.BatchNorm2d(channels, affine=False)
        self.gamma = nn.Embedding(n_classes, channels)
        self.beta = nn.Embedding(n_classes, channels)
        nn.init.ones_(self.gamma.weight)
        nn.init.zeros_(self.beta.weight)

    def forward(self, x: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        return self.bn(x) * self.gamma(labels)[:, :, None, None] + self.beta(labels)[:, :, None, None]


class LabelConcat(nn.Module):
    """A generator conditioned by input concatenation: ``G(z, y) = base([z, one_hot(y)])``."""

    def __init__(self, base: nn.Module, n_classes: int):
        super().__init__()
        self.base = base
        self.n_classes = n_classes

    def forward(self, z: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        # the one-hot by comparison: F.one_hot's range check reads the labels on the host, which a traced
        # step (train.trace_steps) cannot; labels are checked where they enter (Run.class_labels, the sources)
        one_hot = labels.unsqueeze(1) == torch.arange(self.n_classes, device=labels.device)
        return self.base(torch.cat([z, one_hot.to(z.dtype)], dim=1))


class ClassHead(nn.Module):
    """The critic's last layer, twice: the Wasserstein output and the class logits, ``(N, 1 + K)``."""

    def __init__(self, wasserstein: nn.Linear, n_classes: int):
        super().__init__()
        from wgangp.nets.dcgan import linear

        self.wasserstein = wasserstein
        self.classes = linear(wasserstein.in_features, n_classes)     # tflib Glorot, as the official head

    def forward(self, h: torch.Tensor) -> torch.Tensor:
        return torch.cat([self.wasserstein(h), self.classes(h)], dim=1)


def with_class_head(critic: nn.Module, n_classes: int) -> nn.Module:
    """Replace the critic's final ``Linear(F, 1)`` (its last registered Linear) by a :class:`ClassHead`."""
    name, last = None, None
    for n, m in critic.named_modules():
        if isinstance(m, nn.Linear):
            name, last = n, m
    if last is None or last.out_features != 1:
        raise ValueError(f"{type(critic).__name__} has no final Linear(F, 1) to add a class head to")
    parent = critic.get_submodule(name.rpartition(".")[0]) if "." in name else critic
    setattr(parent, name.rpartition(".")[2], ClassHead(last, n_classes))
    return critic
