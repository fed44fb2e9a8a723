"""The critic and generator steps as flat operator graphs (``train.trace_steps=true``).

A toy network's step is a few hundred tiny operators, and on a CPU most of its time is
per-operator bookkeeping: autograd records every operator of the critic's forward, of the
penalty's input-gradient and of its double backward, then walks that graph. Here each step
function of :mod:`wgangp.objectives` (loss, penalty, gradients with respect to the weights) is
traced once with ``make_fx`` into one graph of aten operators -- the backward passes, the double
backward included, become ordinary operators in it -- and is then replayed under ``no_grad``:
the same operators on the same inputs in the same order, without the graph building. The results
are bit-identical to the eager step (tests/train/test_traced.py).

A graph holds one shape and one set of module modes: it is traced again for another batch shape,
dtype or train/eval mode. Parameters and buffers are inputs of the graph, so optimiser steps,
checkpoint loads and rollbacks are seen; in-place buffer updates (batch-norm statistics) are
replayed on the module's own buffers. Random draws stay outside (the trainer's noise generator).
"""
from __future__ import annotations

import torch
from torch.func import functional_call
from torch.fx.experimental.proxy_tensor import make_fx

from wgangp import objectives


def _call(module: torch.nn.Module, names: list[str], tensors, *args):
    return functional_call(module, dict(zip(names, tensors)), args)


class _Traced:
    """``fn(tensors..., *inputs)`` traced per signature of its inputs and replayed without autograd."""

    def __init__(self, fn, modules: tuple[torch.nn.Module, ...]):
        self.fn, self.modules = fn, modules
        self.graphs: dict = {}

    def __call__(self, state: list[torch.Tensor], *inputs):
        key = (tuple(m.training for m in self.modules),
               tuple(None if t is None else (t.shape, t.dtype, t.device) for t in inputs))
        graph = self.graphs.get(key)
        if graph is None:
            graph = self.graphs[key] = make_fx(lambda *args: self.fn(*args), tracing_mode="fake")(state, *inputs)
        with torch.no_grad():
            return graph(state, *inputs)


class TracedSteps:
    """The traced steps of one :class:`~wgangp.train.step.TrainingStep`: ``critic(real, labels, z,
    alpha) -> (loss, w_estimate, penalty, critic grads)`` (the fake batch generated inside, without
    gradients) and ``generator(z, labels) -> (loss, generator grads)``."""

    def __init__(self, G: torch.nn.Module, D: torch.nn.Module, cfg, projection: bool):
        self.G, self.D, self.cfg, self.projection = G, D, cfg, projection
        self.g_params = [n for n, _ in G.named_parameters()]
        self.d_params = [n for n, _ in D.named_parameters()]
        self.g_names = self.g_params + [n for n, _ in G.named_buffers()]
        self.d_names = self.d_params + [n for n, _ in D.named_buffers()]
        self._critic = _Traced(self._critic_fn, (G, D))
        self._generator = _Traced(self._generator_fn, (G, D))

    def _state(self) -> list[torch.Tensor]:
        # the live tensors themselves (a replay runs under no_grad, so no detach is needed per call)
        return [*self.G.parameters(), *self.G.buffers(), *self.D.parameters(), *self.D.buffers()]

    def _split(self, state):
        n = len(self.g_names)
        return state[:n], state[n:]

    def _generate(self, g_state, z, labels):
        return _call(self.G, self.g_names, g_state, *((z,) if labels is None else (z, labels)))

    def _critic_fn(self, state, real, labels, z, alpha):
        g_state, d_state = self._split(state)
        d_params = [t.requires_grad_(True) for t in d_state[:len(self.d_params)]]
        with torch.no_grad():
            fake = self._generate(g_state, z, labels)
        loss = self.cfg.loss
        return objectives.critic_loss_and_grads(
            lambda x: _call(self.D, self.d_names, [*d_params, *d_state[len(d_params):]], x), d_params, real, fake,
            alpha, loss.name, loss.gp_weight, labels=labels, ac_weight=loss.ac_weight, projection=self.projection)

    def _generator_fn(self, state, z, labels):
        g_state, d_state = self._split(state)
        g_params = [t.requires_grad_(True) for t in g_state[:len(self.g_params)]]
        g_all = [*g_params, *g_state[len(g_params):]]
        loss = self.cfg.loss
        return objectives.generator_loss_and_grads(
            lambda zz, yy: self._generate(g_all, zz, yy), lambda x: _call(self.D, self.d_names, d_state, x),
            g_params, z, loss.name, labels=labels, ac_weight=loss.ac_weight_g, projection=self.projection)

    def critic(self, real, labels, z, alpha):
        return self._critic(self._state(), real, labels, z, alpha)

    def generator(self, z, labels):
        return self._generator(self._state(), z, labels)
