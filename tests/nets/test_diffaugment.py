"""train.diffaugment (Zhao et al. 2020): each op does what its name says to every sample with its own
draw, the gradient reaches the input (generator step) and the critic's weights through the penalty's
double backward, a run trains with it reproducibly, and settings it cannot serve are refused."""
import numpy as np
import pytest
import torch

from wgangp import objectives
from wgangp.config import load_config
from wgangp.errors import UserError
from wgangp.run import build_trainer
from wgangp.nets import diffaugment as da


def _gen(seed=0):
    return torch.Generator().manual_seed(seed)


def test_translation_shifts_each_series_by_at_most_an_eighth_and_fills_with_zeros():
    x = torch.arange(1, 33, dtype=torch.float32).repeat(64, 2, 1)            # (64, 2, 32): 1..32 in each channel
    out = da.translation(x, _gen())
    shifts = set()
    for row in out:
        nz = row[0][row[0] != 0]
        s = int(row[0].nonzero()[0]) - int(nz[0]) + 1                          # where value v landed: v - 1 + s
        assert -4 <= s <= 4 and torch.equal(row[0], row[1])                    # channels move together
        expect = torch.zeros(32)
        src = torch.arange(32) - s
        ok = (src >= 0) & (src < 32)
        expect[ok] = src[ok].float() + 1
        assert torch.equal(row[0], expect)
        shifts.add(s)
    assert len(shifts) > 4                                                     # one draw per sample


def test_cutout_zeroes_one_window_of_half_the_length_and_keeps_the_rest():
    x = torch.arange(1, 33, dtype=torch.float32).repeat(64, 1, 1)
    out = da.cutout(x, _gen())
    starts = set()
    for row in out[:, 0]:
        zero = (row == 0).nonzero().flatten()
        assert 8 <= len(zero) <= 16 and torch.equal(zero, torch.arange(int(zero[0]), int(zero[-1]) + 1))
        assert len(zero) == 16 or zero[0] == 0 or zero[-1] == 31              # shorter only where the edge clips it
        keep = row != 0
        assert torch.equal(row[keep], x[0, 0][keep])
        starts.add(int(zero[0]))
    assert len(starts) > 4


def test_image_ops_act_on_both_spatial_axes():
    x = (1 + torch.arange(256, dtype=torch.float32)).view(1, 1, 16, 16).repeat(16, 3, 1, 1)    # pixel (i, j): 1 + 16i + j
    t = da.translation(x, _gen())
    moved = set()
    for img in t[:, 0]:                       # each image: x shifted by (a, b), |a|, |b| <= 2, zeros shifted in
        k = img.nonzero()[0]
        v = int(img[k[0], k[1]]) - 1
        a, b = int(k[0]) - v // 16, int(k[1]) - v % 16
        assert abs(a) <= 2 and abs(b) <= 2
        src_i, src_j = torch.arange(16) - a, torch.arange(16) - b
        ok = ((src_i >= 0) & (src_i < 16))[:, None] & ((src_j >= 0) & (src_j < 16))[None, :]
        expect = torch.where(ok, 1 + 16 * src_i[:, None] + src_j[None, :], 0).float()
        assert torch.equal(img, expect)
        moved.add((a, b))
    assert any(a != 0 for a, _ in moved) and any(b != 0 for _, b in moved)      # both axes move
    x = torch.ones(16, 3, 16, 16)
    c = da.cutout(x, _gen())
    holes = (c[:, 0] == 0).sum(dim=(1, 2))
    assert (holes <= 64).all() and (holes >= 16).all() and (holes == 64).any()   # an 8 x 8 square, clipped at edges
    assert torch.equal(c[:, 0], c[:, 2])                                        # the same hole in every channel


def test_color_is_a_per_sample_affine_map_in_the_papers_ranges():
    x = torch.randn(32, 1, 50)
    out = da.color(x, _gen())
    for a, b in zip(x, out):                                                    # one channel: saturation is a no-op
        slope = float(torch.linalg.lstsq(torch.stack([a[0], torch.ones(50)], 1), b[0:1].T).solution[0])
        assert 0.5 - 1e-4 <= slope <= 1.5 + 1e-4
        assert torch.allclose(b[0], slope * a[0] + (b[0] - slope * a[0]).mean(), atol=1e-5)


def test_the_penalised_critic_loss_reaches_every_weight_and_the_input_through_the_augmentation():
    critic = torch.nn.Sequential(torch.nn.Conv1d(1, 4, 5, padding=2), torch.nn.Tanh(), torch.nn.Flatten(),
                                 torch.nn.Linear(4 * 24, 1))
    aug = da.AugmentedCritic(critic, da.parse_policy("color,translation,cutout"), _gen())
    real, fake = torch.randn(8, 1, 24), torch.randn(8, 1, 24)
    loss, _, penalty = objectives.critic_loss(aug, real, fake, torch.rand(8, 1, 1), "wgan-gp", 10.0)
    weights = list(critic.parameters())[:-1]               # not the output bias: D(real) - D(fake) cancels it
    grads = torch.autograd.grad(loss, weights)
    assert all(g.abs().sum() > 0 for g in grads) and penalty > 0
    fake.requires_grad_(True)
    cut = da.AugmentedCritic(critic, ("cutout",), _gen())                       # the generator step's path
    (g,) = torch.autograd.grad(cut(fake).sum(), fake)
    hole = da.cutout(torch.ones_like(fake), _gen()) == 0                        # the same draw: the same holes
    assert (g[hole] == 0).all() and (g[~hole] != 0).all()


