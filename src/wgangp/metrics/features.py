"""Feature networks for image metrics: a TorchScript file, the standard FID Inception, or any module.

Every network returned here takes wgangp images: float tensors ``(N, C, H, W)`` in ``[-1, 1]`` with
``C`` in {1, 3} (grayscale is repeated to RGB), and returns features ``(N, D)`` float32.

Input convention of Inception feature nets (established by reading the graph of the shared
``inception-fid-pool3.torchscript.pt`` with ``net.code``): the TorchScript module does **no**
resizing and **no** scaling; its first op is a bias-free conv on the raw input, and it ends in a
fixed 8x8 average pool, so it needs exactly 299x299 RGB already scaled as the TF
``inception-2015-12-05`` graph scaled it: ``p / 128 - 1`` for pixels ``p`` in ``[0, 255]``. We
therefore map ``x`` in ``[-1, 1]`` to ``p = (x + 1) * 127.5`` and feed ``p / 128 - 1``
(``convention="tf"``, the default: as TF FID, torch-fidelity, clean-fid and StyleGAN do);
``convention="pytorch-fid"`` feeds ``x`` itself (pytorch-fid's ``2 * x01 - 1``). Resizing is
bilinear with ``align_corners=False``; it is linear, so resizing before or after scaling is the same.
"""
from __future__ import annotations

import hashlib
import warnings
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from wgangp.errors import UserError

CONVENTIONS = ("tf", "pytorch-fid")


def file_sha256(path: str | Path, n: int = 16) -> str:
    """First ``n`` hex digits of the SHA-256 of a file: a feature-net id for stats caches."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()[:n]


def _to_rgb(x: torch.Tensor) -> torch.Tensor:
    if x.ndim != 4 or x.shape[1] not in (1, 3):
        raise UserError(f"feature nets take images (N, C, H, W) with C = 1 or 3, got shape "
                        f"{tuple(x.shape)}; reshape samples to image tensors first")
    return x.expand(-1, 3, -1, -1) if x.shape[1] == 1 else x


class ResizedFeatureNet(nn.Module):
    """Wraps a net that wants ``(N, 3, S, S)`` pre-scaled input; takes wgangp images in ``[-1, 1]``."""

    def __init__(self, net: nn.Module, input_size: int = 299, convention: str = "tf",
                 net_id: str = "custom"):
        super().__init__()
        if convention not in CONVENTIONS:
            raise UserError(f"unknown input convention {convention!r}; choose one of {CONVENTIONS}")
        self.net, self.input_size, self.convention, self.net_id = net, input_size, convention, net_id

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W)`` in ``[-1, 1]`` -> features ``(N, D)`` float32."""
        x = _to_rgb(x).float()
        if x.shape[-2:] != (self.input_size, self.input_size):
            x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear",
                              align_corners=False)
        if self.convention == "tf":
            x = (x + 1.0) * (127.5 / 128.0) - 1.0
        return self.net(x).flatten(1).float()

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """Class scores, for feature nets that have them (wgangp classifiers)."""
        if not hasattr(self.net, "logits"):
            raise UserError("this feature net has no class logits; class coverage needs a classifier made with "
                            "'wgangp classifier'")
        x = _to_rgb(x).float()
        if x.shape[-2:] != (self.input_size, self.input_size):
            x = F.interpolate(x, size=(self.input_size, self.input_size), mode="bilinear", align_corners=False)
        return self.net.logits(x).float()


