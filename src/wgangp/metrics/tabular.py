"""Synthetic records against real ones: fidelity, utility and privacy.

* Fidelity: per column, the Kolmogorov-Smirnov statistic (continuous) or the total variation
  distance (categorical) between the real and synthetic marginals, their mean and worst column
  (a numeric column with missing cells: ``|missing-rate gap| + present share x KS``);
  ``correlation_gap``: the mean absolute difference of the pairwise correlations of the encoded
  records (how well relations between columns survive).
* Utility ("train on synthetic, test on real"): a random forest trained on the synthetic records
  and one trained on the real training records, both tested on real held-out records
  (``tstr_*`` against ``trtr_*``; accuracy and ROC AUC).
* Privacy, in the encoded space (continuous columns quantile-normal, a category mismatch counts 1):
  the distance of every synthetic record to its closest training record (DCR) next to the same
  for held-out real records (what an independent draw from the population scores);
  ``closer_than_holdout_p5``: the share of synthetic records closer to a training record than 95%
  of held-out records are (about 0.05 when nothing is copied); ``exact_copies``; and
  ``membership_auc``: how well the distance to the nearest synthetic record tells training records
  from held-out ones (0.5: no membership signal, 1: every training record is recognisable).
"""
from __future__ import annotations

import math

import numpy as np
from scipy.stats import ks_2samp

COPY_TOL = 1e-6


def marginals(real: dict[str, np.ndarray], fake: dict[str, np.ndarray]) -> dict:
    """Per-column distances (KS for float columns, total variation for the others) and their summary."""
    dist = {}
    for name, r in real.items():
        f = fake[name]
        if r.dtype.kind == "f":
            dist[name] = _numeric_distance(r, f)
        else:
            cats = np.union1d(r, f)
            p = np.array([np.mean(r == c) for c in cats])
            q = np.array([np.mean(f == c) for c in cats])
            dist[name] = float(0.5 * np.abs(p - q).sum())
    worst = max(dist, key=dist.get)
    return {"marginal_mean": float(np.mean(list(dist.values()))), "marginal_worst": dist[worst],
            "marginal_worst_column": worst, "per_column": dist}


def _numeric_distance(r: np.ndarray, f: np.ndarray) -> float:
    """KS of the present values, with missing cells (NaN) as a mass of their own: in [0, 1]."""
    rm, fm = np.isnan(r), np.isnan(f)
    pr, pf = r[~rm], f[~fm]
    if not len(pr) or not len(pf):
        return float(abs(rm.mean() - fm.mean())) if len(pr) or len(pf) else 0.0
    return float(abs(rm.mean() - fm.mean()) + min(1 - rm.mean(), 1 - fm.mean()) * ks_2samp(pr, pf).statistic)


def _corr(x: np.ndarray) -> np.ndarray:
    x = x - x.mean(0)
    s = x.std(0)
    s[s == 0] = math.inf                          # a constant dimension correlates with nothing
    z = x / s
    return z.T @ z / len(x)


def correlation_gap(real: np.ndarray, fake: np.ndarray) -> float:
    """Mean ``|corr_real - corr_fake|`` over the pairs of dimensions of ``(N, D)`` encoded records."""
    if real.shape[1] < 2:
        return 0.0
    iu = np.triu_indices(real.shape[1], k=1)
    return float(np.abs(_corr(real)[iu] - _corr(fake)[iu]).mean())


def utility(synthetic: tuple[np.ndarray, np.ndarray], train: tuple[np.ndarray, np.ndarray],
            test: tuple[np.ndarray, np.ndarray], seed: int = 0) -> dict:
    """TSTR and TRTR accuracy and ROC AUC of a random forest; each pair is ``(X (N, D), y (N,))``."""
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.metrics import accuracy_score, roc_auc_score

    out = {}
    x_test, y_test = test
    classes = np.unique(np.concatenate([train[1], y_test, synthetic[1]]))    # a class only one set has: still scored
    for name, (x, y) in (("tstr", synthetic), ("trtr", train)):
        if len(np.unique(y)) < 2:
            out[f"{name}_accuracy"] = out[f"{name}_auc"] = float("nan")
            continue
        clf = RandomForestClassifier(n_estimators=200, random_state=seed, n_jobs=1).fit(x, y)
        out[f"{name}_accuracy"] = float(accuracy_score(y_test, clf.predict(x_test)))
        proba = np.zeros((len(x_test), len(classes)))
        proba[:, np.searchsorted(classes, clf.classes_)] = clf.predict_proba(x_test)
        if len(np.unique(y_test)) < 2:
            out[f"{name}_auc"] = float("nan")
        elif len(classes) == 2:
            out[f"{name}_auc"] = float(roc_auc_score(y_test, proba[:, 1]))
        else:
            out[f"{name}_auc"] = float(roc_auc_score(y_test, proba, multi_class="ovr", labels=classes))
    return out


def privacy(synthetic: np.ndarray, train: np.ndarray, holdout: np.ndarray) -> dict:
    """Distance-to-closest-record statistics and the distance membership attack's AUC; all
    ``(N, D)`` records in one (scaled) encoding."""
    from sklearn.metrics import roc_auc_score
    from sklearn.neighbors import NearestNeighbors

    dcr_fake = NearestNeighbors(n_neighbors=1).fit(train).kneighbors(synthetic)[0][:, 0]
    out = {"dcr_synthetic_median": float(np.median(dcr_fake)),
           "exact_copies": float(np.mean(dcr_fake < COPY_TOL))}
    if len(holdout) == 0:
        return out
    dcr_hold = NearestNeighbors(n_neighbors=1).fit(train).kneighbors(holdout)[0][:, 0]
    out["dcr_holdout_median"] = float(np.median(dcr_hold))
    out["closer_than_holdout_p5"] = float(np.mean(dcr_fake < np.quantile(dcr_hold, 0.05)))
    to_fake = NearestNeighbors(n_neighbors=1).fit(synthetic)      # every training record is a member
    score = -np.concatenate([to_fake.kneighbors(train)[0][:, 0], to_fake.kneighbors(holdout)[0][:, 0]])
    truth = np.r_[np.ones(len(train)), np.zeros(len(holdout))]
    out["membership_auc"] = float(roc_auc_score(truth, score))
    out["membership_auc_noise"] = auc_noise(len(train), len(holdout))
    return out


def auc_noise(n_members: int, n_others: int) -> float:
    """Standard deviation of a ROC AUC between two groups of these sizes when they do not differ
    (Mann-Whitney null, no ties): the attack's AUC moves this much around 0.5 from the choice of
    records alone -- about 0.04 with 69 held-out records."""
    return float(np.sqrt((n_members + n_others + 1) / (12.0 * n_members * n_others)))
