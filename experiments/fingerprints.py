"""Bit-identity fingerprints: a short seeded CPU run of every preset family, hashed.

    python experiments/fingerprints.py                 # print one JSON line per family
    python experiments/fingerprints.py --out FILE.json # also write them to FILE.json

For each family the run trains a few iterations through the public API and reports the SHA-256 of
every tensor of its final checkpoint that training writes (generator, critic, EMA, both optimiser
states, the data and noise RNG states) and the step statistics of ``metrics.jsonl`` to all digits.
Two versions of wgangp that print the same lines train bit-identically on this machine's torch.
(Evaluation numbers are left out: a version may change a metric without changing training.)
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import sys
import tempfile
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared" / "data"
COMMON = {"device": "cpu", "train.eval_every": 0, "train.log_every": 2, "train.ckpt_every": 2,
          "train.eval_samples": 64}


def families(tmp: Path) -> dict[str, tuple[str, dict]]:
    rng = np.random.default_rng(0)
    cifar = tmp / "cifar-like.npz"          # real CIFAR is 60k JPEGs to decode: random images suffice here
    np.savez(cifar, x_train=rng.integers(0, 256, (64, 32, 32, 3), dtype=np.uint8),
             y_train=np.arange(64) % 10)
    mnist = SHARED / "mnist.npz"
    fams = {
        "toy-8gaussians-fast": ("toy-8gaussians-fast", {"train.iterations": 6}),
        "toy-25gaussians-fast (EMA)": ("toy-25gaussians-fast", {"train.iterations": 6}),
        "toy-swissroll": ("toy-swissroll", {"train.iterations": 4, "model.hidden": 64}),
        "toy-8gaussians-wgan-clip": ("toy-8gaussians-wgan-clip", {"train.iterations": 4, "model.hidden": 64}),
        "toy-8gaussians-gan": ("toy-8gaussians-gan", {"train.iterations": 4, "model.hidden": 64}),
        "toy-8gaussians-cond": ("toy-8gaussians-cond", {"train.iterations": 6}),
        "cifar10-resnet (random images)": ("cifar10-resnet", {"train.iterations": 2, "data.path": str(cifar),
                                                              "data.batch_size": 8, "model.dim": 16,
                                                              "train.eval_samples": 16}),
        "cifar10-resnet-acgan (random images)": ("cifar10-resnet-acgan", {
            "train.iterations": 2, "data.path": str(cifar), "data.batch_size": 8, "model.dim": 16,
            "train.eval_samples": 16}),
        "signals-sines-cond": ("signals-sines-cond", {"train.iterations": 4}),
        "text-python-docs": ("text-python-docs", {"train.iterations": 2, "data.max_lines": 512,
                                                  "train.eval_samples": 32}),
        "table-breast-cancer": ("table-breast-cancer", {"train.iterations": 6}),
    }
    if mnist.is_file():
        fams["mnist-dcgan"] = ("mnist-dcgan", {"train.iterations": 2, "data.path": str(mnist), "data.batch_size": 16,
                                               "model.dim": 16, "train.eval_samples": 16})
        fams["mnist-dcgan-cond"] = ("mnist-dcgan-cond", {"train.iterations": 2, "data.path": str(mnist),
                                                         "data.batch_size": 16, "model.dim": 16,
                                                         "train.eval_samples": 16})
    return fams


def _hash(obj) -> str:
    h = hashlib.sha256()

    def walk(o):
        if isinstance(o, torch.Tensor):
            buf = io.BytesIO()
            np.save(buf, o.detach().cpu().contiguous().numpy() if o.dtype != torch.bfloat16 else o.float().numpy())
            h.update(buf.getvalue())
        elif isinstance(o, dict):
            for k in sorted(o, key=str):
                h.update(str(k).encode())
                walk(o[k])
        elif isinstance(o, (list, tuple)):
            for v in o:
                walk(v)
        else:
            h.update(repr(o).encode())

    walk(obj)
    return h.hexdigest()[:16]


def cpu_kind() -> str:
    """What decides the CPU kernels' bits: torch's CPU capability, and AMX where the CPU has it
    (the same code trains to other bits on an AVX2, an AVX512 and an AMX machine)."""
    try:
        amx = "amx_tile" in Path("/proc/cpuinfo").read_text()
    except OSError:
        amx = False
    return torch.backends.cpu.get_cpu_capability() + ("+AMX" if amx else "")


def fingerprint(name: str, preset: str, overrides: dict, tmp: Path) -> dict:
    import wgangp

    torch.set_num_threads(1)
    out = tmp / name.split()[0]
    wgangp.train(preset, out=out, overrides={**COMMON, **overrides}, progress=False)
    state = torch.load(out / "checkpoint.pt", weights_only=True)
    rng = state["rng"]
    rows = [r for r in (json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines())
            if r.get("kind") == "train"]
    return {"family": name, "step": state["step"],
            "generator": _hash(state["generator"]), "critic": _hash(state["critic"]), "ema": _hash(state.get("ema")),
            "opt_g": _hash(state["opt_g"]["state"]), "opt_d": _hash(state["opt_d"]["state"]),
            "rng": _hash({"torch": rng["torch"], "gen": rng["gen"], "data": rng["data"]}),
            "train_rows": _hash([{k: v for k, v in r.items() if k != "train_seconds"} for r in rows])}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", default=None, help="write the fingerprints to this JSON file")
    p.add_argument("--only", default=None, help="comma list of family names (prefix match)")
    args = p.parse_args()
    results = []
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        for name, (preset, overrides) in families(tmp).items():
            if args.only and not any(name.startswith(o) for o in args.only.split(",")):
                continue
            r = {**fingerprint(name, preset, overrides, tmp), "cpu": cpu_kind()}
            print(json.dumps(r), flush=True)
            results.append(r)
    if args.out:
        Path(args.out).write_text(json.dumps(results, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
