"""Class-conditional WGAN-GP (AC-GAN terms, conditional BatchNorm, class sampling) -- issue #5 parts."""
import numpy as np
import pytest
import torch
from torch.nn import functional as F

import wgangp
from wgangp import objectives
from wgangp.cli import main
from wgangp.config import ModelConfig
from wgangp.data import toy_distribution
from wgangp.nets import build_networks
from wgangp.nets.conditional import CondBatchNorm2d


def test_conditional_batchnorm_applies_the_gamma_and_beta_of_each_sample_label():
    bn = CondBatchNorm2d(2, n_classes=3)
    with torch.no_grad():
        bn.gamma.weight.copy_(torch.tensor([[1.0, 1.0], [2.0, 3.0], [-1.0, 0.5]]))
        bn.beta.weight.copy_(torch.tensor([[0.0, 0.0], [1.0, -1.0], [5.0, 6.0]]))
    x = torch.randn(4, 2, 3, 3) * 3 + 1
    labels = torch.tensor([2, 0, 1, 2])
    normed = F.batch_norm(x, None, None, training=True)
    out = bn(x, labels)
    for i, k in enumerate(labels.tolist()):
        expected = normed[i] * bn.gamma.weight[k][:, None, None] + bn.beta.weight[k][:, None, None]
        torch.testing.assert_close(out[i], expected)


def test_ac_terms_are_added_with_their_stated_weights():
    torch.manual_seed(0)
    g, d = build_networks(ModelConfig(arch="mlp", noise_dim=2, hidden=8, depth=2), (2,), n_classes=4)
    real, fake, alpha = torch.randn(6, 2), torch.randn(6, 2), torch.rand(6, 1)
    y = torch.tensor([0, 1, 2, 3, 0, 1])
    base, _, _ = objectives.critic_loss(d, real, fake, alpha, "wgan-gp", 10.0)
    with_ac, _, _ = objectives.critic_loss(d, real, fake, alpha, "wgan-gp", 10.0, labels=y, ac_weight=1.0)
    ce_real = F.cross_entropy(d(real)[:, 1:], y)                # real samples only
    torch.testing.assert_close(with_ac - base, ce_real)
    g_base = objectives.generator_loss(d, fake, "wgan-gp")
    g_ac = objectives.generator_loss(d, fake, "wgan-gp", labels=y, ac_weight=0.1)
    torch.testing.assert_close(g_ac - g_base, 0.1 * F.cross_entropy(d(fake)[:, 1:], y))


def test_penalty_of_a_conditional_critic_sees_only_the_wasserstein_column():
    torch.manual_seed(0)
    _, d = build_networks(ModelConfig(arch="mlp", noise_dim=2, hidden=8, depth=2), (2,), n_classes=3)
    real, fake, alpha = torch.randn(5, 2), torch.randn(5, 2), torch.rand(5, 1)
    gp, norms = objectives.gradient_penalty(d, real, fake, alpha)
    x_hat = torch.lerp(fake, real, alpha).requires_grad_(True)
    (grad,) = torch.autograd.grad(d(x_hat)[:, 0].sum(), x_hat)
    torch.testing.assert_close(norms, grad.norm(dim=1))


class _LinearCritic(torch.nn.Module):
    """``x -> [x.a, x.b_0, ..., x.b_{K-1}]``: every input-gradient known in closed form."""

    def __init__(self, a, b):
        super().__init__()
        self.w = torch.nn.Parameter(torch.cat([a[None], b]))

    def forward(self, x):
        return x @ self.w.T


