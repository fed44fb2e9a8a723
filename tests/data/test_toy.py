"""Toy data exactly as gan_toy.py, and point-cloud files with clear errors."""
import math

import numpy as np
import pytest
import torch

from wgangp.config import DataConfig
from wgangp.data import toy_distribution
from wgangp.domains import build_source
from wgangp.errors import UserError


def test_eight_gaussians_geometry():
    d = toy_distribution("8gaussians")
    radii = d.centers.norm(dim=1)
    torch.testing.assert_close(radii, torch.full((8,), 2 / 1.414))
    assert d.std == pytest.approx(0.02 / 1.414)
    x = d.sample(40_000, torch.Generator().manual_seed(0))
    nearest = torch.cdist(x, d.centers).argmin(1)
    resid = x - d.centers[nearest]
    assert resid.std().item() == pytest.approx(d.std, rel=0.03)
    counts = torch.bincount(nearest, minlength=8).float()
    assert (counts / counts.sum() - 1 / 8).abs().max() < 0.01


def test_twenty_five_gaussians_fixed_dataset_like_official():
    src = build_source(DataConfig(name="25gaussians", batch_size=256), seed=0)
    assert src.points.shape == (100_000, 2)
    grid = sorted({round(v, 6) for v in src.dist.centers[:, 0].tolist()})
    assert grid == pytest.approx([v / 2.828 for v in (-4, -2, 0, 2, 4)])
    first = torch.cat([src.sample_batch() for _ in range(100_000 // 256)])
    again = torch.cat([src.sample_batch() for _ in range(100_000 // 256)])
    torch.testing.assert_close(first, again)           # cycled in the same order, as the official code


def test_swissroll_is_sklearn_columns_0_2_over_7_5():
    d = toy_distribution("swissroll")
    x = d.sample(5000, torch.Generator().manual_seed(0))
    assert x.shape == (5000, 2)
    # make_swiss_roll: t in [1.5pi, 4.5pi], x = t cos t, z = t sin t; so |(x, z)| ~ t up to noise.
    r = x.norm(dim=1) * 7.5
    assert r.min() > 1.5 * math.pi - 1.5 and r.max() < 4.5 * math.pi + 1.5


def test_source_state_round_trip_reproduces_batches():
    src = build_source(DataConfig(name="8gaussians", batch_size=32), seed=3)
    src.sample_batch()
    state = src.state_dict()
    a = src.sample_batch()
    src.load_state_dict(state)
    torch.testing.assert_close(src.sample_batch(), a, rtol=0, atol=0)


def test_points_from_npy_and_csv(tmp_path):
    pts = np.random.default_rng(0).normal(size=(50, 3)).astype(np.float32)
    np.save(tmp_path / "p.npy", pts)
    np.savetxt(tmp_path / "p.csv", pts, delimiter=",", header="a,b,c", comments="")
    for name in ("p.npy", "p.csv"):
        src = build_source(DataConfig(name="points", path=str(tmp_path / name), batch_size=10), seed=0)
        assert src.shape == (3,) and src.sample_batch().shape == (10, 3)


@pytest.mark.parametrize("content, fragment", [
    (None, "not found"),
    ("", "is empty"),
    (np.zeros((4, 2, 2)), "expected \\(N, D\\)"),
    ("1,2\n3,x\n", "could not be read"),
    (np.array([[1.0, np.nan], [0, 0]]), "NaN"),
])
def test_bad_point_files(tmp_path, content, fragment):
    path = tmp_path / ("d.npy" if isinstance(content, np.ndarray) else "d.csv")
    if isinstance(content, np.ndarray):
        np.save(path, content)
    elif content is not None:
        path.write_text(content)
    with pytest.raises(UserError, match=fragment):
        build_source(DataConfig(name="points", path=str(path), batch_size=1), seed=0)