def load_feature_net(path: str | Path, device: str | torch.device = "cpu", input_size: int = 299,
                     convention: str = "tf") -> ResizedFeatureNet:
    """Load a TorchScript feature net from ``path``, wrapped to take ``[-1, 1]`` images.

    Its ``net_id`` is ``"ts-<sha256 prefix>"`` of the file, for keying real-statistics caches.
    """
    path = Path(path)
    if not path.is_file():
        raise UserError(f"feature net file not found: {path}; pass --feature-net PATH to a "
                        f"TorchScript network (e.g. inception-fid-pool3.torchscript.pt)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)     # torch.jit.load's deprecation note
            extra = {"wgangp.json": ""}
            net = torch.jit.load(str(path), map_location=device, _extra_files=extra)
        if extra["wgangp.json"]:               # a wgangp classifier carries its own input size / scaling
            import json

            meta = json.loads(extra["wgangp.json"])
            input_size, convention = int(meta["input_size"]), meta["convention"]
    except (RuntimeError, ValueError) as e:
        raise UserError(f"{path} is not a TorchScript network ({str(e).splitlines()[0]}); save one "
                        f"with torch.jit.script(model).save(path), or pass --feature-weights for "
                        f"the standard Inception weights") from e
    return ResizedFeatureNet(net.eval(), input_size, convention,
                             net_id=f"ts-{file_sha256(path)}").eval()


class StandardInception(nn.Module):
    """torch-fidelity's FID Inception-v3 (TF 2015-12-05 weights) taking ``[-1, 1]`` images.

    Images are quantised to uint8 (as saved samples would be); the extractor then resizes TF-style
    to 299 and scales by ``p / 128 - 1`` itself. ``output`` is ``"2048"`` (pool3, for FID/KID) or
    ``"logits_unbiased"`` (1008 classes, for the Inception Score).
    """

    def __init__(self, extractor: nn.Module, net_id: str):
        super().__init__()
        self.extractor, self.net_id = extractor, net_id

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """``(N, C, H, W)`` in ``[-1, 1]`` -> ``(N, 2048)`` or ``(N, 1008)`` float32."""
        p = ((_to_rgb(x).float().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
        return self.extractor(p)[0].flatten(1).float()


def load_standard_inception(weights_path: str | Path | None = None, output: str = "2048",
                            device: str | torch.device = "cpu") -> StandardInception:
    """The standard FID Inception via torch-fidelity; downloads and caches weights if no path.

    Without internet (and no cached copy) this raises one :class:`UserError` naming the offline
    alternatives, ``--feature-net`` and ``--feature-weights``.
    """
    from torch_fidelity.feature_extractor_inceptionv3 import FeatureExtractorInceptionV3

    if output not in ("2048", "logits_unbiased"):
        raise UserError(f"standard Inception output {output!r}: use '2048' or 'logits_unbiased'")
    if weights_path is not None and not Path(weights_path).is_file():
        raise UserError(f"--feature-weights file not found: {weights_path}; it should be "
                        f"torch-fidelity's weights-inception-2015-12-05-6726825d.pth")
    try:
        ext = FeatureExtractorInceptionV3("inception-v3-compat", [output],
                                          feature_extractor_weights_path=(
                                              None if weights_path is None else str(weights_path)))
    except Exception as e:     # network errors, bad hashes, unpickling and state-dict mismatches
        where = ("downloading the standard Inception weights failed (no internet?)"
                 if weights_path is None else f"could not load Inception weights from {weights_path}")
        raise UserError(f"{where}: {type(e).__name__}: {str(e).splitlines()[0] if str(e) else ''}. "
                        f"Pass --feature-net PATH (a TorchScript feature net, e.g. "
                        f"inception-fid-pool3.torchscript.pt) or --feature-weights PATH (a local "
                        f"copy of weights-inception-2015-12-05-6726825d.pth)") from e
    net_id = "std-inception" if weights_path is None else f"std-{file_sha256(weights_path)}"
    return StandardInception(ext.to(device).eval(), net_id).eval()


def as_feature_net(net: nn.Module | str | Path | None, device: str | torch.device = "cpu",
                   weights_path: str | Path | None = None) -> nn.Module:
    """Resolve a feature net: a module is used as is, a path is TorchScript, ``None`` is standard."""
    if isinstance(net, nn.Module):
        return net.eval()
    if net is None:
        return load_standard_inception(weights_path, device=device)
    if isinstance(net, (str, Path)):
        return load_feature_net(net, device=device)
    raise UserError(f"feature net must be an nn.Module, a TorchScript path or None, got "
                    f"{type(net).__name__}")
