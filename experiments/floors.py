"""Reference floors the README quotes, each computed afresh: what a perfect generator scores.

    python experiments/floors.py toy [-n 2500] [--pairs 1] [--json]
    python experiments/floors.py sines [-n 2000] [--json]
    python experiments/floors.py class-head RUN_DIR --data MNIST.npz [-n 1000] [--json]

* ``toy``: 8 and 25 Gaussians, Swiss roll. Protocol: two independent fresh draws of ``n`` true
  samples from the distribution (``ToyDistribution.sample``, seeds 1 and 2); the first is scored
  with :func:`wgangp.metrics.toy.toy_metrics` against the second as evaluation scores a generated
  set against its reference (high-quality share, modes captured, exact W1). This is the floor of
  what ``wgangp.evaluate`` measures: its reference is ``source.fresh(n, seed)``, fresh true
  draws; for 25 Gaussians they are rows of the training source's fixed 100,000-point set
  (``build_source``), itself a draw from the distribution, so ``n`` of its rows are in effect
  fresh samples and the floor is taken from the distribution directly. W1 at n=2,500 varies by
  about 20% between seed pairs: ``--pairs K`` adds its mean, sd and range over the seed pairs
  (1, 2), (3, 4), ... (2K-1, 2K).
* ``sines``: the built-in sines (4,000 signals) split by a fixed-seed permutation (seed 0) into
  two disjoint halves of ``n``: ``spectrum_distance`` between them, and ``class_agreement`` of
  the second half (as "fake") with a forest trained on the first: that score's ceiling.
* ``class-head``: a class-conditional image run's critic class head (output columns 1..K) on
  the real test images (``x_test``/``y_test``, uint8 -> x/127.5-1) and on ``n`` class-balanced
  generated images (agreement with the requested label; sample seed 0).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from wgangp.errors import UserError

SPLIT_SEED = 0                                  # sines: the permutation that halves the set
TOY = ("8gaussians", "25gaussians", "swissroll")


class FloorError(Exception):
    """A problem with the user's input: one line on stderr, exit status 2."""


def toy_floor(name: str, n: int, pairs: int) -> dict:
    from wgangp.data.toy import toy_distribution
    from wgangp.metrics.toy import toy_metrics

    dist = toy_distribution(name)
    draw = lambda seed: dist.sample(n, torch.Generator().manual_seed(seed))  # noqa: E731
    runs = [toy_metrics(draw(2 * i + 1), draw(2 * i + 2), dist.centers, dist.std) for i in range(pairs)]
    w1 = np.array([r["w1"] for r in runs])
    spread = dict(w1_mean=w1.mean(), w1_sd=w1.std(ddof=1), w1_min=w1.min(), w1_max=w1.max()) if pairs > 1 else {}
    return {"data": name, **runs[0], **{k: float(v) for k, v in spread.items()}}


def toy(args) -> dict:
    return {"protocol": "two fresh draws from the distribution", "n": args.n, "sample_seed": 1, "reference_seed": 2,
            "pairs": args.pairs, "rows": [toy_floor(name, args.n, args.pairs) for name in TOY]}


def sines(args) -> dict:
    from wgangp.data.signals import sines as builtin_sines
    from wgangp.metrics.signals import class_agreement, spectrum_distance

    x, y = builtin_sines()
    if not 2 <= args.n <= len(x) // 2:
        raise FloorError(f"-n must be between 2 and {len(x) // 2} (half of the {len(x)} built-in sines)")
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(SPLIT_SEED))
    ia, ib = perm[:args.n], perm[args.n:2 * args.n]
    return {"protocol": "two disjoint halves of the built-in sines", "n": args.n, "split_seed": SPLIT_SEED,
            "spectrum_distance": spectrum_distance(x[ia], x[ib]),
            "class_agreement": class_agreement(x[ia], y[ia], x[ib], y[ib], seed=0)}


def read_test_split(path: str) -> tuple[torch.Tensor, torch.Tensor]:
    if not Path(path).is_file():
        raise FloorError(f"data file '{path}' not found")
    try:
        with np.load(path, allow_pickle=False) as npz:
            missing = [k for k in ("x_test", "y_test") if k not in npz.files]
            if missing:
                raise FloorError(f"'{path}' has no {' / '.join(missing)} (it holds {', '.join(npz.files) or 'nothing'})")
            x, y = npz["x_test"], npz["y_test"]
    except (OSError, ValueError) as e:
        raise FloorError(f"'{path}' is not a readable .npz ({type(e).__name__}: {e})") from None
    if x.dtype != np.uint8 or x.ndim not in (3, 4) or not len(x) or y.shape != (len(x),):
        raise FloorError(f"'{path}': expected x_test uint8 (N,H,W) and y_test (N,); got {x.dtype} {x.shape}, {y.shape}")
    x = torch.from_numpy(x.astype(np.float32) / 127.5 - 1)
    return (x[:, None] if x.ndim == 3 else x), torch.from_numpy(y.astype(np.int64))


