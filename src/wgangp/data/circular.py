"""Closed curves as series (``data.circular``): an outline's distance from its centre, read from an
arbitrary starting point, is one curve at every circular shift. A network whose critic sees where a
shape lies learns each class from a handful of series far more easily once they start at one phase.

:func:`align` finds, for every series, the circular shift that brings it to a common phase: each
class (or the whole set, without labels) is aligned to its mean by circular cross-correlation,
starting from each series' minimum and refined for a few rounds; the class means are then aligned to
each other in the same way, so every series ends in one frame. :func:`rotate` applies shifts;
generated series (made in the common frame) are rotated by shifts drawn from the real ones'
(:func:`draw_shifts`), so the synthetic set starts where the real series start.
"""
from __future__ import annotations

import torch

ROUNDS = 5                              # refinements of the alignment to the group mean


def rotate(x: torch.Tensor, shifts: torch.Tensor) -> torch.Tensor:
    """``x (N, C, L)`` rotated: row ``i`` becomes ``x_i[(t + shifts_i) mod L]`` (a shift of the start)."""
    length = x.shape[-1]
    index = (torch.arange(length, device=x.device)[None, :] + shifts.to(x.device)[:, None]) % length
    return torch.gather(x, -1, index[:, None, :].expand(-1, x.shape[1], -1))


def _best_shifts(x: torch.Tensor, template: torch.Tensor) -> torch.Tensor:
    """For each ``x_i (C, L)``, the shift ``s`` maximising ``sum_t x_i(t + s) . template(t)`` (summed
    over channels): circular cross-correlation through the FFT."""
    corr = torch.fft.irfft(torch.fft.rfft(x.double()) * torch.fft.rfft(template.double()).conj(), n=x.shape[-1])
    return corr.sum(dim=1).argmax(dim=-1)


def _align_group(x: torch.Tensor, rounds: int = ROUNDS) -> torch.Tensor:
    """Shifts ``(N,)`` bringing ``x (N, C, L)`` to the phase of their mean (from their minima)."""
    shifts = x.mean(dim=1).argmin(dim=-1)
    for _ in range(rounds):
        new = _best_shifts(x, rotate(x, shifts).mean(dim=0))
        if torch.equal(new, shifts):
            break
        shifts = new
    return shifts


def align(x: torch.Tensor, labels: torch.Tensor | None = None, rounds: int = ROUNDS) -> torch.Tensor:
    """int64 shifts ``(N,)`` such that ``rotate(x, shifts)`` starts every series at one phase: per
    class where ``labels`` are given (then the class means brought to one frame), else all together."""
    if labels is None:
        return _align_group(x, rounds)
    shifts = torch.zeros(len(x), dtype=torch.int64)
    classes, means = labels.unique().tolist(), []
    for c in classes:
        rows = labels == c
        shifts[rows] = _align_group(x[rows], rounds)
        means.append(rotate(x[rows], shifts[rows]).mean(dim=0))
    frame = _align_group(torch.stack(means), rounds)                  # each class mean's shift to the common one
    for c, s in zip(classes, frame.tolist()):
        shifts[labels == c] += s
    return shifts % x.shape[-1]


def draw_shifts(shifts: list[int], n: int, x: torch.Tensor) -> torch.Tensor:
    """``n`` shifts drawn (with replacement) from the real series' ``shifts`` to rotate generated ``x``
    back by: ``-shift`` undoes :func:`align`'s. The draw is seeded by ``x`` itself, so the same samples
    always come out at the same phases."""
    seed = int(x.detach().abs().sum().float().item() * 1e6) % (2 ** 62)     # float32: every device has it
    pick = torch.randint(len(shifts), (n,), generator=torch.Generator().manual_seed(seed))
    return -torch.tensor(shifts, dtype=torch.int64)[pick]
