"""Critic layers: the lean-double-backward ReLU gives exactly torch's values and gradients, to second order;
the minibatch-std channel is each group's spread and carries the gradient penalty."""
import torch

from wgangp import objectives
from wgangp.nets.mlp import MLP, MLPSizes


def _pair():
    torch.manual_seed(0)
    fast = MLP(MLPSizes(2, 1, hidden=64, depth=3, activation="relu")).double()
    native = MLP(MLPSizes(2, 1, hidden=64, depth=3, activation="relu-native")).double()
    native.load_state_dict(fast.state_dict())
    return fast, native


def _assert_same_penalty_gradients(fast, native, real, fake, alpha, rtol, atol):
    """The WGAN-GP critic loss gives both critics the same parameter gradients."""
    grads = []
    for net in (fast, native):
        loss, _, _ = objectives.critic_loss(net, real, fake, alpha, "wgan-gp", gp_weight=10.0)
        grads.append(torch.autograd.grad(loss, list(net.parameters())))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=rtol, atol=atol)


def test_forward_and_input_gradient_equal_native_relu():
    fast, native = _pair()
    x = torch.randn(100, 2, dtype=torch.float64, requires_grad=True)
    torch.testing.assert_close(fast(x), native(x), rtol=0, atol=0)
    (g1,) = torch.autograd.grad(fast(x).sum(), x)
    (g2,) = torch.autograd.grad(native(x).sum(), x)
    torch.testing.assert_close(g1, g2, rtol=0, atol=0)


def test_penalty_parameter_gradients_equal_native_relu():
    fast, native = _pair()
    real, fake = torch.randn(64, 2, dtype=torch.float64), torch.randn(64, 2, dtype=torch.float64)
    alpha = torch.rand(64, 1, dtype=torch.float64)
    _assert_same_penalty_gradients(fast, native, real, fake, alpha, rtol=1e-12, atol=1e-14)


def test_double_backward_builds_no_zero_branch():
    # torch's ReLU double backward creates a zeros_like node; ours must not.
    fast, native = _pair()
    x = torch.randn(8, 2, dtype=torch.float64, requires_grad=True)

    def count(net):
        (g,) = torch.autograd.grad(net(x).sum(), x, create_graph=True)
        seen, stack, n = set(), [g.grad_fn], 0
        while stack:
            fn = stack.pop()
            if fn is None or fn in seen:
                continue
            seen.add(fn)
            n += 1
            stack.extend(f for f, _ in fn.next_functions)
        return n

    assert count(fast) < count(native)


def test_leaky_relu_matches_torch_to_second_order():
    from torch import nn

    from wgangp.nets.layers import LeakyReLU

    torch.manual_seed(1)
    lin = nn.Linear(3, 16).double()
    head = nn.Linear(16, 1).double()
    x = torch.randn(32, 3, dtype=torch.float64, requires_grad=True)
    grads = []
    for act in (LeakyReLU(0.2), nn.LeakyReLU(0.2)):
        (g,) = torch.autograd.grad(head(act(lin(x))).sum(), x, create_graph=True)
        penalty = ((g.norm(dim=1) - 1) ** 2).mean()
        grads.append(torch.autograd.grad(penalty, [lin.weight, head.weight]) + (g,))
    for a, b in zip(*grads):
        torch.testing.assert_close(a, b, rtol=1e-12, atol=1e-14)


def _conv_pair():
    from wgangp.config import ModelConfig
    from wgangp.nets import build_networks

    torch.manual_seed(0)
    _, fast = build_networks(ModelConfig(arch="dcgan-mnist", noise_dim=8, dim=4, activation="relu"), (1, 28, 28))
    _, native = build_networks(ModelConfig(arch="dcgan-mnist", noise_dim=8, dim=4, activation="relu-native"), (1, 28, 28))
    native.load_state_dict(fast.state_dict())
    return fast.double(), native.double()