@torch.no_grad()
def head_accuracy(critic, x: torch.Tensor, y: torch.Tensor, batch: int = 500) -> float:
    pred = torch.cat([critic(xb).reshape(len(xb), -1)[:, 1:].argmax(1) for xb in x.split(batch)])
    return float((pred == y).double().mean())


def class_head(args) -> dict:
    import wgangp

    if not Path(args.run_dir).is_dir():
        raise FloorError(f"run directory '{args.run_dir}' not found")
    x, y = read_test_split(args.data)
    run = wgangp.load_run(args.run_dir)
    if not run.n_classes:
        raise FloorError(f"'{args.run_dir}' is not a class-conditional run (train with model.conditional=true)")
    if tuple(x.shape[1:]) != tuple(run.data_shape):
        raise FloorError(f"test images are {tuple(x.shape[1:])}, the run's samples {tuple(run.data_shape)}")
    if not 0 <= int(y.min()) <= int(y.max()) < run.n_classes:
        raise FloorError(f"y_test holds labels outside the run's classes 0..{run.n_classes - 1}")
    labels = run.class_labels(args.n)
    fake = run.sample(args.n, seed=0, classes=labels.tolist())
    return {"run": str(args.run_dir), "step": run.step, "n_classes": run.n_classes,
            "conditioning": run.config.loss.conditioning, "n_test": len(y), "n_generated": args.n,
            "real_test_accuracy": head_accuracy(run.critic, x, y),
            "generated_agreement": head_accuracy(run.critic, fake, labels)}


def human(cmd: str, r: dict) -> list[str]:
    if cmd == "toy":
        lines = [f"toy floors: {r['protocol']}, n={r['n']} each, seeds 1 (scored) / 2 (reference)"]
        for t in r["rows"]:
            hq = "" if t["high_quality"] is None else f"  HQ {100 * t['high_quality']:.1f}%  modes {t['modes_captured']}/{t['n_modes']}"
            spread = f"  (W1 over {r['pairs']} seed pairs: mean {t['w1_mean']:.4f}, sd {t['w1_sd']:.4f}, " \
                     f"range {t['w1_min']:.4f}-{t['w1_max']:.4f})" if r["pairs"] > 1 else ""
            lines.append(f"  {t['data']:<12} W1 {t['w1']:.4f}{hq}{spread}")
        return lines
    if cmd == "sines":
        return [f"sines floors: {r['protocol']}, n={r['n']} each, split seed {r['split_seed']}",
                f"  spectrum_distance {r['spectrum_distance']:.4f}",
                f"  class_agreement of real held-out signals (ceiling) {100 * r['class_agreement']:.1f}%"]
    return [f"class head of {r['run']} (step {r['step']}, {r['n_classes']} classes, {r['conditioning']} conditioning)",
            f"  real test images ({r['n_test']}): accuracy {100 * r['real_test_accuracy']:.1f}%",
            f"  generated ({r['n_generated']}, balanced): agrees with the requested class {100 * r['generated_agreement']:.1f}%"]


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="floors", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    for name, default, fn in (("toy", 2500, toy), ("sines", 2000, sines), ("class-head", 1000, class_head)):
        s = sub.add_parser(name)
        if name == "class-head":
            s.add_argument("run_dir")
            s.add_argument("--data", required=True, help=".npz with x_test (N,28,28) uint8 and y_test")
        s.add_argument("-n", type=int, default=default)
        if name == "toy":
            s.add_argument("--pairs", type=int, default=1, help="also W1's spread over this many seed pairs")
        s.add_argument("--json", action="store_true", help="print one JSON object")
        s.set_defaults(fn=fn)
    return p


def main(argv=None) -> int:
    torch.set_num_threads(1)
    args = parser().parse_args(argv)
    try:
        if args.n < 2 or getattr(args, "pairs", 1) < 1:
            raise FloorError(f"-n must be at least 2 and --pairs at least 1, got {args.n}, {getattr(args, 'pairs', 1)}")
        result = args.fn(args)
    except (FloorError, UserError) as e:
        print(f"floors: error: {' '.join(str(e).split())}", file=sys.stderr)
        return 2
    print(json.dumps({"command": args.cmd, **result}) if args.json else "\n".join(human(args.cmd, result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
