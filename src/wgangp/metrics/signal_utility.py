"""Scores a user of synthetic signals trusts: what a classifier trained on them does on real ones,
and TimeGAN's post-hoc discriminative and predictive scores (Yoon, Jarrett & van der Schaar 2019).

* :func:`utility`: accuracy on real test series of a classifier (the 1-D CNN of
  :mod:`~wgangp.metrics.series_classifier`, or MiniRocket) trained on the real training series
  (TRTR), on the synthetic ones (TSTR), on both (TRSTR), and on the real ones with the classic
  augmentations of :mod:`wgangp.data.series_augment` (the baseline to beat).
* :func:`discriminative_score`: ``|accuracy - 0.5|`` of a 1-D CNN trained to tell real from synthetic
  series (equal numbers, 80% to train, 20% held out): 0 when it cannot, 0.5 when it always can.
* :func:`predictive_score`: a small GRU trained on synthetic series to predict each next step from
  the steps before it, its mean absolute error on held-out real series (TimeGAN's train on
  synthetic, test on real); beside it the same GRU trained on real series (the reference a
  faithful synthetic set matches). In :mod:`.signal_predictive`.

Every series is ``(N, C, L)`` (NumPy or torch) in one set of units; labels ``(N,)`` in ``0..K-1``.
"""
from __future__ import annotations

import numpy as np

from wgangp.data.series_augment import classic_augment
from wgangp.errors import UserError
from wgangp.metrics.series_classifier import fit_cnn, predict, rocket_fit_predict
from wgangp.metrics.signal_predictive import predictive_score  # noqa: F401  (part of this module's API)

CLASSIFIERS = ("cnn", "rocket")
ARMS = ("trtr", "tstr", "trstr", "real_classic")


def _arrays(pair) -> tuple[np.ndarray, np.ndarray]:
    x, y = pair
    return np.asarray(x, dtype=np.float32), np.asarray(y, dtype=np.int64)


def fit_predict(classifier: str, train: tuple, x_test, seed: int = 0, epochs: int = 100,
                widths: tuple[int, int, int] = (32, 64, 32), n_classes: int | None = None) -> np.ndarray | None:
    """Classes predicted for ``x_test`` by ``classifier`` (``cnn``: :func:`fit_cnn` for ``epochs``;
    ``rocket``: MiniRocket) trained on ``train = (x, y)``; None for ``rocket`` without aeon."""
    if classifier not in CLASSIFIERS:
        raise UserError(f"unknown classifier {classifier!r}; choose one of {', '.join(CLASSIFIERS)}")
    x, y = _arrays(train)
    if classifier == "cnn":
        return predict(fit_cnn(x, y, epochs=epochs, seed=seed, widths=widths, n_classes=n_classes), x_test)
    return rocket_fit_predict(x, y, x_test, seed=seed)


def class_scores(y_true: np.ndarray, y_pred: np.ndarray, n_classes: int) -> dict:
    """``accuracy``, ``balanced_accuracy`` (the mean recall) and ``recall_k`` of every class ``k``
    present in ``y_true``."""
    recall = {f"recall_{k}": float(np.mean(y_pred[y_true == k] == k)) for k in range(n_classes) if (y_true == k).any()}
    return {"accuracy": float(np.mean(y_pred == y_true)), "balanced_accuracy": float(np.mean(list(recall.values()))),
            **recall}


def utility(real_train: tuple, real_test: tuple, synthetic: tuple, classifier: str = "cnn", seed: int = 0,
            epochs: int = 100, widths: tuple[int, int, int] = (32, 64, 32), classic: tuple | None = None,
            arms: tuple[str, ...] = ARMS) -> dict | None:
    """``{arm: class_scores}`` on ``real_test`` for each of ``arms`` (``trtr``, ``tstr``, ``trstr``,
    ``real_classic``); each pair is ``(x (N, C, L), y (N,))``. ``classic``: the real set with its
    classic augmentation (default :func:`classic_augment` with as many augmented series as
    ``synthetic`` holds). None where ``classifier`` is ``rocket`` and aeon is
    not installed."""
    (xr, yr), (xt, yt), (xs, ys) = _arrays(real_train), _arrays(real_test), _arrays(synthetic)
    if xr.shape[1:] != xs.shape[1:] or xr.shape[1:] != xt.shape[1:]:
        raise UserError(f"real training {xr.shape[1:]}, real test {xt.shape[1:]} and synthetic {xs.shape[1:]} series "
                        "must share (C, L); crop the synthetic series to the real length")
    if set(arms) - set(ARMS):
        raise UserError(f"unknown utility arm {sorted(set(arms) - set(ARMS))[0]!r}; choose from {', '.join(ARMS)}")
    if classic is None and "real_classic" in arms:
        classic = classic_augment(xr, yr, size=len(xs), seed=seed)
    k = int(max(yr.max(), yt.max(), ys.max() if len(ys) else 0)) + 1
    sets = {"trtr": lambda: (xr, yr), "tstr": lambda: (xs, ys), "real_classic": lambda: _arrays(classic),
            "trstr": lambda: (np.concatenate([xr, xs]), np.concatenate([yr, ys]))}
    out = {}
    for arm in arms:
        pred = fit_predict(classifier, sets[arm](), xt, seed=seed, epochs=epochs, widths=widths, n_classes=k)
        if pred is None:
            return None
        out[arm] = class_scores(yt, pred, k)
    return out


def discriminative_score(real, synthetic, seed: int = 0, epochs: int = 30,
                         widths: tuple[int, int, int] = (16, 32, 16)) -> float:
    """``|accuracy - 0.5|`` on a held-out 20% of a 1-D CNN trained on 80% to tell ``real (N, C, L)``
    from ``synthetic (M, C, L)`` series (``min(N, M)`` of each, drawn with ``seed``; the split
    stratified): about 0 for two samples of one distribution, 0.5 for sets it always tells apart."""
    from sklearn.model_selection import train_test_split

    real, synthetic = np.asarray(real, dtype=np.float32), np.asarray(synthetic, dtype=np.float32)
    if real.shape[1:] != synthetic.shape[1:]:
        raise UserError(f"real {real.shape[1:]} and synthetic {synthetic.shape[1:]} series must share (C, L)")
    n = min(len(real), len(synthetic))
    if n < 5:
        raise UserError(f"the discriminative score needs at least 5 real and 5 synthetic series, got {n}")
    rng = np.random.default_rng(seed)
    x = np.concatenate([real[rng.choice(len(real), n, replace=False)], synthetic[rng.choice(len(synthetic), n, replace=False)]])
    y = np.r_[np.ones(n, np.int64), np.zeros(n, np.int64)]
    x_fit, x_held, y_fit, y_held = train_test_split(x, y, test_size=0.2, stratify=y, random_state=seed)
    model = fit_cnn(x_fit, y_fit, epochs=epochs, seed=seed, widths=widths, n_classes=2)
    return float(abs(np.mean(predict(model, x_held) == y_held) - 0.5))
