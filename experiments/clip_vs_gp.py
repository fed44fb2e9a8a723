"""The paper's Figure 1: a deep critic's per-layer gradient norms and its weights under weight
clipping (c = 0.1, 0.01, 0.001) and under the gradient penalty, on the Swiss roll.

Each variant trains ``toy-swissroll`` with ``model.depth`` hidden layers (12: a 13-layer critic, as
the figure), logs the critic diagnostics every ``--diag-every`` iterations, and the script prints
the gradient norms of the first, middle and last weight layers at the end, their ratio (last /
first: far from 1 means the gradient explodes or vanishes through the depth), and the share of
weights at the clipping bound; ``figure1.png`` holds both panels.

    python experiments/clip_vs_gp.py --iterations 1000 --out runs/clip-vs-gp
"""
from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch

import wgangp
from wgangp.diagnostics import layer_series
from wgangp.train.logging import read_metrics
from wgangp.viz.toy import pyplot

CLIP = {"loss.name": "wgan-clip", "optim.name": "rmsprop", "optim.lr": 5e-5}     # the WGAN paper's optimiser
VARIANTS = {
    "clip 0.1": {**CLIP, "loss.clip_value": 0.1},
    "clip 0.01": {**CLIP, "loss.clip_value": 0.01},
    "clip 0.001": {**CLIP, "loss.clip_value": 0.001},
    "gradient penalty": {"loss.name": "wgan-gp"},      # the preset's Adam and lambda
}


def run_variant(name: str, args) -> dict:
    out = args.out / name.replace(" ", "-")
    overrides = {**VARIANTS[name], "model.depth": args.depth, "model.hidden": args.hidden, "seed": args.seed,
                 "train.iterations": args.iterations, "train.diag_every": args.diag_every, "train.eval_every": 0,
                 "train.log_every": args.diag_every, "device": "cpu"}
    run = wgangp.train("toy-swissroll", out, overrides, progress=False)
    rows = read_metrics(out)
    layers, steps, values = layer_series(rows, "grad_norm")
    last = [r for r in rows if r.get("kind") == "diag"][-1]
    weights = torch.cat([p.detach().flatten() for p in run.critic.parameters() if p.dim() >= 2])
    return {"variant": name, "steps": steps[-1], "layers": layers, "grad_norms": values[-1],
            "first": values[-1][0], "middle": values[-1][len(layers) // 2], "last": values[-1][-1],
            "last_over_first": values[-1][-1] / values[-1][0], "at_clip": last.get("at_clip/all"),
            "w1": wgangp.evaluate(run)["w1"], "weights": weights.tolist()}


def figure(results: list[dict], path: Path) -> None:
    plt = pyplot()
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(14, 4))
    for r in results:
        a.plot(range(1, len(r["layers"]) + 1), r["grad_norms"], "o-", ms=3, label=r["variant"])
    a.set_yscale("log")
    a.set_xlabel("critic layer (1 = input side)")
    a.set_ylabel("gradient norm (log scale)")
    a.legend(fontsize=8)
    a.grid(alpha=0.3, which="both")
    for ax, name in ((b, "clip 0.01"), (c, "gradient penalty")):
        r = next((x for x in results if x["variant"] == name), None)
        if r is not None:
            ax.hist(r["weights"], bins=100)
            ax.set_title(f"critic weights, {name}", fontsize=9)
            ax.set_xlabel("weight")
            ax.locator_params(axis="x", nbins=5)
    fig.suptitle(f"Swiss roll, {len(results[0]['layers'])}-layer critic, {results[0]['steps']} generator iterations",
                 fontsize=10)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--iterations", type=int, default=1000)
    p.add_argument("--depth", type=int, default=12, help="hidden layers of the critic (and generator)")
    p.add_argument("--hidden", type=int, default=128)
    p.add_argument("--diag-every", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), choices=list(VARIANTS), metavar="VARIANT")
    p.add_argument("--out", type=Path, default=Path("runs/clip-vs-gp"))
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    results = [run_variant(name, args) for name in args.variants]
    (args.out / "results.json").write_text(json.dumps([{k: v for k, v in r.items() if k != "weights"}
                                                       for r in results], indent=1))
    figure(results, args.out / "figure1.png")
    print(f"{'variant':18s} {'|g| layer 1':>12s} {'|g| middle':>12s} {'|g| last':>12s} {'last/first':>11s} "
          f"{'at bound':>9s} {'W1':>7s}")
    for r in results:
        at = f"{r['at_clip']:.1%}" if r["at_clip"] is not None else "-"
        print(f"{r['variant']:18s} {r['first']:12.3e} {r['middle']:12.3e} {r['last']:12.3e} "
              f"{r['last_over_first']:11.3g} {at:>9s} {r['w1']:7.3f}")
    print(f"figure: {args.out / 'figure1.png'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
