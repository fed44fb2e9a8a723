"""Image metrics: FID, KID, IS on features with known answers; stats cache; feature nets."""
import urllib.error
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg
import torch
from torch import nn

from wgangp.errors import UserError
from wgangp.metrics.features import (ResizedFeatureNet, as_feature_net, load_feature_net,
                                     load_standard_inception)
from wgangp.metrics.fid import cached_stats, feature_stats, fid, fid_from_stats
from wgangp.metrics.images import compute_image_metrics
from wgangp.metrics.inception_score import inception_score
from wgangp.metrics.kid import kid, polynomial_mmd2

SHARED_NET = Path(__file__).resolve().parents[3] / "shared" / "data" / "inception-fid-pool3.torchscript.pt"


def _correlated(n, d, seed, shift=0.0):
    rng = np.random.default_rng(seed)
    mix = rng.normal(size=(d, d)) / np.sqrt(d)
    return rng.normal(size=(n, d)) @ mix + 2.0 + shift


def _scipy_fid(f1, f2):
    """pytorch-fid's formula, written directly with scipy.linalg.sqrtm."""
    mu1, mu2 = f1.mean(0), f2.mean(0)
    s1, s2 = np.cov(f1, rowvar=False), np.cov(f2, rowvar=False)
    covmean = scipy.linalg.sqrtm(s1 @ s2).real
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def test_fid_of_a_set_against_itself_is_zero():
    f = _correlated(1000, 64, 0)
    assert fid(f, f) == pytest.approx(0.0, abs=1e-6)
    assert fid(torch.from_numpy(f).float(), feature_stats(f)) == pytest.approx(0.0, abs=1e-6)


def test_fid_matches_closed_form_for_gaussians_and_scipy_on_random_features():
    rng = np.random.default_rng(1)
    d = 32
    mu1, mu2 = rng.normal(size=d), rng.normal(size=d)
    v1, v2 = rng.uniform(0.1, 3.0, d), rng.uniform(0.1, 3.0, d)
    closed = ((mu1 - mu2) ** 2).sum() + ((np.sqrt(v1) - np.sqrt(v2)) ** 2).sum()
    assert fid_from_stats(mu1, np.diag(v1), mu2, np.diag(v2)) == pytest.approx(closed, rel=1e-10)
    q, _ = np.linalg.qr(rng.normal(size=(d, d)))           # FID is invariant under a rotation
    rot = fid_from_stats(q @ mu1, q @ np.diag(v1) @ q.T, q @ mu2, q @ np.diag(v2) @ q.T)
    assert rot == pytest.approx(closed, rel=1e-8)
    f1, f2 = _correlated(800, 48, 2), _correlated(600, 48, 3, shift=0.3)
    assert fid(f1, f2) == pytest.approx(_scipy_fid(f1, f2), rel=1e-8)


def test_fid_rejects_mismatched_dimensions_with_user_error():
    with pytest.raises(UserError, match="same feature net"):
        fid(_correlated(50, 8, 0), _correlated(50, 9, 1))


