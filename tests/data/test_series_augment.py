"""The classic time-series augmentations: shapes kept, seeded, and changes of the stated sizes."""
import numpy as np
import pytest

from wgangp.data.series_augment import classic_augment, classic_balance, jitter, scaling, window_warp


def _series(n=400, c=2, length=128, seed=0):
    rng = np.random.default_rng(seed)
    t = np.arange(length) / length
    scale = rng.uniform(0.5, 20, size=(n, c, 1))                      # every series its own scale
    return (scale * np.sin(2 * np.pi * rng.integers(1, 5, (n, c, 1)) * t + rng.uniform(0, 6, (n, c, 1)))
            + 3.0).astype(np.float32)


@pytest.mark.parametrize("fn", [jitter, scaling, window_warp])
def test_shape_and_dtype_kept_and_the_seed_decides(fn):
    x = _series(n=20)
    a = fn(x, seed=1)
    assert a.shape == x.shape and a.dtype == x.dtype
    np.testing.assert_array_equal(a, fn(x, seed=1))
    assert not np.array_equal(a, fn(x, seed=2)) and not np.array_equal(a, x)


def test_jitter_is_three_percent_of_each_series_own_scale():
    x = _series()
    ratio = (jitter(x, seed=0) - x).std(axis=2) / x.std(axis=2)        # (N, C): noise / the series' own std
    assert ratio.mean() == pytest.approx(0.03, rel=0.03)
    assert ratio.min() > 0.02 and ratio.max() < 0.04                   # per series, not one global level


def test_scaling_is_one_factor_per_series_and_channel_near_one_in_ten():
    x = _series().astype(np.float64)
    factor = scaling(x, seed=0) / x                                   # (N, C, L)
    np.testing.assert_allclose(factor, np.broadcast_to(factor[:, :, :1], x.shape), rtol=1e-9)  # constant in time
    assert factor.mean() == pytest.approx(1.0, abs=0.01) and factor[:, :, 0].std() == pytest.approx(0.1, rel=0.1)
    assert not np.allclose(factor[:, 0, 0], factor[:, 1, 0])           # channels drawn apart


@pytest.mark.parametrize("factor, expected", [(2.0, 2 * 100 * 1000 / 1100), (0.5, 50 * 1000 / 950)])
def test_window_warp_stretches_a_tenth_of_the_series_by_the_factor(factor, expected):
    """A ramp shows the warp: its slope changes by the factor on the stretched window, whose length
    after resampling back to 1,000 samples is 100 * factor * 1000 / (1000 - 100 + 100 * factor)."""
    ramp = np.arange(1000, dtype=np.float64)[None, None, :]
    w = window_warp(ramp, seed=3, factors=(factor, factor))[0, 0]
    assert w[0] == 0 and w[-1] == pytest.approx(999)
    slope = np.diff(w)
    outside = np.median(slope)
    inside = np.abs(slope / outside * factor - 1) < 0.05             # 100 samples read as round(100 * factor)
    assert inside.sum() == pytest.approx(expected, abs=3)
    assert np.sum(~inside & (np.abs(slope / outside - 1) > 0.01)) <= 2    # at most the window's two edges


def test_window_warp_moves_every_channel_of_a_series_alike():
    x = _series(n=10, c=1)
    both = np.concatenate([x, 2 * x], axis=1)
    w = window_warp(both, seed=0)
    np.testing.assert_allclose(w[:, 1], 2 * w[:, 0], rtol=1e-5)


def test_classic_augment_keeps_the_real_set_first_and_adds_copies():
    x, y = _series(n=12), np.arange(12) % 3
    xa, ya = classic_augment(x, y, copies=2, seed=0)
    assert xa.shape == (36, *x.shape[1:]) and ya.tolist() == y.tolist() * 3
    np.testing.assert_array_equal(xa[:12], x)
    assert not np.allclose(xa[12:24], x) and not np.allclose(xa[12:24], xa[24:])
    assert np.abs(xa[12:] - np.concatenate([x, x])).mean() < np.abs(x - x.mean()).mean()   # near the originals


def test_classic_augment_with_a_size_adds_exactly_that_many_augmented_series():
    x, y = _series(n=12), np.arange(12) % 3
    for size in (3, 12, 30):
        xa, ya = classic_augment(x, y, size=size, seed=0)
        assert xa.shape == (12 + size, *x.shape[1:]) and len(ya) == 12 + size
        np.testing.assert_array_equal(xa[:12], x)
        assert not any(np.allclose(a, b) for a in xa[12:] for b in x)     # augmented, not repeated originals
    np.testing.assert_array_equal(classic_augment(x, y, size=12, seed=0)[0], classic_augment(x, y, copies=1, seed=0)[0])


def test_classic_balance_tops_every_class_up_to_the_largest_with_its_own_series():
    x = np.concatenate([np.full((9, 1, 32), 5.0), np.full((3, 1, 32), -5.0)]).astype(np.float32)
    y = np.array([0] * 9 + [1] * 3)
    xb, yb = classic_balance(x, y, seed=0)
    assert np.bincount(yb).tolist() == [9, 9]
    np.testing.assert_array_equal(xb[:12], x)
    assert (xb[12:] < 0).all()                      # the added series are augmented class-1 series
