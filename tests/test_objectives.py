"""The objective against analytic values, finite differences and the paper's definitions."""
import pytest
import torch
from torch import nn

from wgangp import objectives
from wgangp.nets.mlp import MLP, MLPSizes


class Linear(nn.Module):
    """D(x) = w . x (all non-batch dims flattened)."""

    def __init__(self, w):
        super().__init__()
        self.w = nn.Parameter(w.clone())

    def forward(self, x):
        return (x.flatten(1) * self.w.flatten()).sum(1, keepdim=True)


class Quadratic(nn.Module):
    """D(x) = x^T A x + b . x, gradient (A + A^T) x + b."""

    def __init__(self, A, b):
        super().__init__()
        self.A = nn.Parameter(A.clone())
        self.b = nn.Parameter(b.clone())

    def forward(self, x):
        return (torch.einsum("ni,ij,nj->n", x, self.A, x) + x @ self.b)[:, None]


@pytest.mark.parametrize("scale", [0.3, 1.0, 2.5])
def test_linear_critic_penalty_is_norm_minus_one_squared(scale):
    torch.manual_seed(0)
    w = torch.randn(3, 4, 4, dtype=torch.float64)
    w = w / w.norm() * scale
    real, fake = torch.randn(8, 3, 4, 4, dtype=torch.float64), torch.randn(8, 3, 4, 4, dtype=torch.float64)
    alpha = torch.rand(8, 1, 1, 1, dtype=torch.float64)
    gp, norms = objectives.gradient_penalty(Linear(w), real, fake, alpha)
    torch.testing.assert_close(norms, torch.full((8,), scale, dtype=torch.float64))   # norm over C,H,W
    assert gp.item() == pytest.approx((scale - 1.0) ** 2, rel=1e-12, abs=1e-14)
    one, _ = objectives.gradient_penalty(Linear(w), real, fake, alpha, one_sided=True)
    assert one.item() == pytest.approx(max(0.0, scale - 1.0) ** 2, rel=1e-12, abs=1e-14)


def test_quadratic_critic_penalty_matches_hand_derived_gradient_with_per_sample_alpha():
    torch.manual_seed(1)
    n, d = 6, 5
    A, b = torch.randn(d, d, dtype=torch.float64), torch.randn(d, dtype=torch.float64)
    real, fake = torch.randn(n, d, dtype=torch.float64), torch.randn(n, d, dtype=torch.float64)
    alpha = torch.linspace(0.0, 1.0, n, dtype=torch.float64)[:, None]     # a different alpha per sample
    gp, norms = objectives.gradient_penalty(Quadratic(A, b), real, fake, alpha)
    x_hat = alpha * real + (1 - alpha) * fake                              # the paper's interpolate
    grad = x_hat @ (A + A.T).T + b
    torch.testing.assert_close(norms, grad.norm(dim=1))
    torch.testing.assert_close(gp, ((grad.norm(dim=1) - 1) ** 2).mean())
    # One shared alpha for the batch would give different norms: the test can tell the two apart.
    shared = x_hat.new_full((n, 1), 0.5)
    _, norms_shared = objectives.gradient_penalty(Quadratic(A, b), real, fake, shared)
    assert not torch.allclose(norms_shared, norms)


