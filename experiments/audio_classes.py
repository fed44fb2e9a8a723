"""Audio: do WaveGAN and SpecGAN learn the classes of a small set of class-labelled WAV clips?

The clips are made here (no download): three classes at 16 kHz, each clip a random draw of its class
with a random phase, a fade in and out and white noise at -30 dB:

* ``low``: a tone of 250-500 Hz; ``high``: a tone of 2-4 kHz; ``chirp``: a linear sweep from
  300 Hz up to 3-5 kHz.

Each model is trained class-conditionally (``model.conditional=true``) on the WAV folder, and the
class agreement of two judges is printed per run with the spectrum distance: the metric's random
forest on the real clips' band shares (``wgangp.metrics.signals``) and the in-project 1-D CNN, each
trained on the run's real clips and checked on other real clips (their accuracy there is the
ceiling of their agreement).

    python experiments/audio_classes.py --models wavegan specgan --seeds 0 --out runs/audio
    python experiments/audio_classes.py --make-clips clips/ --per-class 64 --length 16384   # only the WAV folder
"""
from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

RATE = 16_000
CLASSES = ("low", "high", "chirp")

# model -> (preset, overrides): the paper's networks at CPU sizes, on clips of LENGTH samples (64 ms at
# 16 kHz): WaveGAN with three stride-4 stages at DIM 32 (the paper: five at DIM 64); SpecGAN-style 28x28
# spectrograms of the first 784 samples (n_fft 56, hop 28) with the 1-channel gan_mnist DCGAN at DIM 32
# (the paper: 128x128, its own DCGAN at DIM 64: model.arch=specgan, --models specgan128). All batch 32,
# the generator's class term at weight 1 (loss.ac_weight_g; the official AC-GAN's 0.1 left WaveGAN's
# classes unseparated after 1,500 iterations at 4,096 samples, DIM 16) and the fast recipe of the
# CPU presets (mnist-dcgan-cond-fast): Adam 5e-4 decaying linearly to 0, 3 critic steps (the paper:
# 1e-4 constant, 5); benchmarks/results/audio-classes.txt has the curves of both
LENGTH = 1024
COMMON = {"model.dim": 32, "data.batch_size": 32, "loss.ac_weight_g": 1.0,
          "optim.lr": 5e-4, "optim.lr_decay": "linear", "train.n_critic": 3}
MODELS = {
    "wavegan": ("signals-wavegan", {**COMMON, "data.length": LENGTH}),
    "specgan": ("signals-specgan", {**COMMON, "model.arch": "dcgan-mnist", "data.length": 784}),
    # the paper's 128x128 SpecGAN network (DIM 16 here) on clips of 16,384 samples (see clip_length)
    "specgan128": ("signals-specgan", {**COMMON, "model.dim": 16, "data.length": 16384}),
}


def clip(kind: str, length: int, rng: np.random.Generator) -> np.ndarray:
    """One clip of class ``kind``: ``(length,)`` float32 in [-1, 1]."""
    t = np.arange(length) / RATE
    phase = rng.uniform(0, 2 * math.pi)
    if kind == "low":
        x = np.sin(2 * math.pi * rng.uniform(250, 500) * t + phase)
    elif kind == "high":
        x = np.sin(2 * math.pi * rng.uniform(2000, 4000) * t + phase)
    else:                                             # instantaneous frequency f0 + (f1 - f0) t / T
        f0, f1, dur = 300.0, rng.uniform(3000, 5000), length / RATE
        x = np.sin(2 * math.pi * (f0 * t + (f1 - f0) * t ** 2 / (2 * dur)) + phase)
    fade = np.minimum(1.0, np.minimum(t, t[-1] - t) / 0.01)           # 10 ms fades
    x = 0.8 * x * fade + 0.03 * rng.standard_normal(length)
    return np.clip(x, -1, 1).astype(np.float32)


def make_clips(folder: str | Path, per_class: int, length: int = LENGTH, seed: int = 0) -> Path:
    """A new WAV folder ``folder/<class>/NNNN.wav`` (16 kHz, 16-bit), ``per_class`` clips a class."""
    from wgangp.data.series_wav import write_wav_folder

    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(CLASSES)), per_class)
    x = np.stack([clip(CLASSES[k], length, rng) for k in labels])[:, None, :]
    return write_wav_folder(x, labels, list(CLASSES), RATE, folder)


