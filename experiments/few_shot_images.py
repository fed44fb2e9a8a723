"""Does DiffAugment (``train.diffaugment``) help a WGAN-GP trained on few images?

For each seed: the first ``--n`` images of MNIST's training split (``../shared/data/mnist.npz``, or
``--data``), class-balanced, are written to ``OUT/mnist-N.npz``; the ``mnist-dcgan-fast`` recipe
(``train.trace_steps`` off: DiffAugment is refused with traced steps) is trained on them once without
and once with ``--policy`` (``OUT/N/seedS/{plain,diffaugment}``); then FID and KID of ``--samples``
generated images against MNIST's test images (``--real`` of them; the pool3 Inception network of
``../shared/data``), and as a reference the same of the N training images themselves. DiffAugment's
claim (Zhao et al. 2020): on a small training set the critic memorises it and the generator's FID
worsens; augmenting every sample the critic sees prevents that.

Results: ``OUT/N/seedS/result.json`` (an existing one is skipped; an interrupted GAN resumes; one made with
other settings is refused: give each its own ``--out``), then ``OUT/summary-N.md``: each score's mean +- std
over the seeds, and the paired difference with - without.

    python experiments/few_shot_images.py --out runs/fewshot --n 500 --seeds 0 1 --iterations 2000
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
import torch

import wgangp
from wgangp.data.images import as_nchw_uint8, to_unit_range
from wgangp.metrics.features import load_feature_net
from wgangp.metrics.fid import feature_stats, fid_from_stats
from wgangp.metrics.images import extract_features
from wgangp.metrics.kid import kid

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("WGANGP_SHARED_DATA", ROOT.parent / "shared" / "data"))
ARMS = ("plain", "diffaugment")


def subset(data: Path, n: int, out: Path) -> Path:
    """The first ``n // K`` training images of each of the K classes (fewer for a class that has fewer)."""
    path = out / f"mnist-{n}.npz"
    if not path.exists():
        with np.load(data) as d:
            x, y = d["x_train"], d["y_train"]
        classes = np.unique(y)
        keep = np.sort(np.concatenate([np.flatnonzero(y == c)[:n // len(classes)] for c in classes]))
        out.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp.npz")
        np.savez(tmp, x_train=x[keep], y_train=y[keep])
        tmp.replace(path)                             # never a half-written subset under the name that is reused
    return path


def as_unit(x: np.ndarray) -> torch.Tensor:
    """uint8 ``(N, H, W)`` -> float ``(N, 1, H, W)`` in [-1, 1] (the images domain's own conversions)."""
    return to_unit_range(as_nchw_uint8(x, "MNIST"))


def features(images: torch.Tensor, net) -> torch.Tensor:
    """The feature net's ``(N, D)`` features, on 2 threads (the GANs' small steps run on one: fastest there)."""
    torch.set_num_threads(2)
    try:
        return extract_features(images, net)
    finally:
        torch.set_num_threads(1)


def scores(images: torch.Tensor, net, real_f: torch.Tensor) -> dict:
    """FID and KID of ``images`` against the real features ``real_f``."""
    f = features(images, net)
    k = kid(f, real_f, num_subsets=100, subset_size=min(1000, len(f), len(real_f)))
    return {"fid": fid_from_stats(*feature_stats(f), *feature_stats(real_f)), "kid": k["kid_mean"]}


def train_arm(args, data: Path, folder: Path, seed: int, arm: str):
    """The arm's run (trained, resumed, or loaded when finished)."""
    over = {"data.name": "images", "data.path": str(data.resolve()), "train.trace_steps": False,
            "train.iterations": args.iterations, "seed": seed, "device": args.device, "train.eval_every": 0,
            "train.sample_every": 0, "train.eval_samples": 1000,
            **({"train.diffaugment": args.policy} if arm == "diffaugment" else {})}
    over.update(kv.split("=", 1) for kv in args.overrides)
    if (folder / "eval.json").exists():
        return wgangp.load_run(folder), None
    run = wgangp.train("mnist-dcgan-fast", folder, over, resume=(folder / "checkpoint.pt").exists(), progress=False)
    return run, json.loads((folder / "eval.json").read_text()).get("train_seconds")


def run_one(args, net, real_f: torch.Tensor, seed: int) -> dict:
    """One seed: both arms trained and scored; written to (and when there read from) result.json."""
    d = args.out / str(args.n) / f"seed{seed}"
    settings = {k: str(v) for k, v in sorted(vars(args).items()) if k not in ("seeds", "device", "out")}
    if (d / "result.json").exists():
        done = json.loads((d / "result.json").read_text())
        if done.get("settings") != settings:
            raise SystemExit(f"'{d}' holds results made with other settings ({done.get('settings')}); pass another --out")
        return done
    data = subset(args.data, args.n, args.out)
    with np.load(data) as f:
        train_images = as_unit(f["x_train"])
    out: dict = {"n_train": len(train_images), "seed": seed, "settings": settings,
                 **{f"train_set.{k}": v for k, v in scores(train_images, net, real_f).items()}}
    for arm in ARMS:
        run, seconds = train_arm(args, data, d / arm, seed, arm)
        fake = run.sample(args.samples, seed=seed + 1)
        got = scores(fake, net, real_f)
        out.update({f"{arm}.{k}": v for k, v in got.items()}, **({f"{arm}.train_seconds": seconds} if seconds else {}))
        print(f"n {args.n} seed {seed} {arm}: fid {got['fid']:.2f}, kid {got['kid']:.4f}", flush=True)
    d.mkdir(parents=True, exist_ok=True)
    (d / "result.tmp").write_text(json.dumps(out, indent=1) + "\n")
    (d / "result.tmp").replace(d / "result.json")
    return out


def summary(rows: list[dict]) -> str:
    """Markdown: mean +- std over seeds of each score, and the paired difference (with - without)."""
    lines = ["| score | mean ± std (seeds) |", "| --- | --- |"]

    def add(name, vals):
        vals = np.asarray(vals, dtype=float)
        lines.append(f"| {name} | {vals.mean():.4g} ± {vals.std(ddof=1) if len(vals) > 1 else 0:.2g} ({len(vals)}) |")
    for key in sorted({k for r in rows for k in r if isinstance(r[k], float)}):
        add(key, [r[key] for r in rows if key in r])
    for m in ("fid", "kid"):
        add(f"diffaugment - plain: {m}", [r[f"diffaugment.{m}"] - r[f"plain.{m}"] for r in rows])
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=SHARED / "mnist.npz", help="an .npz with x_train, y_train, x_test")
    p.add_argument("--feature-net", type=Path, default=SHARED / "inception-fid-pool3.torchscript.pt")
    p.add_argument("--out", type=Path, default=Path("runs/fewshot"))
    p.add_argument("--n", type=int, default=500, help="training images (class-balanced)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1])
    p.add_argument("--iterations", type=int, default=2000)
    p.add_argument("--policy", default="translation,cutout", help="train.diffaugment of the second arm")
    p.add_argument("--samples", type=int, default=1000, help="generated images scored per arm")
    p.add_argument("--real", type=int, default=1000, help="MNIST test images the scores compare with")
    p.add_argument("--device", default="auto")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    args = p.parse_args(argv)
    if any("=" not in kv for kv in args.overrides):
        p.error("--set takes KEY=VALUE, e.g. --set model.dim=32")
    for f in (args.data, args.feature_net):
        if not f.is_file():
            p.error(f"'{f}' not found: pass --data / --feature-net, or set WGANGP_SHARED_DATA to ../shared/data")
    net = load_feature_net(args.feature_net)
    with np.load(args.data) as d:
        real_f = features(as_unit(d["x_test"][:args.real]), net)
    rows = [run_one(args, net, real_f, s) for s in args.seeds]
    text = summary(rows)
    (args.out / f"summary-{args.n}.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