def test_projection_reads_the_value_as_column_0_plus_the_labels_column_and_adds_no_ce():
    a, b = torch.tensor([0.5, 0.0]), torch.tensor([[0.0, 2.0], [3.0, 0.0], [0.0, 0.0]])
    d = _LinearCritic(a, b)
    real, fake = torch.tensor([[1.0, 1.0], [2.0, 0.0]]), torch.tensor([[0.0, 1.0], [1.0, 0.0]])
    y = torch.tensor([0, 1])
    out = objectives._wasserstein(d(real), y)
    torch.testing.assert_close(out, torch.stack([real[0] @ (a + b[0]), real[1] @ (a + b[1])]))
    # D(x^, y) = x^.(a + b_y): gradient a + b_y whatever alpha, so the penalty is known exactly
    gp, norms = objectives.gradient_penalty(d, real, fake, torch.rand(2, 1), labels=y)
    torch.testing.assert_close(norms, torch.stack([(a + b[0]).norm(), (a + b[1]).norm()]))
    torch.testing.assert_close(gp, ((norms - 1) ** 2).mean())
    loss, w, _ = objectives.critic_loss(d, real, fake, torch.rand(2, 1), "wgan-gp", 10.0, labels=y, projection=True)
    d_real, d_fake = objectives._wasserstein(d(real), y), objectives._wasserstein(d(fake), y)
    torch.testing.assert_close(loss, d_fake.mean() - d_real.mean() + 10.0 * gp)       # no cross-entropy
    torch.testing.assert_close(w, d_real.mean() - d_fake.mean())
    g_loss = objectives.generator_loss(d, fake, "wgan-gp", labels=y, ac_weight=0.1, projection=True)
    torch.testing.assert_close(g_loss, -d_fake.mean())


def test_projection_conditioning_trains_and_samples_by_class(tmp_path):
    """100 iterations (~5 s) put every class on its own mode of the 8 Gaussians (1.00 at seeds 0,
    1; chance 1/8). Both AC weights are 0, so only the projection term carries the labels: the
    same run with loss.conditioning=ac scores ~0.1, and so would a projection that drops them."""
    run = wgangp.train("toy-8gaussians-cond", tmp_path / "r", {
        "loss.conditioning": "projection", "loss.ac_weight": 0.0, "loss.ac_weight_g": 0.0, "model.hidden": 64,
        "data.batch_size": 128, "train.iterations": 100, "train.ema": 0.0, "train.eval_every": 0, "seed": 0,
        "device": "cpu"}, progress=False)
    centers = toy_distribution("8gaussians").centers
    loaded = wgangp.load_run(tmp_path / "r")                      # sampled by class through the checkpoint
    assert loaded.config.loss.conditioning == "projection"
    hits = [(torch.cdist(loaded.sample(200, seed=1, classes=k), centers).argmin(1) == k).float().mean().item()
            for k in range(8)]
    assert min(hits) > 0.9, hits
    torch.testing.assert_close(loaded.sample(50, seed=2, classes=[3]), run.sample(50, seed=2, classes=[3]))


@pytest.mark.slow
@pytest.mark.parametrize("conditioning", ["ac", "projection"])
def test_conditional_8_gaussians_puts_each_class_on_its_own_mode(tmp_path, conditioning):
    run = wgangp.train("toy-8gaussians-cond", tmp_path / "r", {"train.iterations": 1500, "loss.conditioning": conditioning,
                                                              "train.eval_every": 0, "device": "cpu"}, progress=False)
    centers = toy_distribution("8gaussians").centers
    hits = [(torch.cdist(run.sample(300, classes=k), centers).argmin(1) == k).float().mean().item() for k in range(8)]
    assert min(hits) > 0.7, hits                                # chance would be 1/8


def test_class_sampling_from_the_cli(tmp_path):
    wgangp.train("toy-8gaussians", tmp_path / "r", {"model.conditional": True, "model.hidden": 16,
                                                    "train.iterations": 2, "train.eval_samples": 100,
                                                    "device": "cpu"}, progress=False)
    out = tmp_path / "s.npz"
    assert main(["sample", str(tmp_path / "r"), "-n", "6", "--class", "2,5", "-o", str(out)]) == 0
    with np.load(out) as z:
        assert z["y_train"].tolist() == [2, 5, 2, 5, 2, 5] and z["x_train"].shape == (6, 2)
    assert main(["sample", str(tmp_path / "r"), "-n", "3", "--class", "8", "-o", str(tmp_path / "x.npy")]) == 2
    assert main(["sample", str(tmp_path / "r"), "-n", "3", "--class", "two", "-o", str(tmp_path / "x.npy")]) == 2


