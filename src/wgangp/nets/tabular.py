"""The generator's output layer for tables: a softmax over every categorical column's one-hot
block (continuous columns pass unchanged), so generated records are points of the same product of
simplices as the one-hot real records -- the paper's recipe for discrete data (Section 5, its
character-level language model feeds the critic softmax outputs against one-hot real text)."""
from __future__ import annotations

import torch
from torch import nn


class BlockSoftmax(nn.Module):
    """``(N, D) -> (N, D)``: softmax within each ``(start, width)`` block of ``spans``."""

    def __init__(self, spans: list[tuple[int, int]] | tuple = ()):
        super().__init__()
        self.spans = [(int(s), int(w)) for s, w in spans]

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        parts, pos = [], 0
        for start, width in self.spans:
            parts += [x[:, pos:start], torch.softmax(x[:, start:start + width], dim=1)]
            pos = start + width
        parts.append(x[:, pos:])
        return torch.cat(parts, dim=1)


class TableGenerator(nn.Module):
    """A generator body (``(N, noise) -> (N, D)``) followed by :class:`BlockSoftmax`."""

    def __init__(self, body: nn.Module, spans: list[tuple[int, int]]):
        super().__init__()
        self.body = body
        self.head = BlockSoftmax(spans)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(z))