def test_conv_critic_penalty_sends_nothing_back_through_its_forward_graph():
    # A convolution's input-gradient does not depend on its input, so the double backward hands the
    # layer below an undefined gradient; torch's LeakyReLU (and a materialising autograd.Function)
    # turn it into zeros and run a full convolution backward on them, down to x^ itself.
    fast, native = _conv_pair()
    for net, expect_none in ((fast, True), (native, False)):
        x = torch.randn(4, 1, 28, 28, dtype=torch.float64, requires_grad=True)
        (g,) = torch.autograd.grad(net(x).sum(), x, create_graph=True)
        ((g.flatten(1).norm(dim=1) - 1) ** 2).mean().backward()
        assert (x.grad is None) == expect_none
        if x.grad is not None:
            assert not x.grad.any()          # what torch sends back is all zeros: pure waste


def test_conv_critic_penalty_gradients_equal_native_leaky_relu():
    fast, native = _conv_pair()
    real, fake = torch.rand(6, 1, 28, 28, dtype=torch.float64), torch.rand(6, 1, 28, 28, dtype=torch.float64)
    alpha = torch.rand(6, 1, 1, 1, dtype=torch.float64)
    _assert_same_penalty_gradients(fast, native, real, fake, alpha, rtol=1e-10, atol=1e-12)


def test_minibatch_std_appends_each_groups_feature_std_as_one_channel():
    from wgangp.nets.layers import MinibatchStd

    torch.manual_seed(0)
    x = torch.randn(8, 3, 10, dtype=torch.float64)
    y = MinibatchStd(4)(x)
    assert y.shape == (8, 4, 10)
    torch.testing.assert_close(y[:, :3], x, rtol=0, atol=0)
    for j in range(2):                                   # groups are strided, as Progressive GAN's reshape
        members = [i for i in range(8) if i % 2 == j]
        want = x[members].std(dim=0, unbiased=False).mean()
        torch.testing.assert_close(y[members, 3], want.expand(4, 10), rtol=1e-6, atol=1e-6)


def test_minibatch_std_is_near_zero_for_a_collapsed_group_and_takes_any_batch_size():
    from wgangp.nets.layers import MinibatchStd

    x = torch.randn(8, 2, 5)
    x[1::2] = x[1]                                       # the second group: one sample four times
    y = MinibatchStd(4)(x)
    assert y[1::2, 2].max() < 1e-3 < y[0::2, 2].min()
    assert MinibatchStd(4)(torch.randn(6, 2, 5)).shape == (6, 3, 5)       # group 3 (largest divisor of 6 <= 4)
    assert MinibatchStd(4)(torch.randn(1, 2, 5))[0, 2].max() < 1e-3       # a batch of one: no spread


def test_minibatch_std_passes_the_gradient_penalty_to_every_critic_weight():
    from wgangp.config import ModelConfig
    from wgangp.nets import build_networks

    torch.manual_seed(0)
    for arch, length in (("resnet-1d", 32), ("dcgan-1d", 32)):
        _, d = build_networks(ModelConfig(arch=arch, noise_dim=8, dim=4, minibatch_std=2), (2, length), 3)
        assert any(type(m).__name__ == "MinibatchStd" for m in d.modules())
        x = torch.randn(4, 2, length, requires_grad=True)
        (grad,) = torch.autograd.grad(d(x)[:, 0].sum(), x, create_graph=True)
        ((grad.flatten(1).norm(dim=1) - 1) ** 2).mean().backward()
        for name, p in d.named_parameters():
            if name.endswith("weight") and "classes" not in name:
                assert p.grad is not None and torch.isfinite(p.grad).all() and p.grad.abs().sum() > 0, (arch, name)


def test_minibatch_std_on_a_network_without_it_or_a_group_of_one_is_a_one_line_error():
    import pytest

    from wgangp.config import ModelConfig
    from wgangp.errors import UserError
    from wgangp.nets import build_networks

    with pytest.raises(UserError, match="model.minibatch_std is built into dcgan-1d and resnet-1d, not "
                                        "model.arch=wavegan; set model.minibatch_std=0"):
        build_networks(ModelConfig(arch="wavegan", noise_dim=8, dim=4, minibatch_std=4), (1, 64))
    for group in (1, -2):               # the layer's own check, as the network builder's one line
        with pytest.raises(UserError, match=f"^model.arch=resnet-1d: a minibatch-std group needs 2 or more samples, "
                                            f"got {group}$"):
            build_networks(ModelConfig(arch="resnet-1d", noise_dim=8, dim=4, minibatch_std=group), (1, 64))
