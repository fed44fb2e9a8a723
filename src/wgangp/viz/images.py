"""Image sample grids (torchvision's ``make_grid`` / ``save_image``)."""
from __future__ import annotations

import math
from pathlib import Path

import torch


def grid(images: torch.Tensor, nrow: int | None = None) -> torch.Tensor:
    """``(N, C, H, W)`` images in [-1, 1] -> one ``(3, H', W')`` grid in [0, 1] (``nrow`` per row)."""
    from torchvision.utils import make_grid

    images = images.detach().float().cpu()
    return make_grid(images, nrow=nrow or max(1, int(math.sqrt(len(images)))), normalize=True,
                     value_range=(-1.0, 1.0), padding=2)


def save_grid(images: torch.Tensor, path: Path, nrow: int | None = None) -> Path:
    """Write ``(N, C, H, W)`` images in [-1, 1] as one PNG grid, atomically (temp file + rename)."""
    import os

    from torchvision.utils import save_image

    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "wb") as f:
        save_image(grid(images, nrow), f, format="png")
    os.replace(tmp, path)
    return path


def png_data_uri(images: torch.Tensor, nrow: int | None = None) -> str:
    """``(N, C, H, W)`` images in [-1, 1] as one PNG grid in a ``data:`` URI (the live view's panel)."""
    import base64
    import io

    from torchvision.utils import save_image

    buf = io.BytesIO()
    save_image(grid(images, nrow), buf, format="png")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()
