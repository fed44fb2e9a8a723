"""What synthetic series made without a GAN do for a classifier on a UCR set: the reference a GAN's series
have to beat (issue #17, item 4; the companion of ``ucr_augmentation.py``).

For each set of ``ucr-subset.npz`` and seed, a classifier (the 1-D CNN and MiniRocket, as in
``ucr_augmentation.py``) is trained on the real training split alone (``real``) and on the real split plus a
class-balanced set of as many made series as it has (the share 1 of ``ucr_augmentation.py``), each arm
scored on the real test split:

* ``gauss-K`` (``--components``): per class, draws of a Gaussian in the class's top K principal components
  (its mean plus components scaled by their standard deviations): a smooth model of the class's variation,
  what a generator that learns each class's mean and main modes of variation, and nothing sharper, would make;
* ``mix``: per class, convex combinations ``w a + (1 - w) b`` (w uniform) of two of its series: blends
  of real series that stay inside the class;
* with ``--circular`` (closed curves, such as OSULeaf's outlines): each class is first rotated to one phase
  (:func:`wgangp.data.circular.align`, as ``data.circular`` does for the GAN), the series are made in
  that frame and rotated to the phase of a random real series; the arm ``rotated`` (real series rotated to
  another's phase, ``ucr_augmentation.py``'s control) is scored beside them.

Results: ``OUT/SET/seedS/result.json`` (an existing one is skipped), ``OUT/summary.md``: mean +- std over
seeds of each arm's accuracy, and each arm's paired gain over ``real`` with the number of seeds above and
a paired t-test.

    python experiments/ucr_blends.py --out runs/ucr-blends --sets osuleaf --seeds 0 1 2 --circular
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import torch

_spec = importlib.util.spec_from_file_location("ucr_augmentation", Path(__file__).with_name("ucr_augmentation.py"))
ucr = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ucr)

from wgangp.data.circular import align, rotate  # noqa: E402
from wgangp.metrics.signal_utility import CLASSIFIERS, fit_predict  # noqa: E402


def gaussian(x: np.ndarray, y: np.ndarray, classes: np.ndarray, k: int, rng) -> np.ndarray:
    """For each entry of ``classes``, a draw from the Gaussian in that class's top ``k`` principal components
    of ``x (N, C, L)`` (at most its series less one)."""
    out = np.empty((len(classes),) + x.shape[1:], dtype=np.float32)
    for c in np.unique(classes):
        z = x[y == c].reshape(int((y == c).sum()), -1).astype(np.float64)
        mean = z.mean(axis=0)
        _, s, vt = np.linalg.svd(z - mean, full_matrices=False)
        kk = max(1, min(k, len(z) - 1))
        rows = np.flatnonzero(classes == c)
        draws = rng.standard_normal((len(rows), kk)) * (s[:kk] / np.sqrt(max(1, len(z) - 1)))
        out[rows] = (mean + draws @ vt[:kk]).reshape((len(rows),) + x.shape[1:])
    return out


def mixed(x: np.ndarray, y: np.ndarray, classes: np.ndarray, rng) -> np.ndarray:
    """For each entry of ``classes``, ``w a + (1 - w) b`` of two random series ``a, b`` of that class, w ~ U(0, 1)."""
    out = np.empty((len(classes),) + x.shape[1:], dtype=np.float32)
    for c in np.unique(classes):
        rows, members = np.flatnonzero(classes == c), np.flatnonzero(y == c)
        a, b = rng.choice(members, len(rows)), rng.choice(members, len(rows))
        w = rng.uniform(0, 1, (len(rows), 1, 1))
        out[rows] = w * x[a] + (1 - w) * x[b]
    return out


def made_sets(args, x: np.ndarray, y: np.ndarray, seed: int) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{arm: (series, labels)}`` of the made series (class-balanced, as many as the real split), in the data's
    frame: with ``--circular`` made in the aligned frame and rotated to random real series' phases."""
    rng = np.random.default_rng(seed)
    classes = np.asarray(ucr.balanced_classes(len(x), int(y.max()) + 1), dtype=np.int64)
    shifts = align(torch.from_numpy(x), torch.from_numpy(y)) if args.circular else None
    frame = rotate(torch.from_numpy(x), shifts).numpy() if args.circular else x

    def back(s: np.ndarray) -> np.ndarray:
        if not args.circular:
            return s
        to = torch.from_numpy(rng.integers(len(x), size=len(s)))
        return rotate(torch.from_numpy(s), -shifts[to]).numpy()
    out = {f"gauss-{k}": (back(gaussian(frame, y, classes, k, rng)), classes) for k in args.components}
    out["mix"] = (back(mixed(frame, y, classes, rng)), classes)
    if args.circular:
        copies = ucr.rotated_real((x, y), classes, seed)
        out["rotated"] = (copies[0][len(x):], copies[1][len(x):])
    return out