def test_polynomial_mmd2_matches_a_direct_double_loop():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(6, 3)), rng.normal(size=(6, 3)) + 0.5
    k = lambda a, b: (a @ b / 3 + 1) ** 3                 # noqa: E731
    m = 6
    xx = sum(k(x[i], x[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    yy = sum(k(y[i], y[j]) for i in range(m) for j in range(m) if i != j) / (m * (m - 1))
    xy = sum(k(x[i], y[j]) for i in range(m) for j in range(m)) / m ** 2
    assert polynomial_mmd2(x, y) == pytest.approx(xx + yy - 2 * xy, rel=1e-12)


def test_kid_is_unbiased_on_same_distribution_and_positive_on_shifted():
    rng = np.random.default_rng(5)
    m, d, reps = 100, 8, 60
    vals, biased = [], []
    for _ in range(reps):                                 # fresh independent samples each time
        x, y = rng.normal(size=(m, d)), rng.normal(size=(m, d))
        vals.append(kid(x, y, num_subsets=1, subset_size=m)["kid_mean"])
        kxx, kyy = (x @ x.T / d + 1) ** 3, (y @ y.T / d + 1) ** 3
        biased.append(kxx.mean() + kyy.mean() - 2 * ((x @ y.T / d + 1) ** 3).mean())
    se = np.std(vals, ddof=1) / np.sqrt(reps)
    assert abs(np.mean(vals)) < 4 * se
    assert np.mean(biased) > 10 * se                      # the V-statistic would fail the bound above
    x, y = rng.normal(size=(500, d)), rng.normal(size=(500, d)) + 0.5
    shifted = kid(x, y, num_subsets=20, subset_size=200)
    assert shifted["kid_mean"] > 10 * shifted["kid_std"] > 0


def test_inception_score_is_one_for_uniform_and_k_for_confident_even_classes():
    assert inception_score(torch.zeros(200, 10))["is_mean"] == pytest.approx(1.0, abs=1e-12)
    k, splits = 7, 5
    labels = torch.arange(splits * k * 4) % k              # every split uses every class evenly
    r = inception_score(50.0 * nn.functional.one_hot(labels, k).double(), splits=splits)
    assert r["is_mean"] == pytest.approx(k, rel=1e-12) and r["is_std"] == pytest.approx(0, abs=1e-9)
    probs = nn.functional.one_hot(labels, k).double()
    assert inception_score(probs, splits=splits, probs=True)["is_mean"] == pytest.approx(k, rel=1e-12)
    collapsed = 50.0 * nn.functional.one_hot(torch.zeros(100, dtype=torch.long), k).double()
    assert inception_score(collapsed)["is_mean"] == pytest.approx(1.0, abs=1e-9)


def test_stats_cache_computes_once_reuses_and_recomputes_a_corrupt_file(tmp_path):
    calls = []

    def compute():
        calls.append(1)
        return feature_stats(_correlated(100, 5, len(calls)))

    key = {"data": "cifar10-train", "net": "ts-0123abcd", "res": 32}
    mu, sigma = cached_stats(key, compute, tmp_path)
    mu2, sigma2 = cached_stats(dict(key), compute, tmp_path)
    assert len(calls) == 1 and np.array_equal(mu, mu2) and np.array_equal(sigma, sigma2)
    files = list(tmp_path.iterdir())
    assert len(files) == 1 and files[0].suffix == ".npz"   # no temporary file left behind
    cached_stats({**key, "res": 64}, compute, tmp_path)     # another key: another entry
    assert len(calls) == 2
    files[0].write_bytes(b"not an npz")
    with pytest.warns(UserWarning, match="recomputing"):
        cached_stats(key, compute, tmp_path)
    assert len(calls) == 3
    cached_stats(key, compute, tmp_path)                    # repaired on disk
    assert len(calls) == 3


def test_stats_cache_write_is_atomic_when_saving_fails(tmp_path, monkeypatch):
    key = ("mnist", "net", 28)
    cached_stats(key, lambda: (np.zeros(3), np.eye(3)), tmp_path)
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def boom(*a, **k):
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", boom)
    with pytest.raises(OSError):
        cached_stats(("mnist", "net", 99), lambda: (np.ones(3), np.eye(3)), tmp_path)
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before


def test_tf_convention_maps_minus_one_one_to_tf_inception_scale():
    probe = ResizedFeatureNet(nn.Identity(), input_size=4)   # shows what the wrapped net receives
    out = probe(torch.tensor([-1.0, 1.0]).view(1, 1, 1, 2).expand(1, 1, 4, 2)).view(3, 4, 4)
    assert out.min().item() == pytest.approx(-1.0) and out.max().item() == pytest.approx(255 / 128 - 1)
    assert torch.equal(out[0], out[1]) and torch.equal(out[0], out[2])   # gray repeated to RGB


@pytest.mark.skipif(not SHARED_NET.is_file(), reason="shared TorchScript Inception not present")
def test_shared_torchscript_inception_gives_deterministic_2048_features_for_rgb_and_gray():
    net = load_feature_net(SHARED_NET)
    g = torch.Generator().manual_seed(0)
    rgb = torch.rand(2, 3, 32, 32, generator=g) * 2 - 1
    gray = torch.rand(2, 1, 28, 28, generator=g) * 2 - 1
    threads = torch.get_num_threads()
    torch.set_num_threads(1)        # ~0.5 s a call; 2 threads beside another torch job ran 10x slower
    try:
        with torch.no_grad():
            f_rgb, f_gray = net(rgb), net(gray)
            again = net(rgb)
            f_gray_rgb = net(gray.repeat(1, 3, 1, 1))
    finally:
        torch.set_num_threads(threads)
    assert f_rgb.shape == (2, 2048) and f_gray.shape == (2, 2048) and f_rgb.dtype == torch.float32
    assert torch.isfinite(f_rgb).all() and (f_rgb >= 0).all() and f_rgb.abs().sum() > 0  # post-ReLU pool
    assert torch.equal(f_rgb, again) and torch.equal(f_gray, f_gray_rgb)
    assert not torch.allclose(f_rgb[0], f_rgb[1])
    assert net.net_id.startswith("ts-") and len(net.net_id) == 19


def test_missing_or_bad_torchscript_file_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="--feature-net"):
        load_feature_net(tmp_path / "nope.pt")
    bad = tmp_path / "bad.pt"
    bad.write_bytes(b"garbage")
    with pytest.raises(UserError, match="not a TorchScript"):
        load_feature_net(bad)


def test_standard_inception_without_internet_is_one_clear_user_error(monkeypatch, tmp_path):
    import torch_fidelity.feature_extractor_inceptionv3 as tfi

    calls = []

    def offline(url, **kwargs):
        calls.append(url)
        raise urllib.error.URLError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(tfi, "load_state_dict_from_url", offline)
    with pytest.raises(UserError, match="--feature-net PATH.*--feature-weights PATH") as e:
        load_standard_inception()
    assert calls and "no internet" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(UserError, match="--feature-net PATH"):
        as_feature_net(None)
    with pytest.raises(UserError, match="not found"):
        load_standard_inception(tmp_path / "missing.pth")
    corrupt = tmp_path / "weights.pth"
    corrupt.write_bytes(b"garbage")
    with pytest.raises(UserError, match="could not load Inception weights"):
        load_standard_inception(corrupt)


def test_compute_image_metrics_with_a_plain_module_and_real_stats():
    net = nn.Sequential(nn.AdaptiveAvgPool2d(2), nn.Flatten())   # any module is a feature net
    assert as_feature_net(net) is net
    g = torch.Generator().manual_seed(6)
    real = torch.rand(64, 3, 8, 8, generator=g) * 2 - 1
    same = compute_image_metrics(real, real, net, metrics=("fid", "kid"), batch_size=16,
                                 kid_subset_size=32, kid_subsets=5)
    assert same["fid"] == pytest.approx(0.0, abs=1e-9) and same["n_fake"] == 64
    far = compute_image_metrics(real + 0.5, real, net, metrics=("fid",), batch_size=16)
    assert far["fid"] == pytest.approx(12 * 0.25, rel=1e-6)   # every feature shifted by 0.5
    stats = feature_stats(net(real))
    via_stats = compute_image_metrics(real + 0.5, stats, net, metrics=("fid",))
    assert via_stats["fid"] == pytest.approx(far["fid"], rel=1e-9)
    with pytest.raises(UserError, match="KID needs real features"):
        compute_image_metrics(real, stats, net)
    with pytest.raises(UserError, match="classifier"):
        compute_image_metrics(real, real, net, metrics=("is",))
