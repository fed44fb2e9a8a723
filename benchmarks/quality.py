"""Quality check of the fast step: does wgangp's trainer learn as well as the plain textbook loop?

    python benchmarks/quality.py --preset toy-25gaussians-fast --iters 3000 --seeds 0 1 2 \\
        --set optim.lr_decay=none --set train.ema=0

For each seed the wgangp trainer and ``plain_loop.PlainWGANGP`` start from the same initial
weights (same config, same seed) and train ``--iters`` generator iterations; both generators are
then scored with the same wgangp evaluation (toy sets: modes captured, high-quality share, W1;
images: the run's ``train.eval_metrics``). Their noise streams differ, so single seeds differ
by chance: compare the mean and spread over seeds. The plain loop has no learning-rate decay and no
generator EMA, so presets that use them need ``--set optim.lr_decay=none --set train.ema=0`` (the
script refuses otherwise: the two would not be training the same maths). Prints one line per seed
and run, then ``QUALITY preset=P metric=mean+-std ...`` for each side.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from plain_loop import PlainWGANGP  # noqa: E402

from wgangp.api import Run, evaluate  # noqa: E402
from wgangp.config import load_config  # noqa: E402
from wgangp.run import build_trainer  # noqa: E402
from wgangp.train.step import resolve_device  # noqa: E402


def _score(cfg, generator, critic, shape, step) -> dict:
    return evaluate(Run(cfg, None, step, generator.eval(), critic.eval(), tuple(shape)))


def _shown(key: str, value) -> bool:
    return isinstance(value, (int, float)) and key not in ("step", "n_samples", "n_modes", "n_classes", "train_seconds")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--preset", default="toy-25gaussians-fast")
    p.add_argument("--device", default="cpu")
    p.add_argument("--iters", type=int, default=3000)
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--set", dest="overrides", action="append", default=[])
    args = p.parse_args(argv)
    scores: dict[str, list[dict]] = {"wgangp": [], "plain": []}
    for seed in args.seeds:
        cfg = load_config(args.preset, [f"device={args.device}", f"seed={seed}", f"train.iterations={args.iters}",
                                        *args.overrides])
        if (cfg.optim.lr_decay != "none" or cfg.train.ema > 0 or cfg.model.conditional or cfg.loss.name != "wgan-gp"
                or cfg.optim.name != "adam" or cfg.optim.lr_g not in (0.0, cfg.optim.lr)):
            p.error("the plain loop is unconditional WGAN-GP with one constant Adam learning rate and no EMA: add "
                    "--set optim.lr_decay=none --set train.ema=0 (and use an unconditional wgan-gp preset)")
        device = resolve_device(cfg.device)
        ours, plain = build_trainer(cfg), PlainWGANGP(cfg, device)
        for name, obj in (("wgangp", ours), ("plain", plain)):
            t0 = time.perf_counter()
            for _ in range(args.iters):
                obj.iteration()
            seconds = time.perf_counter() - t0
            m = _score(cfg, obj.G, obj.D, ours.source.shape, args.iters)
            scores[name].append(m)
            shown = {k: (round(v, 4) if isinstance(v, float) else v) for k, v in m.items() if _shown(k, v)}
            print(f"seed {seed} {name:6s} {seconds:7.1f} s  {shown}", flush=True)
    for name, rows in scores.items():
        keys = [k for k, v in rows[0].items() if _shown(k, v)]
        cells = []
        for k in keys:
            v = [float(r[k]) for r in rows]
            sd = statistics.stdev(v) if len(v) > 1 else 0.0
            cells.append(f"{k}={statistics.mean(v):.4g}+-{sd:.2g}")
        print(f"QUALITY preset={args.preset} side={name} iters={args.iters} seeds={len(rows)} " + " ".join(cells))


if __name__ == "__main__":
    from wgangp.errors import UserError

    try:
        main()
    except UserError as e:              # a bad --set or a setting this device cannot run: one line
        sys.exit(f"{Path(__file__).name}: error: {e}")
