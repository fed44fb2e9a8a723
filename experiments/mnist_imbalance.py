"""Does class-conditional WGAN-GP augmentation help a classifier on imbalanced MNIST?

For each seed: keep ``--keep`` (10%) of the training images of classes ``--minority`` (0-4), train
``mnist-dcgan-cond`` on what is left, top every class up to the largest with ``wgangp augment
--balance``, then train the in-project classifier three ways and test it on the full real MNIST
test set:

* ``real``         the imbalanced real set as it is;
* ``oversampled``  the imbalanced real set with minority images repeated up to the largest class
                   (the cheap baseline any augmentation has to beat; same size as ``augmented``);
* ``augmented``    the real set plus the synthetic images ``augment --balance`` wrote;
* ``filtered``     the same, but ``augment --balance --filter``: only synthetic images that the
                   ``real`` classifier (trained on the imbalanced real set, never on test data)
                   puts in the class they were generated for.

Prints accuracy on the minority classes, the majority classes and overall, mean +- std over seeds,
and writes every figure to ``OUT/results.json``. Re-running skips finished steps (the GAN run is
resumed from its checkpoint if it was interrupted).

    python experiments/mnist_imbalance.py --data ../shared/data/mnist.npz --out runs/imbalance \\
        --seeds 0 1 2 --iterations 1000
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import torch


def make_subset(src: Path, dst: Path, minority: list[int], keep: float, seed: int) -> list[int]:
    """Write ``dst`` (.npz): the training images with only ``keep`` of each minority class, the test
    split unchanged. Returns the per-class training counts."""
    with np.load(src) as d:
        x, y, xt, yt = d["x_train"], d["y_train"], d["x_test"], d["y_test"]
    rng = np.random.default_rng(seed)
    idx = []
    for k in range(int(y.max()) + 1):
        rows = np.flatnonzero(y == k)
        if k in minority:
            rows = np.sort(rng.choice(rows, size=max(1, int(round(keep * len(rows)))), replace=False))
        idx.append(rows)
    idx = np.concatenate(idx)
    tmp = dst.with_suffix(".tmp.npz")
    np.savez(tmp, x_train=x[idx], y_train=y[idx], x_test=xt, y_test=yt)
    tmp.replace(dst)
    return np.bincount(y[idx]).tolist()


def oversample(x: np.ndarray, y: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Repeat random images of every class up to the largest class (sampling with replacement)."""
    rng = np.random.default_rng(seed)
    counts = np.bincount(y)
    extra = [rng.choice(np.flatnonzero(y == k), size=counts.max() - c, replace=True) for k, c in enumerate(counts)]
    idx = np.concatenate([np.arange(len(y)), *extra])
    return x[idx], y[idx]


def nchw(x: np.ndarray) -> torch.Tensor:
    t = torch.from_numpy(np.ascontiguousarray(x))
    return t[:, None] if t.ndim == 3 else t.permute(0, 3, 1, 2).contiguous()


ARMS = ("real", "oversampled", "augmented", "filtered")


