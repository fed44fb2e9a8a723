"""A small in-project image classifier: a fast domain feature net for FID and class coverage.

Standard Inception features are slow on a CPU (about 0.15 s an image here) and say little about
28x28 digits. ``train_classifier`` fits a small CNN on a labelled image set in a minute or two;
saved as TorchScript (``save_classifier``) it works anywhere a ``--feature-net`` does: ``forward``
gives its 128-d penultimate features (classifier-FID / KID) and ``logits`` the class scores
(class coverage, classification accuracy of generated samples).
"""
from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from torch import nn
from torch.nn import functional as F

from wgangp.errors import UserError

META = "wgangp.json"


class SmallCNN(nn.Module):
    """``(N, 3, S, S)`` in [-1, 1] -> features ``(N, 128)``; ``logits`` -> ``(N, K)``.

    Three-channel input always (grayscale repeated); a grayscale-trained net averages the channels.
    """

    def __init__(self, in_channels: int, n_classes: int, size: int):
        super().__init__()
        self.in_channels = in_channels
        self.body = nn.Sequential(nn.Conv2d(in_channels, 32, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Conv2d(32, 64, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                                  nn.Flatten(), nn.Linear(64 * (size // 4) ** 2, 128), nn.ReLU())
        self.head = nn.Linear(128, n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        if self.in_channels == 1:
            x = x.mean(dim=1, keepdim=True)
        return self.body(x)

    @torch.jit.export
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.forward(x))


def train_classifier(images: torch.Tensor, labels: torch.Tensor, epochs: int = 2, batch_size: int = 128,
                     lr: float = 1e-3, seed: int = 0) -> SmallCNN:
    """Fit :class:`SmallCNN` on uint8 ``(N, C, S, S)`` images with int labels ``(N,)``."""
    if images.ndim != 4 or len(images) != len(labels) or len(images) == 0:
        raise UserError(f"classifier data: images {tuple(images.shape)} and labels {tuple(labels.shape)} do not match")
    if images.shape[-1] % 4 or images.shape[-1] != images.shape[-2]:
        raise UserError(f"classifier images must be square with a side divisible by 4, got {tuple(images.shape[-2:])}")
    torch.manual_seed(seed)
    labels = labels.long()
    model = SmallCNN(images.shape[1], int(labels.max()) + 1, images.shape[-1])
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    for _ in range(epochs):
        for idx in torch.randperm(len(images), generator=gen).split(batch_size):
            x = as_input(images[idx])
            loss = F.cross_entropy(model.logits(x), labels[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
    return model.eval()


def as_input(images: torch.Tensor) -> torch.Tensor:
    """uint8 ``(N, C, S, S)`` -> float in [-1, 1], grayscale repeated to 3 channels."""
    x = images.float().div(127.5).sub(1.0)
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


@torch.no_grad()
def predict(model: nn.Module, images: torch.Tensor, batch_size: int = 500) -> torch.Tensor:
    """Predicted classes ``(N,)`` of uint8 images ``(N, C, S, S)``."""
    return torch.cat([model.logits(as_input(images[i:i + batch_size])).argmax(1)
                      for i in range(0, len(images), batch_size)])


def accuracy(model: nn.Module, images: torch.Tensor, labels: torch.Tensor, batch_size: int = 500) -> float:
    """Top-1 accuracy on uint8 images ``(N, C, S, S)``."""
    return float((predict(model, images, batch_size) == labels).float().mean())


def save_classifier(model: SmallCNN, path: str | Path, size: int, info: dict | None = None) -> Path:
    """TorchScript file usable as ``--feature-net`` (input size and convention stored inside)."""
    meta = {"input_size": size, "convention": "pytorch-fid", "kind": "wgangp-classifier", **(info or {})}
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)      # TorchScript's deprecation notes
            torch.jit.save(torch.jit.script(model), str(tmp), _extra_files={META: json.dumps(meta)})
        tmp.replace(path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def class_coverage(logits: torch.Tensor, min_share: float = 0.05) -> dict:
    """Share of samples the classifier puts in each class: ``classes_covered`` (share >= min_share),
    ``n_classes``, ``min_class_share`` and the per-class ``class_shares``."""
    k = logits.shape[1]
    shares = torch.bincount(logits.argmax(1), minlength=k).double() / len(logits)
    return {"classes_covered": int((shares >= min_share).sum()), "n_classes": k,
            "min_class_share": float(shares.min()), "class_shares": [round(float(s), 4) for s in shares]}