def test_class_on_an_unconditional_run_and_a_conditional_run_without_labels_are_clear_errors(tmp_path, capsys):
    wgangp.train("toy-8gaussians", tmp_path / "u", {"model.hidden": 16, "train.iterations": 2, "device": "cpu",
                                                    "train.eval_samples": 100}, progress=False)
    assert main(["sample", str(tmp_path / "u"), "-n", "3", "--class", "1", "-o", str(tmp_path / "x.npy")]) == 2
    assert "not class-conditional" in capsys.readouterr().err
    assert main(["train", "toy-swissroll", "--out", str(tmp_path / "c"), "--quiet", "--set", "model.conditional=true",
                 "--set", "device=cpu"]) == 2
    assert "needs class labels" in capsys.readouterr().err
    assert not (tmp_path / "c" / "config.json").exists()


def test_conditional_mnist_like_run_with_labels_from_an_npz(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x_train=rng.integers(0, 256, (60, 28, 28), dtype=np.uint8),
             y_train=np.arange(60) % 3)
    run = wgangp.train("mnist-dcgan", tmp_path / "r", {"data.path": str(tmp_path / "d.npz"), "model.dim": 4,
                                                       "model.conditional": True, "train.iterations": 2,
                                                       "train.eval_samples": 30, "device": "cpu"}, progress=False)
    assert run.n_classes == 3
    loaded = wgangp.load_run(tmp_path / "r")
    assert loaded.n_classes == 3 and loaded.sample(4, classes=[1]).shape == (4, 1, 28, 28)
    assert main(["sample", str(tmp_path / "r"), "-n", "6", "-o", str(tmp_path / "pngs") + "/"]) == 0
    assert sorted(p.name for p in (tmp_path / "pngs").iterdir()) == ["0", "1", "2"]


def test_conditional_cifar_resnet_uses_conditional_batchnorm_in_its_blocks_only():
    g, d = build_networks(ModelConfig(arch="resnet-cifar", noise_dim=8, dim=8), (3, 32, 32), n_classes=10)
    assert sum(isinstance(m, CondBatchNorm2d) for m in g.modules()) == 6       # 3 blocks x 2
    assert isinstance(g.bn, torch.nn.BatchNorm2d)                               # the final BN unconditional
    assert d(g(torch.randn(2, 8), torch.tensor([3, 7]))).shape == (2, 11)



def _tiny_conditional_run(tmp_path, data_path, name="r"):
    return wgangp.train("mnist-dcgan-cond", tmp_path / name, {"data.path": str(data_path), "model.dim": 4,
                                                             "data.batch_size": 8, "train.iterations": 1,
                                                             "train.eval_samples": 20, "device": "cpu"},
                        progress=False)


