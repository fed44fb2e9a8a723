"""Time-series classifiers for the signal scores: a small 1-D CNN of our own and aeon's MiniRocket.

* :class:`SeriesCNN`: the fully convolutional network of Wang, Yan & Oates (2017, "Time series
  classification from scratch with deep neural networks"), scaled down: three Conv1d blocks
  (kernels 8, 5, 3; BatchNorm, ReLU; widths a constructor argument, the paper's 128/256/128 by
  default here 32/64/32), global average pooling over time and a linear layer. It holds the
  per-channel mean and standard deviation of its training data as buffers, so it takes series in the
  data's own units, of any length; :func:`save_series_classifier` writes it as TorchScript mapping
  float32 ``(N, C, L)`` to logits ``(N, K)`` (``wgangp classifier`` on signal data, ``augment
  --filter``).
* :func:`rocket_fit_predict`: aeon's ``MiniRocketClassifier`` (Dempster et al. 2021: random dilated
  convolution features and a ridge classifier), or None where aeon is not installed
  (``pip install aeon``, the ``signals`` extra).
"""
from __future__ import annotations

import json
import os
import warnings
from pathlib import Path

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from wgangp.errors import UserError

META = "wgangp.json"
KERNELS = (8, 5, 3)


class SeriesCNN(nn.Module):
    """``(N, C, L)`` series in the data's units -> logits ``(N, K)`` (any ``L``).

    ``widths``: the channels of the three convolution blocks. ``mean`` / ``std`` ``(1, C, 1)``: the
    per-channel statistics every input is standardised with (set by :func:`fit_cnn`)."""

    def __init__(self, in_channels: int, n_classes: int, widths: tuple[int, int, int] = (32, 64, 32)):
        super().__init__()
        layers, c = [], in_channels
        for w, k in zip(widths, KERNELS):
            layers += [nn.ConstantPad1d(((k - 1) // 2, k // 2), 0.0), nn.Conv1d(c, w, k), nn.BatchNorm1d(w), nn.ReLU()]
            c = w
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(c, n_classes)
        self.register_buffer("mean", torch.zeros(1, in_channels, 1))
        self.register_buffer("std", torch.ones(1, in_channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.head(self.body((x - self.mean) / self.std).mean(dim=2))

    @torch.jit.export
    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """The same as ``forward`` (the name the image classifier's users call)."""
        return self.forward(x)


def _tensor(x) -> torch.Tensor:
    return torch.as_tensor(np.asarray(x, dtype=np.float32))


def fit_cnn(x, y, epochs: int = 100, seed: int = 0, widths: tuple[int, int, int] = (32, 64, 32),
            batch_size: int = 32, lr: float = 1e-3, n_classes: int | None = None,
            history: list[float] | None = None) -> SeriesCNN:
    """A :class:`SeriesCNN` fitted with Adam and cross-entropy on ``x (N, C, L)`` (data units, array
    or tensor) and labels ``y (N,)`` in ``0..K-1`` (``K = n_classes`` or ``max(y) + 1``), in
    mini-batches of ``batch_size`` reshuffled every epoch. Seeded: the same arguments give the same
    network (initialisation and order drawn from ``seed``; the global random state is left as it was).

    The network returned is the one of the epoch with the lowest training loss, measured after each
    epoch in eval mode (the BatchNorm statistics prediction uses), as Wang et al. keep the model of
    lowest training loss: with a constant learning rate the last epoch can have lost the fit.
    ``history``, where given, receives that loss per epoch."""
    x, y = _tensor(x), torch.as_tensor(np.asarray(y, dtype=np.int64))
    if x.ndim != 3 or len(x) != len(y) or len(x) < 2:
        raise UserError(f"the series classifier needs series (N, C, L) and N labels, N >= 2; got {tuple(x.shape)} "
                        f"and {tuple(y.shape)}")
    if epochs < 1:
        raise UserError(f"the series classifier needs at least 1 epoch, got {epochs}")
    k = n_classes or int(y.max()) + 1
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        model = SeriesCNN(x.shape[1], k, widths)
    model.mean.copy_(x.mean(dim=(0, 2), keepdim=True))
    model.std.copy_(x.std(dim=(0, 2), keepdim=True).clamp_min(1e-8))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    gen = torch.Generator().manual_seed(seed)
    best, best_state = float("inf"), None
    for _ in range(epochs):
        model.train()
        for idx in torch.randperm(len(x), generator=gen).split(batch_size):
            if len(idx) < 2:                       # BatchNorm needs two series
                continue
            loss = F.cross_entropy(model(x[idx]), y[idx])
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        current = training_loss(model, x, y)
        if history is not None:
            history.append(current)
        if current < best:
            best, best_state = current, {k: v.clone() for k, v in model.state_dict().items()}
    if best_state is not None:                     # None only if every epoch's loss was NaN
        model.load_state_dict(best_state)
    return model.eval()


@torch.no_grad()
def training_loss(model: nn.Module, x: torch.Tensor, y: torch.Tensor, batch_size: int = 512) -> float:
    """Mean cross-entropy of ``model`` in eval mode on ``x``, ``y`` (tensors)."""
    model.eval()
    total = sum(F.cross_entropy(model(x[i:i + batch_size]), y[i:i + batch_size], reduction="sum").item()
                for i in range(0, len(x), batch_size))
    return total / len(x)


@torch.no_grad()
def predict(model: nn.Module, x, batch_size: int = 512) -> np.ndarray:
    """Predicted classes ``(N,)`` int64 of series ``x (N, C, L)`` in the data's units."""
    model.eval()
    x = _tensor(x)
    return torch.cat([model(x[i:i + batch_size]).argmax(1) for i in range(0, len(x), batch_size)]).numpy()


def rocket_fit_predict(x, y, x_test, seed: int = 0, n_kernels: int = 10_000) -> np.ndarray | None:
    """Classes ``(M,)`` int64 that aeon's ``MiniRocketClassifier``, fitted on ``x (N, C, L)``, ``y``,
    predicts for ``x_test``; None where aeon is not installed. Its first use compiles numba code (about
    20 s, cached after). torch's thread count is kept: aeon sets numba's thread count to ``n_jobs`` and
    back to numba's previous one, and where numba and torch share one OpenMP runtime that leaves torch
    on numba's count (with ``NUMBA_NUM_THREADS=1``, every later torch step on one thread; a 1-D CNN
    fitted after it came out 0.58 instead of 0.993 on GunPoint, seed 2)."""
    try:
        from aeon.classification.convolution_based import MiniRocketClassifier
    except ImportError:
        return None
    clf = MiniRocketClassifier(n_kernels=n_kernels, random_state=seed, n_jobs=1)
    threads = torch.get_num_threads()
    try:
        clf.fit(np.asarray(x, dtype=np.float64), np.asarray(y))
        return np.asarray(clf.predict(np.asarray(x_test, dtype=np.float64)), dtype=np.int64)
    finally:
        torch.set_num_threads(threads)


def save_series_classifier(model: SeriesCNN, out: str | Path, info: dict | None = None, replace: bool = False) -> Path:
    """Write ``model`` as TorchScript (float32 ``(N, C, L)`` in the data's units -> logits ``(N, K)``)
    with ``info`` as JSON inside (``wgangp.json``); through a temporary name and a rename. An existing
    ``out`` is refused unless ``replace``."""
    out = Path(out)
    if out.exists() and not replace:
        raise UserError(f"'{out}' exists; choose another output name (nothing is overwritten)")
    if not out.parent.is_dir():
        raise UserError(f"output folder '{out.parent}' does not exist")
    meta = {"kind": "wgangp-series-classifier", "input": "float32 (N, C, L) in the data's units",
            "output": "logits (N, K)", **(info or {})}
    tmp = out.with_name(f".{out.name}.{os.getpid()}.tmp")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)          # TorchScript's deprecation notes
            torch.jit.save(torch.jit.script(model.eval()), str(tmp), _extra_files={META: json.dumps(meta)})
        os.replace(tmp, out)
    except OSError as e:
        raise UserError(f"cannot write '{out}' ({e.strerror or e})") from None
    finally:
        tmp.unlink(missing_ok=True)
    return out