def judges(run, test_clips: Path, n: int = 600, seed: int = 0) -> dict:
    """The accuracy on other real clips (``test_clips``, cropped to the run's length) of the
    class-agreement metric's forest and of the second judge, the in-project 1-D CNN (``wgangp
    classifier``'s network), both trained on the run's real clips; and the share of ``n``
    class-balanced generated clips the CNN puts in their requested class."""
    import torch

    from wgangp.data.series_io import read_series
    from wgangp.domains.signals import as_series
    from wgangp.metrics.series_classifier import fit_cnn, predict
    from wgangp.metrics.signals import class_agreement

    source = run.reference_source()
    real, labels = source.series, source.labels
    cnn = fit_cnn(real, labels, seed=seed)
    test = read_series(test_clips, length=real.shape[-1])
    x_test = test.x / np.asarray(run.domain_state["scale"], dtype=np.float32)[:, None]
    wanted = run.class_labels(n)
    fake = as_series(run.sample(n, seed=seed, classes=wanted.tolist()), run.domain_state)
    forest_test = class_agreement(real, labels, torch.from_numpy(x_test), torch.from_numpy(test.labels), seed=seed)
    return {"forest_real_test_accuracy": forest_test,
            "cnn_real_test_accuracy": float(np.mean(predict(cnn, x_test) == test.labels)),
            "cnn_class_agreement": float(np.mean(predict(cnn, fake) == wanted.numpy()))}


def run_one(model: str, seed: int, clips: Path, test_clips: Path, out: Path, iterations: int,
            extra: dict | None = None) -> dict:
    """Train one conditional model on ``clips`` (``extra``: overrides of its settings); its class
    agreement (the forest of the metric and the CNN judge) and spectrum distance."""
    import wgangp

    preset, overrides = MODELS[model]
    run_dir = out / f"{model}-seed{seed}"
    sets = {**overrides, **(extra or {}), "data.path": str(clips), "model.conditional": True, "seed": seed, "device": "cpu",
            "train.iterations": iterations, "train.eval_every": 500, "train.eval_samples": 300, "train.ckpt_every": max(iterations // 4, 1)}
    done = run_dir.exists() and wgangp.load_run(run_dir).step >= iterations
    run = wgangp.load_run(run_dir) if done else wgangp.train(preset, run_dir, sets, progress=False,
                                                             resume=(run_dir / "checkpoint.pt").exists())
    if run.step < iterations:                       # stopped (Ctrl-C, a diverged run): its checkpoint is kept
        raise SystemExit(f"audio_classes: {run_dir} stopped at iteration {run.step} of {iterations}; "
                         "the same command resumes it")
    seconds = json.loads((run_dir / "eval.json").read_text())["train_seconds"]     # the run's own record, also when reused
    ev = wgangp.evaluate(run, n=600, metrics=["spectrum", "class_agreement"])
    return {"model": model, "seed": seed, "iterations": run.step, "seconds": round(seconds, 1),
            "class_agreement": ev["class_agreement"], "spectrum_distance": ev["spectrum_distance"],
            **judges(run, test_clips, seed=seed)}


def clip_length(model: str) -> int:
    """Samples per clip of the WAV folder ``model`` trains on (the paper's 16,384 for specgan128)."""
    return max(LENGTH, MODELS[model][1]["data.length"])


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--models", nargs="+", choices=sorted(MODELS), default=sorted(MODELS))
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--iterations", type=int, default=1000)
    p.add_argument("--per-class", type=int, default=64)
    p.add_argument("--out", type=Path, default=Path("runs/audio"))
    p.add_argument("--make-clips", type=Path, metavar="FOLDER", help="only write the WAV folder and stop")
    p.add_argument("--length", type=int, default=LENGTH, help="samples per clip of --make-clips (16,384: the paper's)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a config override for every model (e.g. data.spectrogram_clip=12); use another --out")
    args = p.parse_args(argv)
    if any("=" not in kv for kv in args.set):
        p.error("--set takes KEY=VALUE")
    extra = dict(kv.split("=", 1) for kv in args.set)
    if args.make_clips:
        print(make_clips(args.make_clips, args.per_class, args.length))
        return 0
    args.out.mkdir(parents=True, exist_ok=True)
    rows = []
    for model in args.models:
        n = clip_length(model)
        clips, test_clips = args.out / f"clips{n}", args.out / f"clips{n}-test"    # test: other draws, seed 1
        if not clips.exists():
            make_clips(clips, args.per_class, n)
        if not test_clips.exists():
            make_clips(test_clips, args.per_class, n, seed=1)
        for seed in args.seeds:
            rows.append(run_one(model, seed, clips, test_clips, args.out, args.iterations, extra))
            print(json.dumps(rows[-1]), flush=True)
    results = args.out / "results.json"
    old = json.loads(results.read_text()) if results.exists() else []
    results.write_text(json.dumps(old + rows, indent=1))
    print(f"\n{'model':10s} {'seed':>4s} {'iterations':>10s} {'train s':>8s} {'agreement forest':>16s} "
          f"{'forest real test':>16s} {'agreement CNN':>13s} {'CNN real test':>13s} {'spectrum':>9s}")
    for r in rows:
        print(f"{r['model']:10s} {r['seed']:4d} {r['iterations']:10d} {r['seconds']:8.1f} {r['class_agreement']:16.1%} "
              f"{r['forest_real_test_accuracy']:16.1%} {r['cnn_class_agreement']:13.1%} {r['cnn_real_test_accuracy']:13.1%} {r['spectrum_distance']:9.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