def test_augment_npz_balances_classes_marks_synthetic_and_leaves_the_source_alone(tmp_path, capsys):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (30, 28, 28), dtype=np.uint8)
    y = np.array([0] * 15 + [1] * 10 + [2] * 5)
    np.savez(tmp_path / "d.npz", x_train=x, y_train=y, x_test=x[:4], y_test=y[:4])
    before = (tmp_path / "d.npz").read_bytes()
    _tiny_conditional_run(tmp_path, tmp_path / "d.npz")
    assert main(["augment", str(tmp_path / "r"), "--balance", "-o", str(tmp_path / "aug.npz")]) == 0
    assert "synthetic added [0, 5, 10]" in capsys.readouterr().out
    with np.load(tmp_path / "aug.npz") as z:
        assert np.bincount(z["y_train"]).tolist() == [15, 15, 15]
        assert z["synthetic"].sum() == 15 and not z["synthetic"][:30].any()
        np.testing.assert_array_equal(z["x_train"][:30, ..., 0], x)            # the real rows, untouched
        np.testing.assert_array_equal(z["x_test"], x[:4])
    assert (tmp_path / "d.npz").read_bytes() == before
    assert main(["augment", str(tmp_path / "r"), "--per-class", "12", "-o", str(tmp_path / "aug2.npz")]) == 0
    with np.load(tmp_path / "aug2.npz") as z:
        assert np.bincount(z["y_train"]).tolist() == [15, 12, 12]
    assert main(["augment", str(tmp_path / "r"), "--balance", "-o", str(tmp_path / "aug.npz")]) == 2   # no overwrite
    assert "already exists" in capsys.readouterr().err


class _BrightnessClassifier(torch.nn.Module):
    """Class = which of the bins cut at ``edges`` an image's mean value falls in."""

    def __init__(self, edges):
        super().__init__()
        self.edges = torch.tensor(edges)

    def logits(self, x):
        return F.one_hot(torch.bucketize(x.mean((1, 2, 3)), self.edges), len(self.edges) + 1).float()


def test_augment_filter_keeps_only_samples_the_classifier_puts_in_their_class(tmp_path):
    from wgangp.augment import augment

    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", x_train=rng.integers(0, 256, (30, 28, 28), dtype=np.uint8),
             y_train=np.array([0] * 20 + [1] * 5 + [2] * 5))
    run = _tiny_conditional_run(tmp_path, tmp_path / "d.npz")
    m = run.sample(300, seed=99).mean((1, 2, 3))          # cut the generated brightness in three equal bins
    clf = _BrightnessClassifier(torch.quantile(m, torch.tensor([1 / 3, 2 / 3])).tolist())
    report = augment(run, tmp_path / "aug.npz", filter_net=clf)
    assert report["synthetic"] == [0, 15, 15] and report["accepted"][0] is None
    assert all(0.05 < a < 0.95 for a in report["accepted"][1:])           # the filter did reject some
    with np.load(tmp_path / "aug.npz") as z:
        x, y, synthetic = z["x_train"], z["y_train"], z["synthetic"]
    assert np.bincount(y).tolist() == [20, 20, 20] and synthetic.sum() == 30
    t = torch.from_numpy(x[synthetic]).permute(0, 3, 1, 2).float().div(127.5).sub(1.0)
    assert (clf.logits(t).argmax(1).numpy() == y[synthetic]).all()


def test_augment_filter_gives_up_on_a_class_it_never_accepts_and_writes_nothing(tmp_path):
    from wgangp.augment import augment

    np.savez(tmp_path / "d.npz", x_train=np.zeros((12, 28, 28), np.uint8), y_train=np.array([0] * 8 + [1] * 4))
    run = _tiny_conditional_run(tmp_path, tmp_path / "d.npz")
    with pytest.raises(wgangp.UserError, match=r"class 1: the filter classifier accepted 0 of 12 "):
        augment(run, tmp_path / "aug.npz", filter_net=_BrightnessClassifier([2.0]), max_draws=3)   # always class 0
    assert not list(tmp_path.glob("*aug*"))
    with pytest.raises(wgangp.UserError, match="the filter classifier has 3 classes, the run 2"):
        augment(run, tmp_path / "aug.npz", filter_net=_BrightnessClassifier([0.0, 0.5]))
    assert not list(tmp_path.glob("*aug*"))