def test_penalty_parameter_gradient_matches_finite_differences():
    torch.manual_seed(2)
    critic = MLP(MLPSizes(2, 1, hidden=8, depth=2)).double()
    real, fake = torch.randn(16, 2, dtype=torch.float64), torch.randn(16, 2, dtype=torch.float64)
    alpha = torch.rand(16, 1, dtype=torch.float64)

    def penalty():
        return objectives.gradient_penalty(critic, real, fake, alpha)[0]

    params = list(critic.parameters())
    # Biases reach the input-gradient only through ReLU masks (derivative 0 a.e.): unused, so zero.
    grads = torch.autograd.grad(penalty(), params, allow_unused=True, materialize_grads=True)
    eps = 1e-6
    with torch.no_grad():
        for p, g in zip(params, grads):
            flat, gflat = p.view(-1), g.reshape(-1)
            for i in range(0, flat.numel(), max(1, flat.numel() // 7)):
                old = flat[i].item()
                flat[i] = old + eps
                up = penalty().item()
                flat[i] = old - eps
                down = penalty().item()
                flat[i] = old
                assert gflat[i].item() == pytest.approx((up - down) / (2 * eps), rel=1e-5, abs=1e-8)


def test_penalty_is_finite_at_zero_gradient():
    critic = Linear(torch.zeros(4))
    real, fake = torch.randn(5, 4), torch.randn(5, 4)
    gp, norms = objectives.gradient_penalty(critic, real, fake, torch.rand(5, 1))
    assert gp.item() == 1.0 and torch.all(norms == 0)
    (g,) = torch.autograd.grad(gp, critic.w)
    assert torch.isfinite(g).all()


def test_critic_loss_composes_wasserstein_terms_and_weighted_penalty():
    torch.manual_seed(3)
    w = torch.tensor([1.5, -0.5, 2.0])
    critic = Linear(w)
    real, fake, alpha = torch.randn(10, 3), torch.randn(10, 3), torch.rand(10, 1)
    loss, west, gp = objectives.critic_loss(critic, real, fake, alpha, "wgan-gp", gp_weight=7.0)
    d_real, d_fake = real @ w, fake @ w
    expected_gp = (w.norm() - 1) ** 2
    torch.testing.assert_close(gp, expected_gp)
    torch.testing.assert_close(loss, d_fake.mean() - d_real.mean() + 7.0 * expected_gp)
    torch.testing.assert_close(west, d_real.mean() - d_fake.mean())
    clip_loss, _, _ = objectives.critic_loss(critic, real, fake, None, "wgan-clip", gp_weight=7.0)
    torch.testing.assert_close(clip_loss, d_fake.mean() - d_real.mean())


def test_standard_gan_losses_are_non_saturating_cross_entropy():
    torch.manual_seed(4)
    w = torch.tensor([0.7, -1.2])
    critic = Linear(w)
    real, fake = torch.randn(9, 2), torch.randn(9, 2)
    loss, _, _ = objectives.critic_loss(critic, real, fake, None, "gan", gp_weight=10.0)
    bce = nn.functional.binary_cross_entropy_with_logits
    expected = bce(real @ w, torch.ones(9)) + bce(fake @ w, torch.zeros(9))
    torch.testing.assert_close(loss, expected)
    torch.testing.assert_close(objectives.generator_loss(critic, fake, "gan"), bce(fake @ w, torch.ones(9)))
    torch.testing.assert_close(objectives.generator_loss(critic, fake, "wgan-gp"), -(fake @ w).mean())


def test_clip_weights_bounds_every_parameter():
    critic = MLP(MLPSizes(2, 1, hidden=16, depth=2))
    with torch.no_grad():
        for p in critic.parameters():
            p.mul_(100)
    objectives.clip_weights_(critic, 0.01)
    for p in critic.parameters():
        assert p.abs().max().item() <= 0.01
    assert any((p.abs() == 0.01).any() for p in critic.parameters())


def test_fp16_penalty_recipe_scales_then_unscales_the_input_gradient():
    torch.manual_seed(0)
    critic = torch.nn.Sequential(torch.nn.Conv2d(3, 8, 3, padding=1), torch.nn.ReLU(), torch.nn.Flatten(),
                                 torch.nn.Linear(8 * 8 * 8, 1))
    real, fake, alpha = torch.randn(4, 3, 8, 8), torch.randn(4, 3, 8, 8), torch.rand(4, 1, 1, 1)
    p32, n32 = objectives.gradient_penalty(critic, real, fake, alpha)
    with torch.autocast("cpu", dtype=torch.float16):
        p16, n16 = objectives.gradient_penalty(critic, real, fake, alpha, grad_scale=torch.tensor(1024.0))
        assert critic(real).dtype == torch.float16                       # really ran in half precision
    assert p16.dtype == torch.float32
    torch.testing.assert_close(n16, n32, rtol=2e-3, atol=1e-4)            # unscaled: the same norms
    torch.testing.assert_close(p16, p32, rtol=2e-3, atol=1e-4)
    with torch.autocast("cpu", dtype=torch.float16):                     # a scale fp16 cannot hold: inf,
        p_inf, _ = objectives.gradient_penalty(critic, real, fake, alpha, grad_scale=torch.tensor(2.0 ** 30))
    assert not torch.isfinite(p_inf)                                      # which GradScaler then skips
