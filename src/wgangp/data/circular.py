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


def _best_shifts(x: torch.Tensor, template: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """For each ``x_i (C, L)``, the shift ``s`` maximising ``sum_t x_i(t + s) . template(t)`` (summed
    over channels; circular cross-correlation through the FFT) and that maximum."""
    corr = torch.fft.irfft(torch.fft.rfft(x.double()) * torch.fft.rfft(template.double()).conj(), n=x.shape[-1])
    best = corr.sum(dim=1).max(dim=-1)
    return best.indices, best.values


def oriented(x: torch.Tensor, shifts: torch.Tensor, flips: torch.Tensor) -> torch.Tensor:
    """``x`` with the rows ``flips`` marks reversed in time (the curve traced the other way), then rotated."""
    return rotate(torch.where(flips[:, None, None].to(x.device), x.flip(-1), x), shifts)


def _align_group(x: torch.Tensor, rounds: int = ROUNDS, mirror: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """Shifts and flips ``(N,)`` bringing ``x (N, C, L)`` to the phase (and direction) of their mean (from their minima)."""
    shifts, flips = x.mean(dim=1).argmin(dim=-1), torch.zeros(len(x), dtype=torch.bool)
    for _ in range(rounds):
        template = oriented(x, shifts, flips).mean(dim=0)
        new, score = _best_shifts(x, template)
        new_flips = flips
        if mirror:                                    # the reversed series where it matches the mean better
            back, back_score = _best_shifts(x.flip(-1), template)
            new_flips = back_score > score
            new = torch.where(new_flips, back, new)
        if torch.equal(new, shifts) and torch.equal(new_flips, flips):
            break
        shifts, flips = new, new_flips
    return shifts, flips


def orient(x: torch.Tensor, labels: torch.Tensor | None = None, rounds: int = ROUNDS,
           mirror: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
    """int64 shifts and bool flips ``(N,)`` such that ``oriented(x, shifts, flips)`` starts every series at
    one phase (and, with ``mirror``, runs every curve one way): per class where ``labels`` are given (then
    the class means brought to one frame), else all together. Without ``mirror`` nothing is flipped."""
    if labels is None:
        shifts, flips = _align_group(x, rounds, mirror)
        return shifts % x.shape[-1], flips
    shifts, flips = torch.zeros(len(x), dtype=torch.int64), torch.zeros(len(x), dtype=torch.bool)
    classes, means = labels.unique().tolist(), []
    for c in classes:
        rows = labels == c
        shifts[rows], flips[rows] = _align_group(x[rows], rounds, mirror)
        means.append(oriented(x[rows], shifts[rows], flips[rows]).mean(dim=0))
    frame, turned = _align_group(torch.stack(means), rounds, mirror)  # each class mean to the common frame
    for c, r, g in zip(classes, frame.tolist(), turned.tolist()):
        rows = labels == c                            # flip(rotate(z, s)) == rotate(flip(z), -s)
        shifts[rows] = (-shifts[rows] if g else shifts[rows]) + r
        flips[rows] ^= g
    return shifts % x.shape[-1], flips


def align(x: torch.Tensor, labels: torch.Tensor | None = None, rounds: int = ROUNDS) -> torch.Tensor:
    """The shifts of :func:`orient` without mirroring: ``rotate(x, shifts)`` starts every series at one phase."""
    return orient(x, labels, rounds)[0]


def _draw(n: int, x: torch.Tensor, count: int) -> torch.Tensor:
    """``n`` indices into ``count`` real series, seeded by ``x`` itself (the same samples, the same draw)."""
    seed = int(x.detach().abs().sum().float().item() * 1e6) % (2 ** 62)     # float32: every device has it
    return torch.randint(count, (n,), generator=torch.Generator().manual_seed(seed))


def draw_shifts(shifts: list[int], n: int, x: torch.Tensor) -> torch.Tensor:
    """``n`` shifts drawn (with replacement) from the real series' ``shifts`` to rotate generated ``x``
    back by: ``-shift`` undoes :func:`align`'s. The draw is seeded by ``x`` itself, so the same samples
    always come out at the same phases."""
    return -torch.tensor(shifts, dtype=torch.int64)[_draw(n, x, len(shifts))]


def unorient(x: torch.Tensor, shifts: list[int], flips: list[bool] | None = None) -> torch.Tensor:
    """Generated ``x`` (made in :func:`orient`'s frame) back at the phase and direction of real series drawn
    (as :func:`draw_shifts`, the same draw) from their ``shifts`` and ``flips`` (None: none reversed): rotated
    back, then reversed where flipped."""
    pick = _draw(len(x), x, len(shifts))
    back = rotate(x, -torch.tensor(shifts, dtype=torch.int64)[pick])
    if flips is None:
        return back
    return torch.where(torch.tensor(flips, dtype=torch.bool)[pick][:, None, None].to(x.device), back.flip(-1), back)
