"""Image sample grids (torchvision's ``make_grid`` / ``save_image``)."""
from __future__ import annotations

import math
from pathlib import Path

import torch


def save_grid(images: torch.Tensor, path: Path, nrow: int | None = None) -> Path:
    """Write ``(N, C, H, W)`` images in [-1, 1] as one PNG grid (``nrow`` per row, default ~sqrt(N))."""
    from torchvision.utils import save_image

    images = images.detach().float().cpu()
    save_image(images, str(path), nrow=nrow or max(1, int(math.sqrt(len(images)))), normalize=True,
               value_range=(-1.0, 1.0), padding=2)
    return Path(path)
