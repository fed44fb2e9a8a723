"""The generic data source: batches drawn from a distribution (fresh every step) or from a fixed
array (cycled, reshuffled every epoch), with labels, DDP sharding and a resumable state.

Every kind of data builds on :class:`PointSource` (its domain in :mod:`wgangp.domains` decides what
the array holds and how batches are turned into tensors). All randomness comes from a
``torch.Generator`` owned by the source, whose state (and cursor) is saved in checkpoints so that a
resumed run sees the same batches.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

import torch

from wgangp.errors import UserError

if TYPE_CHECKING:
    from wgangp.data.toy import ToyDistribution


def require_file(path, what: str, hint: str) -> None:
    """A clear error unless ``path`` is a readable file: ``what`` names it, ``hint`` says what to pass."""
    from pathlib import Path

    p = Path(path)
    if p.is_dir():
        raise UserError(f"{what} '{path}' is a directory, not a file; {hint}")
    if not p.exists():                     # a file, or a pipe (<(...)): read as a stream
        raise UserError(f"{what} '{path}' not found; {hint}")


def refuse_complex(arr, where: str, advice: str) -> None:
    """Complex arrays would lose their imaginary part in a float cast: refused, with ``advice``."""
    import numpy as np

    if np.iscomplexobj(arr):
        raise UserError(f"{where} holds complex numbers ({arr.dtype}); {advice}")


SHARD_SEED = 0                                         # the permutation every DDP rank shards by


class PointSource:
    """Batches of points, from a distribution (fresh draws) or a fixed array (cycled)."""

    def __init__(self, batch_size: int, seed: int, dist: ToyDistribution | None = None,
                 points: torch.Tensor | None = None, reshuffle: bool = True, labels: torch.Tensor | None = None):
        self.batch_size = batch_size
        self.dist = dist
        self.points = points
        self.labels = labels                            # (N,) int64 classes of `points`, or None
        if labels is not None:
            self.n_classes = int(labels.max()) + 1
        elif points is None and dist is not None and dist.centers is not None:
            self.n_classes = len(dist.centers)          # a mixture drawn fresh: the mode is the class
        else:
            self.n_classes = 0
        self.reshuffle = reshuffle
        self.gen = torch.Generator().manual_seed(seed)
        self.shape = (dist.dim,) if dist is not None else tuple(points.shape[1:])   # one sample's shape
        self.cursor = 0
        if points is not None:
            self.order = torch.randperm(len(points), generator=self.gen)

    def sample_batch(self) -> torch.Tensor:
        """The next ``(batch_size, dim)`` batch (float32, CPU)."""
        if self.points is None:
            return self.dist.sample(self.batch_size, self.gen)
        return self.points[self._next_indices()]

    def sample_labelled(self) -> tuple[torch.Tensor, torch.Tensor]:
        """The next batch and its int64 class labels (the same stream as :meth:`sample_batch`)."""
        if self.n_classes == 0:
            raise UserError("this data set has no class labels; a conditional model needs them "
                            "(an .npz with y_train, class sub-folders, or a mixture of Gaussians)")
        if self.points is None:
            return self.dist.sample(self.batch_size, self.gen, with_labels=True)
        idx = self._next_indices()
        return self.points[idx], self.labels[idx]

    @property
    def n_stored(self) -> int:
        """How many samples the source holds (0: it draws fresh ones)."""
        return 0 if self.points is None else len(self.points)

    def poisson_batch(self, rate: float) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Every stored point independently with probability ``rate`` (a batch of random size, the
        sampling DP-SGD's accountant assumes), with its labels (None without labels)."""
        if self.points is None:
            raise UserError("Poisson sampling (train.dp_epsilon) needs a stored data set, not fresh draws")
        keep = torch.rand(len(self.points), generator=self.gen) < rate
        return self.points[keep], (self.labels[keep] if self.labels is not None else None)

    def _next_indices(self) -> torch.Tensor:
        n = len(self.points)
        if self.cursor + self.batch_size > n:          # start a new epoch (drop the ragged tail)
            self.cursor = 0
            if self.reshuffle:
                self.order = torch.randperm(n, generator=self.gen)
        idx = self.order[self.cursor:self.cursor + self.batch_size]
        self.cursor += self.batch_size
        return idx

    def shard(self, rank: int, world: int) -> None:
        """Keep this DDP rank's disjoint share of the stored samples: a permutation every rank draws alike
        (a fixed seed), ordered by class where there are labels and dealt out in turn, so that each rank
        holds about ``1/world`` of every class whatever order the file lists them in (every ``world``-th
        row of a file of alternating classes would give a rank one class only)."""
        if self.points is None:
            return                                     # fresh draws: the rank's own seed suffices
        if len(self.points) < world * self.batch_size:
            raise UserError(f"{len(self.points)} samples cannot fill a batch of {self.batch_size} on each of {world} ranks")
        order = torch.randperm(len(self.points), generator=torch.Generator().manual_seed(SHARD_SEED))
        if self.labels is not None:
            order = order[torch.sort(self.labels[order], stable=True).indices]
        mine = order[rank::world].sort().values
        self.points = self.points[mine]
        if self.labels is not None:
            self.labels = self.labels[mine]
        self.cursor = 0
        self.order = torch.randperm(len(self.points), generator=self.gen)

    def fresh(self, n: int, seed: int) -> torch.Tensor:
        """``n`` true samples independent of training batches (for metrics)."""
        gen = torch.Generator().manual_seed(seed)
        if self.dist is not None:
            return self.dist.sample(n, gen)
        return self.points[torch.randint(len(self.points), (n,), generator=gen)]

    def state_dict(self) -> dict:
        state = {"gen": self.gen.get_state(), "cursor": self.cursor}
        if self.points is not None:
            state["order"] = self.order
        return state

    def load_state_dict(self, state: dict) -> None:
        if self.points is not None and len(state["order"]) != len(self.points):
            raise ValueError(f"the saved data order covers {len(state['order'])} samples, this data has "
                             f"{len(self.points)} (the data changed since the checkpoint)")
        self.gen.set_state(state["gen"])
        self.cursor = int(state["cursor"])
        if self.points is not None:
            self.order = state["order"]

    def reseed(self, seed: int) -> None:
        """Fresh streams from ``seed`` (the same data, a new order): after a rollback, or a resume
        with another number of processes."""
        self.gen.manual_seed(seed)
        self.cursor = 0
        if self.points is not None:
            self.order = torch.randperm(len(self.points), generator=self.gen)