def _signals(tmp_path, **over):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "s.npz", x_train=rng.normal(size=(32, 1, 64)).astype(np.float32), y_train=np.arange(32) % 2)
    return load_config("signals-sines-cond", {"data.name": "signals", "data.path": str(tmp_path / "s.npz"),
                                              "model.arch": "dcgan-1d", "model.dim": 4, "data.batch_size": 8,
                                              "device": "cpu", "train.iterations": 3, **over})


def test_a_run_with_diffaugment_trains_reproducibly_and_differs_from_one_without(tmp_path):
    def weights(over):
        tr = build_trainer(_signals(tmp_path, **over))
        for _ in range(3):
            tr.iteration()
        return torch.cat([p.detach().flatten() for p in (*tr.G.parameters(), *tr.D.parameters())])
    a, b = weights({"train.diffaugment": "translation,cutout"}), weights({"train.diffaugment": "translation,cutout"})
    plain = weights({})
    assert torch.isfinite(a).all() and torch.equal(a, b) and not torch.equal(a, plain)
    tr = build_trainer(_signals(tmp_path, **{"train.diffaugment": "translation"}))
    assert isinstance(tr.D_step, da.AugmentedCritic) and isinstance(tr.D_gen, da.AugmentedCritic)
    assert not isinstance(tr.D, da.AugmentedCritic)                            # evaluation sees the critic itself


@pytest.mark.parametrize("over, match", [
    ({"train.diffaugment": "translation,flip"}, "train.diffaugment' takes a comma list of color, translation, "
                                                "cutout; got 'flip'"),
    ({"train.diffaugment": "cutout", "train.trace_steps": True}, "cannot be combined with train.trace_steps"),
    ({"train.diffaugment": "cutout", "train.cuda_graphs": True}, "cannot be combined with train.cuda_graphs"),
    ({"train.diffaugment": "cutout", "train.dp_epsilon": 8.0, "model.conditional": False},
     "cannot be combined with train.dp_epsilon"),
])
def test_what_diffaugment_cannot_serve_is_refused_in_one_line(tmp_path, over, match):
    with pytest.raises(UserError, match=match) as e:                          # an unknown name: at load_config;
        build_trainer(_signals(tmp_path, **over), graph_capture=False)        # cuda_graphs built (not captured) on a CPU
    assert "\n" not in str(e.value)


@pytest.mark.parametrize("preset, kind", [("toy-8gaussians", "points"), ("table-breast-cancer", "tables"),
                                          ("text-python-docs", "text")])
def test_diffaugment_is_refused_with_the_config_for_data_without_time_or_space_axes(preset, kind):
    with pytest.raises(UserError, match=rf"for series \(C, L\) and images \(C, H, W\), not {kind} data") as e:
        load_config(preset, {"train.diffaugment": "translation"})             # before anything is built (--dry-run)
    assert "\n" not in str(e.value)


def test_a_run_with_diffaugment_stopped_and_resumed_equals_one_run_through(tmp_path):
    import wgangp
    from wgangp.train.checkpoint import load_checkpoint
    cfg = _signals(tmp_path, **{"train.diffaugment": "color,translation,cutout", "train.iterations": 6,
                                "train.ckpt_every": 2, "train.sample_every": 0, "train.eval_every": 0})
    over = {k: v for k, v in cfg.flat().items() if k.split(".")[0] in ("data", "model", "train", "device")}
    wgangp.train("signals-sines-cond", tmp_path / "a", over, progress=False)
    wgangp.train("signals-sines-cond", tmp_path / "b", over, progress=False, stop_after=3)
    wgangp.train(None, tmp_path / "b", resume=True, progress=False)
    a, b = (load_checkpoint(tmp_path / d / "checkpoint.pt") for d in "ab")
    for key in ("generator", "critic"):
        assert all(torch.equal(a[key][n], b[key][n]) for n in a[key])


def test_an_image_run_trains_with_every_policy(tmp_path):
    np.savez(tmp_path / "c.npz", x_train=np.random.default_rng(0).integers(0, 256, (32, 32, 32, 3), dtype=np.uint8))
    tr = build_trainer(load_config("cifar10-dcgan", {"data.name": "images", "data.path": str(tmp_path / "c.npz"),
                                                     "model.dim": 4, "data.batch_size": 8, "train.n_critic": 2,
                                                     "device": "cpu", "train.diffaugment": "color,translation,cutout"}))
    before = {n: [p.detach().clone() for p in m.parameters()] for n, m in (("G", tr.G), ("D", tr.D))}
    for _ in range(2):
        tr.iteration()
    for name, m in (("G", tr.G), ("D", tr.D)):                                # both networks take finite steps
        assert all(torch.isfinite(p).all() for p in m.parameters())
        assert any(not torch.equal(a, b) for a, b in zip(before[name], m.parameters())), name


@pytest.mark.parametrize("precision", ["bf16", "fp16"])
def test_diffaugment_trains_finite_under_autocast_and_augments_half_inputs_in_fp32(tmp_path, precision):
    tr = build_trainer(_signals(tmp_path, **{"train.diffaugment": "color,translation,cutout",
                                             "train.precision": precision}))
    for _ in range(3):
        tr.iteration()
    assert all(torch.isfinite(p).all() for p in (*tr.G.parameters(), *tr.D.parameters()))
    seen = []

    class Spy(torch.nn.Module):
        def forward(self, x):
            seen.append(x.dtype)
            return x.flatten(1).sum(1, keepdim=True)
    aug = da.AugmentedCritic(Spy(), ("color", "translation", "cutout"), torch.Generator().manual_seed(0))
    aug(torch.randn(4, 1, 32).to(torch.bfloat16 if precision == "bf16" else torch.float16))
    assert seen == [torch.float32]