def test_augment_folder_copies_real_files_and_adds_marked_synthetic_ones(tmp_path, capsys):
    from PIL import Image

    rng = np.random.default_rng(1)
    for cls, n in (("cat", 6), ("dog", 3)):
        (tmp_path / "imgs" / cls).mkdir(parents=True)
        for i in range(n):
            Image.fromarray(rng.integers(0, 256, (28, 28), dtype=np.uint8)).save(tmp_path / "imgs" / cls / f"{i}.png")
    _tiny_conditional_run(tmp_path, tmp_path / "imgs")
    assert main(["augment", str(tmp_path / "r"), "--balance", "-o", str(tmp_path / "aug")]) == 0
    dogs = sorted(p.name for p in (tmp_path / "aug" / "dog").iterdir())
    assert dogs[:3] == ["0.png", "1.png", "2.png"] and len(dogs) == 6 and all(d.startswith("synthetic_") for d in dogs[3:])
    assert len(list((tmp_path / "aug" / "cat").iterdir())) == 6
    assert len(list((tmp_path / "imgs" / "dog").iterdir())) == 3                 # the source is untouched


def test_augment_refuses_an_unconditional_run_and_an_empty_class(tmp_path, capsys):
    from wgangp.augment import plan

    wgangp.train("toy-8gaussians", tmp_path / "u", {"model.hidden": 16, "train.iterations": 1, "device": "cpu",
                                                    "train.eval_samples": 50}, progress=False)
    assert main(["augment", str(tmp_path / "u"), "--balance", "-o", str(tmp_path / "o.npz")]) == 2
    assert "class-conditional run" in capsys.readouterr().err
    with pytest.raises(wgangp.UserError, match="class 1 has no real samples"):
        plan([5, 0, 3])


def test_class_accuracy_and_intra_class_fid_on_known_answers():
    from wgangp.metrics.conditional import class_accuracy, intra_class_fid

    labels = torch.tensor([0, 0, 1, 1, 2, 2])
    logits = torch.eye(3)[torch.tensor([0, 1, 1, 1, 0, 0])]           # class 0: 1/2, class 1: 2/2, class 2: 0/2
    acc = class_accuracy(logits, labels, 3)
    assert acc["class_accuracies"] == [0.5, 1.0, 0.0] and acc["class_accuracy"] == pytest.approx(0.5)
    gen = torch.Generator().manual_seed(0)
    real = torch.randn(400, 3, generator=gen)
    real_y = torch.arange(400) % 2
    shifted = real.clone()
    shifted[real_y == 1] += 2.0                                       # class 1 moved by 2 in each of 3 dims
    fid = intra_class_fid(shifted, real_y, real, real_y, 2)
    assert fid["intra_fids"][0] == pytest.approx(0.0, abs=1e-6)
    assert fid["intra_fids"][1] == pytest.approx(12.0, rel=1e-4)      # |mu shift|^2 = 3 * 2^2, same covariance


