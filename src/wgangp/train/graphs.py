"""A whole training iteration as one CUDA graph (``train.cuda_graphs=true``).

The penalty's double backward cannot go through ``torch.compile``, but a CUDA graph does not care
how kernels were produced: it records the launches of one eager iteration (``n_critic`` critic
steps with their ``autograd.grad(create_graph=True)``, then the generator step, optimiser steps
included) and replays them with one launch. This follows PyTorch's "whole network capture"
recipe: every tensor the iteration reads or writes has a fixed address (parameters, gradients,
optimiser state, noise and alpha buffers, the real batches copied into static buffers), optimisers
are ``capturable`` with the learning rate as a device tensor (so a schedule writes into it rather
than being frozen into the graph), nothing syncs with the host, and a few eager warm-up iterations
on a side stream run first (cuDNN autotuning and lazy allocations must not happen during capture).

Random numbers: the iteration draws noise and alpha from the trainer's own CUDA generator; a
replay advances that generator by the amount the captured iteration consumed, so each replay
draws fresh numbers. That is checked once, on the first two replays (one host sync): the same
noise twice is an error, not a silently wrong run.

On the CPU (``capture=False``) the same object just calls the iteration: the static-buffer code
path is then exercised and tested without a GPU.
"""
from __future__ import annotations

from typing import Callable

import torch


class CapturedIteration:
    """Calls ``fn()``: eagerly for ``warmup`` calls, then captures it once and replays the graph.

    ``generators``: CUDA generators the iteration draws from (registered with the graph so a
    replay advances them). ``witness``: a buffer ``fn`` refills with random numbers each call; two
    replays leaving it equal mean the generator did not advance, and raise.
    """

    def __init__(self, fn: Callable[[], None], capture: bool, generators: tuple[torch.Generator, ...] = (),
                 witness: torch.Tensor | None = None, warmup: int = 3):
        self.fn, self.capture, self.generators, self.witness, self.warmup = fn, capture, generators, witness, warmup
        self.graph: torch.cuda.CUDAGraph | None = None
        self.calls = 0
        self._first_draw: torch.Tensor | None = None

    def __call__(self) -> None:
        if not self.capture:
            self.fn()
        elif self.calls < self.warmup:
            side = torch.cuda.Stream()
            side.wait_stream(torch.cuda.current_stream())
            with torch.cuda.stream(side):
                self.fn()
            torch.cuda.current_stream().wait_stream(side)
        else:
            if self.graph is None:
                self.graph = torch.cuda.CUDAGraph()
                for gen in self.generators:
                    self.graph.register_generator_state(gen)
                with torch.cuda.graph(self.graph):    # records the launches; runs nothing yet
                    self.fn()
            self.graph.replay()
            self._check_fresh_draws()
        self.calls += 1

    def _check_fresh_draws(self) -> None:
        if self.witness is None or self.calls > self.warmup + 1:
            return
        if self._first_draw is None:
            self._first_draw = self.witness.clone()
            return
        if torch.equal(self._first_draw, self.witness):
            raise RuntimeError("train.cuda_graphs: two replays of the captured iteration drew the same noise (the "
                               "CUDA generator did not advance); this torch build's graph RNG handling is not "
                               "supported here: train without --set train.cuda_graphs=true")
        self._first_draw = None