def tag_of(args, name: str) -> str:
    return name + ("-circular" if args.circular else "")


def run_one(args, name: str, seed: int) -> dict:
    d = args.out / tag_of(args, name) / f"seed{seed}"
    if (d / "result.json").exists():
        print(f"{tag_of(args, name)} seed {seed}: done before, skipped", flush=True)
        return json.loads((d / "result.json").read_text())
    s = ucr.load_set(args.data, name)
    values = np.unique(s["y_train"])
    x, y, yt = s["x_train"], np.searchsorted(values, s["y_train"]), np.searchsorted(values, s["y_test"])
    arms = {"real": (x, y), **{a: (np.concatenate([x, xs]), np.concatenate([y, ys]))
                               for a, (xs, ys) in made_sets(args, x, y, seed).items()}}
    out = {"set": name, "seed": seed}
    for clf in args.classifiers:
        for arm, train in arms.items():
            pred = fit_predict(clf, train, s["x_test"], seed=seed, epochs=args.cnn_epochs)
            if pred is None:
                print(f"{clf}: aeon is not installed (pip install aeon); skipped", flush=True)
                break
            out[f"{clf}.{arm}"] = float(np.mean(pred == yt))
            if arm != "real":
                out[f"{clf}.{arm}.gain_vs_real"] = out[f"{clf}.{arm}"] - out[f"{clf}.real"]
                out[f"{clf}.{arm}.seeds_above_real"] = int(out[f"{clf}.{arm}"] > out[f"{clf}.real"])
    d.mkdir(parents=True, exist_ok=True)
    (d / "result.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"{tag_of(args, name)} seed {seed}: " + ", ".join(f"{k} {v:.4g}" for k, v in out.items()
                                              if isinstance(v, float) and "gain" not in k), flush=True)
    return out


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=None, help=f"the .npz (default: SHARED/{ucr.FILE})")
    p.add_argument("--shared", type=Path, default=ucr.SHARED, help="the folder holding ucr-subset.npz")
    p.add_argument("--out", type=Path, default=Path("runs/ucr-blends"))
    p.add_argument("--sets", nargs="+", default=["osuleaf"])
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--components", type=int, nargs="+", default=[5, 20], help="K of each gauss-K arm")
    p.add_argument("--circular", action="store_true", help="closed curves: make series in the aligned frame "
                   "and score the rotated-real arm")
    p.add_argument("--cnn-epochs", type=int, default=200, help="epochs of each 1-D CNN classifier")
    p.add_argument("--classifiers", nargs="+", default=list(CLASSIFIERS), choices=CLASSIFIERS)
    p.add_argument("--torch-threads", type=int, default=None, help="torch's CPU threads (default: torch's own)")
    args = p.parse_args(argv)
    if any(k < 1 for k in args.components):
        p.error("--components takes positive whole numbers")
    args.data = args.data or args.shared / ucr.FILE
    if not args.data.is_file():
        p.error(f"'{args.data}' not found: pass --data FILE.npz, or --shared DIR holding {ucr.FILE}")
    known = ucr.sets_in(args.data)
    missing = [n for n in args.sets if n not in known]
    if missing:
        p.error(f"'{args.data}' holds no set {missing[0]!r}; it holds {', '.join(known)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.torch_threads:
        torch.set_num_threads(args.torch_threads)
    results = {tag_of(args, name): [run_one(args, name, seed) for seed in args.seeds]
               for name in args.sets}
    table = ucr.markdown(ucr.summarise(results))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "summary.md").write_text(table)
    print(f"\n{len(args.seeds)} seed(s), mean ± std (n):\n{table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