def run_seed(args, seed: int) -> dict:
    from wgangp.metrics.classifier import predict, train_classifier

    d = args.out / f"seed{seed}"
    done = json.loads((d / "result.json").read_text()) if (d / "result.json").exists() else {}
    if all(a in done for a in ARMS):                 # finished earlier (e.g. seeds run as separate processes)
        return done
    d.mkdir(parents=True, exist_ok=True)
    data, run_dir, aug = d / "data.npz", d / "run", d / "augmented.npz"
    counts = make_subset(args.data, data, args.minority, args.keep, seed) if not data.exists() else \
        np.bincount(np.load(data)["y_train"]).tolist()
    t0 = time.perf_counter()
    if not (run_dir / "eval.json").exists():
        cmd = [sys.executable, "-m", "wgangp", "train", "mnist-dcgan-cond", "--out", str(run_dir),
               "--set", f"data.path={data.resolve()}", "--set", f"train.iterations={args.iterations}",
               "--set", f"seed={seed}", "--set", "device=cpu", "--set", "train.sample_every=0",
               "--set", f"train.ckpt_every={min(250, args.iterations)}"]
        for kv in args.overrides:
            cmd += ["--set", kv]
        if args.classifier:
            cmd += ["--set", "train.eval_metrics=class_accuracy",
                    "--set", f"train.feature_net={Path(args.classifier).resolve()}", "--set", "train.eval_samples=2000"]
        if (run_dir / "checkpoint.pt").exists():
            cmd += ["--resume"]
        subprocess.run(cmd, check=True)
    gan_eval = json.loads((run_dir / "eval.json").read_text())
    if not aug.exists():
        subprocess.run([sys.executable, "-m", "wgangp", "augment", str(run_dir), "--balance", "-o", str(aug),
                        "--seed", str(seed)], check=True)
    with np.load(aug) as a:
        xa, ya, synthetic = a["x_train"], a["y_train"].astype(np.int64), a["synthetic"]
        xt, yt = nchw(a["x_test"]), torch.from_numpy(a["y_test"].astype(np.int64))
    xr, yr = xa[~synthetic], ya[~synthetic]
    sets = {"real": lambda: (xr, yr), "oversampled": lambda: oversample(xr, yr, seed), "augmented": lambda: (xa, ya),
            "filtered": lambda: filtered(d, run_dir, models["real"], seed)}
    out = {"seed": seed, "train_counts": counts, "synthetic": int(synthetic.sum()),
           "gan_train_seconds": gan_eval.get("train_seconds"), "gan_class_accuracies": gan_eval.get("class_accuracies"),
           "gan_wall_seconds_this_call": round(time.perf_counter() - t0, 1), **done}
    models = {}
    for name, make in sets.items():
        as_filter = name == "real" and "filtered" not in done     # the filter is the real-only classifier
        if name in done and not as_filter:
            continue
        x, y = make()
        models[name] = model = train_classifier(nchw(x), torch.from_numpy(y), epochs=args.epochs, seed=seed)
        pred = predict(model, xt)
        acc = [float((pred[yt == k] == k).float().mean()) for k in range(int(yt.max()) + 1)]
        if name in done:                               # retrained only to be the filter; keep its figures apart
            out["filter_classifier_per_class"] = [round(a, 4) for a in acc]
            continue
        minority = [acc[k] for k in args.minority]
        majority = [a for k, a in enumerate(acc) if k not in args.minority]
        overall = float(np.average(acc, weights=np.bincount(yt.numpy())))
        out[name] = {"minority": float(np.mean(minority)), "majority": float(np.mean(majority)),
                     "overall": overall, "per_class": [round(a, 4) for a in acc], "n_train": int(len(y))}
        print(f"seed {seed} {name:12s} minority {out[name]['minority']:.4f} majority {out[name]['majority']:.4f} "
              f"overall {overall:.4f} (n={len(y)})", flush=True)
    (d / "result.json").write_text(json.dumps(out, indent=1))
    return out


def filtered(d: Path, run_dir: Path, classifier, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``augment --balance --filter``, the filter being the classifier trained on the real set alone."""
    from wgangp import api
    from wgangp.augment import augment

    path = d / "augmented-filtered.npz"
    if not path.exists():
        report = augment(api.load_run(run_dir), path, seed=seed, filter_net=classifier)
        (d / "filter.json").write_text(json.dumps(report, indent=1))
    with np.load(path) as a:
        return a["x_train"], a["y_train"].astype(np.int64)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="MNIST .npz with x_train/y_train/x_test/y_test")
    p.add_argument("--out", type=Path, default=Path("runs/imbalance"))
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--iterations", type=int, default=1000, help="generator iterations of each conditional GAN")
    p.add_argument("--minority", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    p.add_argument("--keep", type=float, default=0.1, help="share of each minority class's training images kept")
    p.add_argument("--epochs", type=int, default=2, help="classifier epochs (same for every training set)")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="extra config override of the GAN runs, e.g. loss.conditioning=projection")
    p.add_argument("--classifier", default="", help="optional: a 'wgangp classifier' net to log the GAN's class accuracy")
    args = p.parse_args(argv)
    if not args.data.exists():
        p.error(f"MNIST file '{args.data}' not found")
    results = [run_seed(args, s) for s in args.seeds]
    summary = {}
    for name in ARMS:
        for part in ("minority", "majority", "overall"):
            v = np.array([r[name][part] for r in results])
            summary[f"{name}.{part}"] = {"mean": float(v.mean()), "std": float(v.std(ddof=1)) if len(v) > 1 else 0.0}
    (args.out / "results.json").write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                                       "seeds": results, "summary": summary}, indent=1))
    head = "minority " + ",".join(map(str, args.minority))
    print(f"\n{'training set':12s} {head:>18s} {'majority':>18s} {'overall':>18s}   ({len(results)} seeds)")
    for name in ARMS:
        cells = [f"{summary[f'{name}.{p}']['mean']:.4f} +- {summary[f'{name}.{p}']['std']:.4f}"
                 for p in ("minority", "majority", "overall")]
        print(f"{name:12s} " + " ".join(f"{c:>18s}" for c in cells))
    return 0


if __name__ == "__main__":
    sys.exit(main())
