"""The objective: every loss term and every autograd call of wgangp lives here.

Notation (Gulrajani et al. 2017, Algorithm 1): critic ``D``, real ``x``, generated ``x~``,
``x^ = a*x + (1-a)*x~`` with one ``a ~ U[0, 1]`` per sample.

* critic loss (WGAN-GP): ``E[D(x~)] - E[D(x)] + lambda * E[(||grad D(x^)||_2 - 1)^2]``
* one-sided penalty:      ``E[max(0, ||grad D(x^)||_2 - 1)^2]``
* generator loss (WGAN):  ``-E[D(G(z))]``
* weight clipping (WGAN, Arjovsky et al. 2017): every critic parameter clamped to ``[-c, c]``
* standard GAN (non-saturating): critic ``softplus(-D(x)) + softplus(D(x~))``,
  generator ``softplus(-D(G(z)))``
* AC-GAN terms (class-conditional critics output ``(N, 1 + K)``: the Wasserstein value, then
  class logits): critic ``+ ac_weight * CE(logits(x), y)`` on real samples only, generator
  ``+ ac_weight * CE(logits(G(z, y)), y)``; the penalty differentiates the Wasserstein column only.
* projection conditioning (Miyato & Koyama 2018), ``projection=True``: the same ``(N, 1 + K)``
  output read as ``D(x, y) = psi(phi(x)) + <e_y, phi(x)>`` (column 0 plus column ``1 + y``: the
  class head's weight rows are the class embeddings); no cross-entropy terms; the penalty
  differentiates ``D(x^, y)`` with the label of the pair that was interpolated.

The gradient norm is taken over all non-batch dimensions. ``torch.linalg.vector_norm`` has a zero
subgradient at 0, so a critic with zero input-gradient gives a finite penalty gradient (no NaN).
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn import functional as F

WASSERSTEIN = ("wgan-gp", "wgan-gp-one-sided", "wgan-clip")


def _at_least_fp32(t: torch.Tensor) -> torch.Tensor:
    """Reductions in fp32 (or fp64 when the caller works in fp64) even under bf16/fp16 autocast."""
    return t.float() if t.dtype in (torch.float16, torch.bfloat16) else t


def _wasserstein(out: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """The critic's value ``(N,)`` from ``(N, 1)`` or ``(N, 1 + K)``: column 0, plus column
    ``1 + y`` when ``labels`` are given (projection conditioning)."""
    out = out.reshape(out.shape[0], -1)
    if labels is None:
        return out[:, 0]
    return out[:, 0] + out.gather(1, labels.view(-1, 1) + 1).squeeze(1)


def gradient_penalty(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor,
                     one_sided: bool = False, grad_scale: torch.Tensor | None = None,
                     labels: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """Penalty at ``x^ = alpha*real + (1-alpha)*fake``.

    Args:
        real, fake: ``(N, ...)`` batches of the same shape (treated as constants).
        alpha: ``(N, 1, ..., 1)`` per-sample interpolation weights in [0, 1].
        grad_scale: fp16 with a GradScaler (PyTorch AMP's gradient-penalty recipe): the critic
            output is multiplied by this scale before ``autograd.grad`` so small input-gradients
            survive fp16, and the gradient is divided by it again before the norm (in fp32).
        labels: projection conditioning: the pairs' shared labels, so the penalty is on ``D(x^, y)``.
    Returns:
        ``(penalty, grad_norm)``: the scalar ``mean((||g|| - 1)^2)`` (differentiable w.r.t. the
        critic's parameters) and the detached ``(N,)`` gradient norms.
    """
    with torch.enable_grad():     # the input-gradient is needed even when called under no_grad
        x_hat = torch.lerp(fake.detach(), real.detach(), alpha).requires_grad_(True)
        out = _wasserstein(critic(x_hat), labels).sum()
        if grad_scale is not None:
            out = out * grad_scale
        (grad,) = torch.autograd.grad(out, x_hat, create_graph=True)
    if grad_scale is not None:
        grad = _at_least_fp32(grad) / grad_scale
    norm = torch.linalg.vector_norm(_at_least_fp32(grad).flatten(1), ord=2, dim=1)
    excess = norm - 1.0
    if one_sided:
        excess = excess.clamp_min(0.0)
    return excess.square().mean(), norm.detach()


def _class_term(out: torch.Tensor, labels: torch.Tensor | None, weight: float) -> torch.Tensor | float:
    if labels is None:
        return 0.0
    return weight * F.cross_entropy(out.reshape(out.shape[0], -1)[:, 1:], labels)


def critic_loss(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor | None,
                loss: str, gp_weight: float, grad_scale: torch.Tensor | None = None,
                labels: torch.Tensor | None = None, ac_weight: float = 1.0, projection: bool = False
                ) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Critic objective for one batch.

    Real and fake go through the critic in one forward (the critic has no batch-coupled layers).
    Returns ``(loss, w_estimate, penalty)``; ``w_estimate = E[D(x)] - E[D(x~)]`` is detached and
    is the Wasserstein estimate of the paper's training curves (−critic loss without the penalty).
    ``labels``: the real batch's classes for a conditional critic (AC-GAN term on real samples;
    with ``projection`` the labels of both halves instead, and no AC term).
    """
    n = real.shape[0]
    fake = fake.detach().to(real.dtype)             # a generator under autocast may hand back bf16/fp16
    full = _at_least_fp32(critic(torch.cat([real, fake])))
    proj = labels if projection else None
    out = _wasserstein(full, torch.cat([proj, proj]) if proj is not None else None)
    d_real, d_fake = out[:n], out[n:]
    w_estimate = (d_real.mean() - d_fake.mean()).detach()
    ac = _class_term(full[:n], None if projection else labels, ac_weight)
    if loss == "gan":
        value = F.softplus(-d_real).mean() + F.softplus(d_fake).mean() + ac
        return value, w_estimate, torch.zeros((), device=real.device)
    value = d_fake.mean() - d_real.mean() + ac
    if loss in ("wgan-gp", "wgan-gp-one-sided"):
        penalty, _ = gradient_penalty(critic, real, fake, alpha, one_sided=loss == "wgan-gp-one-sided",
                                      grad_scale=grad_scale, labels=proj)
        return value + gp_weight * penalty, w_estimate, penalty.detach()
    if loss == "wgan-clip":
        return value, w_estimate, torch.zeros((), device=real.device)
    raise ValueError(f"unknown loss {loss!r}")


def per_sample_critic_grads(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, alpha: torch.Tensor,
                            loss: str, gp_weight: float, labels: torch.Tensor | None = None, ac_weight: float = 1.0,
                            projection: bool = False) -> tuple[dict[str, torch.Tensor], torch.Tensor]:
    """Per-sample gradients of the WGAN-GP critic loss (DP-SGD, :mod:`wgangp.train.privacy`).

    Sample ``i``'s loss is the batch loss's ``i``-th term: ``D(x~_i) - D(x_i) + lambda *
    (||grad D(x^_i)|| - 1)^2`` (plus the AC term of ``x_i``), so the penalty, which touches the real
    record through ``x^_i``, is inside what is clipped. Layers frozen by ``train.freeze_critic`` (no
    ``requires_grad``) are constants here, so the clip is spent on what trains. Returns ``({parameter name: (N, *shape)},
    (N, 3) per-sample [D(x_i) - D(x~_i), penalty, loss])`` -- the statistics come out of the same
    forwards -- computed by ``torch.func`` (``vmap`` of ``grad``, the penalty's input-gradient a nested
    ``grad``); the critic must be built of torch's own autograd ops (``model.activation=relu-native``)."""
    from torch.func import functional_call, grad, vmap

    if loss not in ("wgan-gp", "wgan-gp-one-sided"):
        raise ValueError(f"per-sample gradients are defined for the penalised losses, not {loss!r}")
    params = {k: v.detach() for k, v in critic.named_parameters() if v.requires_grad}   # not a frozen layer's
    buffers = {**{k: v.detach() for k, v in critic.named_buffers()},
               **{k: v.detach() for k, v in critic.named_parameters() if not v.requires_grad}}
    proj = projection and labels is not None

    def out(p, x, y):
        return _at_least_fp32(functional_call(critic, (p, buffers), (x.unsqueeze(0),)))

    def one(p, x, f, a, y):
        yy = y.view(1) if y is not None else None
        x_hat = torch.lerp(f, x, a)
        g = grad(lambda inp: _wasserstein(out(p, inp, yy), yy if proj else None).sum())(x_hat)
        excess = torch.linalg.vector_norm(_at_least_fp32(g).flatten(), ord=2) - 1.0
        if loss == "wgan-gp-one-sided":
            excess = excess.clamp_min(0.0)
        full_real = out(p, x, yy)
        w = (_wasserstein(full_real, yy if proj else None) - _wasserstein(out(p, f, yy), yy if proj else None)).sum()
        value = -w
        if yy is not None and not proj:
            value = value + ac_weight * F.cross_entropy(full_real.reshape(1, -1)[:, 1:], yy)
        penalty = excess.square()
        total = value + gp_weight * penalty
        return total, torch.stack((w, penalty, total)).detach()

    in_dims = (None, 0, 0, 0, 0 if labels is not None else None)
    return vmap(grad(one, has_aux=True), in_dims=in_dims, randomness="error")(
        params, real.detach(), fake.detach().to(real.dtype), alpha, labels)


def generator_loss(critic: nn.Module, fake: torch.Tensor, loss: str, labels: torch.Tensor | None = None,
                   ac_weight: float = 0.1, projection: bool = False) -> torch.Tensor:
    """``-E[D(G(z))]`` for the Wasserstein losses, ``E[softplus(-D(G(z)))]`` for the standard GAN;
    ``labels`` (conditional): plus ``ac_weight * CE`` of the critic's class logits against them
    (with ``projection``: ``D(G(z, y), y)`` instead, no CE)."""
    full = _at_least_fp32(critic(fake))
    out = _wasserstein(full, labels if projection else None)
    ac = _class_term(full, None if projection else labels, ac_weight)
    if loss == "gan":
        return F.softplus(-out).mean() + ac
    return -out.mean() + ac


def critic_loss_and_grads(critic, params: list[torch.Tensor], real: torch.Tensor, fake: torch.Tensor,
                          alpha: torch.Tensor, loss: str, gp_weight: float, labels: torch.Tensor | None = None,
                          ac_weight: float = 1.0, projection: bool = False):
    """:func:`critic_loss` and its gradients w.r.t. ``params`` (the critic's), as values rather than
    ``.grad`` accumulations: ``(loss, w_estimate, penalty, grads)``, all detached. What
    :mod:`wgangp.train.traced` records once as a graph (the penalty's double backward included)."""
    with torch.enable_grad():
        value, w, penalty = critic_loss(critic, real, fake, alpha, loss, gp_weight, labels=labels,
                                        ac_weight=ac_weight, projection=projection)
        grads = torch.autograd.grad(value, params)
    return value.detach(), w, penalty, [g.detach() for g in grads]


def generator_loss_and_grads(generate, critic, params: list[torch.Tensor], z: torch.Tensor, loss: str,
                             labels: torch.Tensor | None = None, ac_weight: float = 0.1, projection: bool = False):
    """:func:`generator_loss` of ``generate(z, labels)`` and its gradients w.r.t. ``params`` (the
    generator's; the critic's weights are constants here): ``(loss, grads)``, detached."""
    with torch.enable_grad():
        value = generator_loss(critic, generate(z, labels), loss, labels=labels, ac_weight=ac_weight,
                               projection=projection)
        grads = torch.autograd.grad(value, params)
    return value.detach(), [g.detach() for g in grads]


def critic_gradients(critic: nn.Module, real: torch.Tensor, fake: torch.Tensor, loss: str,
                     labels: torch.Tensor | None = None, projection: bool = False) -> list[torch.Tensor]:
    """Gradients of the critic's adversarial term w.r.t. each of ``critic.parameters()`` (the
    diagnostics' per-layer gradient norms, the paper's Figure 1a): ``E[D(x~)] - E[D(x)]`` for the
    Wasserstein losses, the GAN critic loss for ``gan``; no penalty and no class term, so runs with
    different Lipschitz devices (clipping, penalties) are compared on the same quantity. Nothing is
    accumulated into ``.grad``."""
    n, params = real.shape[0], list(critic.parameters())
    frozen = [p for p in params if not p.requires_grad]      # train.freeze_critic's layers: measured all the same
    try:
        for p in frozen:
            p.requires_grad_(True)
        with torch.enable_grad():
            full = _at_least_fp32(critic(torch.cat([real, fake.detach().to(real.dtype)])))
            out = _wasserstein(full, torch.cat([labels, labels]) if projection and labels is not None else None)
            d_real, d_fake = out[:n], out[n:]
            value = (F.softplus(-d_real).mean() + F.softplus(d_fake).mean() if loss == "gan"
                     else d_fake.mean() - d_real.mean())
            return list(torch.autograd.grad(value, params, allow_unused=True))
    finally:
        for p in frozen:
            p.requires_grad_(False)


@torch.no_grad()
def critic_values(critic: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The critic's Wasserstein value at each sample, ``(N,)``, without a graph (the live view's surface)."""
    return _wasserstein(_at_least_fp32(critic(x)))


def critic_input_gradients(critic: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``(D(x), dD/dx)`` of the critic's Wasserstein value at each sample, ``(N,)`` and ``x``'s shape,
    detached (the live view: the direction each generated point is pushed, and ``||grad D||`` at
    interpolates, which the penalty holds near 1). Nothing is accumulated into ``.grad``."""
    with torch.enable_grad():
        x = x.detach().requires_grad_(True)
        value = _wasserstein(_at_least_fp32(critic(x)))
        (grad,) = torch.autograd.grad(value.sum(), x)
    return value.detach(), grad.detach()


@torch.no_grad()
def clip_weights_(critic: nn.Module, c: float) -> None:
    """Clamp every critic parameter to ``[-c, c]`` in place (the original WGAN's Lipschitz device)."""
    params = [p for p in critic.parameters()]
    torch._foreach_clamp_min_(params, -c)
    torch._foreach_clamp_max_(params, c)