def test_tstr_with_real_data_as_the_synthetic_set_matches_real_training():
    from wgangp.metrics.conditional import tstr

    rng = np.random.default_rng(0)
    x = rng.integers(0, 40, (90, 1, 16, 16)).astype(np.uint8)
    y = np.arange(90) % 3
    for i, c in enumerate(y):
        x[i, :, 8 * (c % 2):8 * (c % 2) + 8, 8 * (c // 2):8 * (c // 2) + 8] = 230
    xt, yt = torch.from_numpy(x), torch.from_numpy(y)
    out = tstr((xt, yt), (xt, yt), (xt, yt), epochs=5)
    assert out["tstr_accuracy"] == out["trtr_accuracy"] == 1.0 and out["trrs_accuracy"] == 1.0


def test_conditional_metrics_from_the_cli(tmp_path, capsys):
    import json

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    y = np.arange(40) % 2
    np.savez(tmp_path / "d.npz", x_train=x, y_train=y, x_test=x[:10], y_test=y[:10])
    _tiny_conditional_run(tmp_path, tmp_path / "d.npz")
    assert main(["classifier", str(tmp_path / "d.npz"), "--out", str(tmp_path / "clf.pt"), "--epochs", "1"]) == 0
    capsys.readouterr()
    assert main(["eval", str(tmp_path / "r"), "--json", "--metrics", "class_accuracy,intra_fid,tstr",
                 "--feature-net", str(tmp_path / "clf.pt"), "--n-per-class", "8"]) == 0
    result = json.loads(capsys.readouterr().out)
    # the CLI evaluates what the API does with the same classifier and samples per class (the
    # metrics' values are checked against known answers in the tests before and after this one)
    api = wgangp.evaluate(wgangp.load_run(tmp_path / "r"), metrics="class_accuracy,intra_fid,tstr",
                          feature_net=str(tmp_path / "clf.pt"), n_per_class=8)
    for key in ("n_per_class", "class_accuracy", "class_accuracies", "intra_fid", "intra_fids",
                "tstr_accuracy", "trtr_accuracy", "trrs_accuracy"):
        assert result[key] == pytest.approx(api[key], rel=1e-6), key
    assert result["n_per_class"] == 8 and len(result["class_accuracies"]) == len(result["intra_fids"]) == 2
    assert result["class_accuracy"] == pytest.approx(np.mean(result["class_accuracies"]), abs=1e-4)
    assert result["intra_fid"] == pytest.approx(np.mean(result["intra_fids"]), rel=1e-3)


class _QuadrantNet(torch.nn.Module):
    """A feature net and classifier that is right on every real image of :func:`_quadrant_images`:
    features = the mean and spread of each 14x14 quadrant, class = the brightest of quadrants 0..2."""

    def forward(self, x):
        q = x.unfold(2, 14, 14).unfold(3, 14, 14).flatten(-2).mean(1).flatten(1, 2)      # (N, 4, 196)
        return torch.cat([q.mean(-1), q.std(-1)], dim=1)

    def logits(self, x):
        return self.forward(x)[:, :3]


def _quadrant_images(n_per_class=12, k=3, seed=0):
    """k classes of 28x28 images: noise, and quadrant y bright (quadrants in row-major order)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 60, (n_per_class * k, 28, 28), dtype=np.uint8)
    y = np.arange(n_per_class * k) % k
    for i, c in enumerate(y):
        r, q = divmod(int(c), 2)
        x[i, 14 * r:14 * r + 14, 14 * q:14 * q + 14] = rng.integers(180, 256, (14, 14))
    return x, y


@pytest.mark.parametrize("generator", ["perfect", "label-blind"])
def test_class_accuracy_and_intra_fid_of_a_perfect_and_a_label_blind_generator(tmp_path, monkeypatch, generator):
    """Through wgangp.evaluate: a generator whose class-k samples are the real class-k images scores
    class accuracy 1 and intra-FID 0 in every class; one that draws class 0 whatever its label
    scores 1/K (1, 0, 0) and intra-FID 0 for class 0 only, far more for the others."""
    from wgangp.run import Run

    x, y = _quadrant_images()
    np.savez(tmp_path / "d.npz", x_train=x, y_train=y)
    run = _tiny_conditional_run(tmp_path, tmp_path / "d.npz")
    real = torch.from_numpy(x).float().div(127.5).sub(1.0)[:, None]
    clf = _QuadrantNet()
    assert (clf.logits(real).argmax(1).numpy() == y).all()              # right on every real image

    def sample(self, n, seed=0, batch_size=65_536, classes=None):
        seen, out = [0, 0, 0], []
        for label in self.class_labels(n, classes).tolist():   # the j-th sample of a label: real image j
            drawn = label if generator == "perfect" else 0      # of that class, or of class 0 for any label
            out.append(real[np.flatnonzero(y == drawn)[seen[label]]])
            seen[label] += 1
        return torch.stack(out)

    monkeypatch.setattr(Run, "sample", sample)
    m = wgangp.evaluate(run, metrics="class_accuracy,intra_fid", feature_net=clf, n_per_class=12)
    assert m["n_per_class"] == 12
    if generator == "perfect":
        assert m["class_accuracies"] == [1.0, 1.0, 1.0] and m["class_accuracy"] == 1.0
        assert m["intra_fids"] == pytest.approx([0.0] * 3, abs=1e-3)    # each class against itself
    else:
        assert m["class_accuracies"] == [1.0, 0.0, 0.0] and m["class_accuracy"] == pytest.approx(1 / 3)
        assert m["intra_fids"][0] == pytest.approx(0.0, abs=1e-3)
        # classes 1, 2 against class 0's images: two quadrant means swap between dark (-0.76) and
        # bright (0.71), so the FID is about 2 * 1.47^2 = 4.3
        assert m["intra_fids"][1:] == pytest.approx([4.3, 4.3], rel=0.1)


def test_a_class_with_no_samples_is_a_clear_error_before_training(tmp_path, capsys):
    np.savez(tmp_path / "d.npz", x_train=np.zeros((20, 28, 28), np.uint8), y_train=np.array([0, 2] * 10))
    assert main(["train", "mnist-dcgan-cond", "--out", str(tmp_path / "r"), "--quiet", "--set",
                 f"data.path={tmp_path / 'd.npz'}", "--set", "data.batch_size=4", "--set", "device=cpu"]) == 2
    assert "class 1 has no samples" in capsys.readouterr().err


def test_class_accuracy_is_logged_during_training_and_matches_a_later_evaluation(tmp_path):
    import json

    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    y = np.arange(40) % 2
    np.savez(tmp_path / "d.npz", x_train=x, y_train=y, x_test=x[:10], y_test=y[:10])
    assert main(["classifier", str(tmp_path / "d.npz"), "--out", str(tmp_path / "clf.pt"), "--epochs", "1"]) == 0
    wgangp.train("mnist-dcgan-cond", tmp_path / "r", {
        "data.path": str(tmp_path / "d.npz"), "model.dim": 4, "data.batch_size": 8, "train.iterations": 2,
        "train.eval_every": 1, "train.eval_samples": 20, "train.eval_metrics": "class_accuracy",
        "train.feature_net": str(tmp_path / "clf.pt"), "device": "cpu"}, progress=False)
    rows = [json.loads(r) for r in (tmp_path / "r" / "metrics.jsonl").read_text().splitlines()]
    evals = [r for r in rows if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [1, 2]
    assert all(len(r["class_accuracies"]) == 2 and r["n_per_class"] == 10 for r in evals)
    again = wgangp.evaluate(wgangp.load_run(tmp_path / "r"))
    assert again["class_accuracies"] == evals[-1]["class_accuracies"]


def test_class_accuracy_during_training_needs_a_conditional_model(tmp_path, capsys):
    assert main(["train", "mnist-dcgan", "--out", str(tmp_path / "r"), "--quiet", "--set",
                 "train.eval_metrics=class_accuracy"]) == 2
    assert "for class-conditional runs" in capsys.readouterr().err




def test_sample_grids_of_a_conditional_run_have_one_column_per_class(tmp_path):
    from PIL import Image

    np.savez(tmp_path / "d.npz", x_train=np.random.default_rng(0).integers(0, 256, (30, 28, 28), dtype=np.uint8),
             y_train=np.arange(30) % 3)
    wgangp.train("mnist-dcgan-cond", tmp_path / "r", {"data.path": str(tmp_path / "d.npz"), "model.dim": 4,
                                                     "data.batch_size": 6, "train.iterations": 1, "train.sample_every": 1,
                                                     "train.eval_samples": 12, "device": "cpu"}, progress=False)
    step = Image.open(tmp_path / "r" / "samples" / "step-0000001.png")
    final = Image.open(tmp_path / "r" / "samples.png")
    assert step.size == (3 * 30 + 2, 8 * 30 + 2)          # 3 columns (classes) x 8 rows, 28 px + 2 px padding
    assert final.size == (3 * 30 + 2, 10 * 30 + 2)


if __name__ == "__main__":
    pytest.main([__file__])
