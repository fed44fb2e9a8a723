"""Does a conditional WGAN-GP's synthetic data help a time-series classifier? (issue #17, item 4)

For each UCR set of ``ucr-subset.npz`` (``--sets``: gunpoint, italypower, osuleaf; arrays
``NAME_x_train``, ``NAME_y_train``, ``NAME_x_test``, ``NAME_y_test``, labels 1..K) and each seed:

1. the set's training split is written to an .npz and a class-conditional WGAN-GP is trained on it
   through ``wgangp.train`` (``model.arch=resnet-1d``, or ``--arch``; ``data.length`` left to the signals domain,
   which zero-pads the series to the next multiple of ``2 ** model.depth``, 8 by default);
2. a class-balanced synthetic set as large as the real training set (``--share`` times it) is drawn (in the data's units,
   the padding cropped off);
3. on the real test split: accuracy of the 1-D CNN and of MiniRocket (aeon; "not installed" without
   it) trained on real (TRTR), synthetic (TSTR), real + synthetic (TRSTR) and real + the classic
   augmentations (window warp, scaling, jitter; as many augmented series as synthetic ones); the
   run's class agreement and its ceiling (the metric's forest, trained on the real training split,
   on the real test split); TimeGAN's discriminative and predictive scores (series divided by the
   training set's largest magnitude per channel); the wall time of the GAN training.

``--imbalance CLASS:FRACTION`` (e.g. ``1:0.2``, CLASS as the file labels it): the training split
keeps only FRACTION of that class (drawn with the seed), the GAN trains on what is left, and the
recall of that class (and the accuracy) is reported for real only, real + classic augmentation
(every class topped up to the largest with augmented copies) and real + synthetic (every class
topped up with generated series, as ``augment --balance``).

``--share S``: S synthetic series per real training series (class-balanced; 1 by default) in the
synthetic and real + synthetic arms (and as many classically augmented ones in real + classic); the
results go to ``SET-share-S``, the GANs are those of ``SET``; the discriminative and predictive
scores are left to ``--share 1`` (they would change with the synthetic set's size alone).

``--filter rocket`` (or ``cnn``): the synthetic series are drawn from a pool ``--pool`` times as large
and only those the classifier, trained on the real training split, puts in their requested class are
kept (as ``augment --classifier`` does); the GANs of the unfiltered runs under the same ``--out`` are
reused (trained there when missing), the results go to ``SET-filter-NAME``, with the share accepted.

``--per-class``: instead of one conditional GAN, one unconditional GAN per class trained on that class's
series alone (``OUT/SET-per-class/seedS/classK``, K the class's index); each class's synthetic series come
from its own GAN, and the class agreement is the same forest's (trained on the real training split) on them.
With ``--finetune N`` every class's GAN starts (``train.init_from``) from one unconditional GAN trained on all the
set's series (``--iterations``, in ``OUT/SET-per-class-finetune-N/seedS/base``) and trains N iterations on its class:
the few-shot remedy of fine-tuning a GAN trained on more data; ``--freeze K`` keeps the first K critic layers of that
GAN as they are (FreezeD, ``train.freeze_critic``; under ``SET-per-class-finetune-N-freeze-K``).

``--truncation T``: every synthetic series is drawn with the truncation trick (noise entries within [-T, T]) from
the same GANs; the results go to ``SET[...]-trunc-T``, the class agreement is scored on a fresh draw as with --per-class.

``--set data.circular=true`` (closed curves, e.g. OSULeaf's leaf outlines: the GAN trains on series rotated to one
phase, its samples are rotated to real series' phases): every classifier also gets the control arm
``real_rotated``, real + as many real series rotated to another real series' phase (class-balanced as the
synthetic set), so a gain from the rotation alone is not taken for one from the GAN.

Results: ``OUT/SET[-imbalance-C-F][-filter-NAME][-trunc-T]/seedS/result.json`` per set and seed (an existing one is skipped:
run sets or seeds as separate processes and re-run to resume; an interrupted GAN run is resumed
from its checkpoint), then ``OUT/summary.json`` and ``OUT/summary.md``: mean +- std over the seeds
whose results exist. A GAN under ``OUT`` trained with another ``--arch``, ``--iterations`` or ``--set``
(and every result scored on it) is refused with one line, never reused: give each recipe its own ``--out``.

    python experiments/ucr_augmentation.py --out runs/ucr --seeds 0 1 2 --iterations 2000
    python experiments/ucr_augmentation.py --out runs/ucr --sets gunpoint --imbalance 1:0.2
"""
from __future__ import annotations

import argparse
import importlib.util
import json
import os
import shutil
import sys
import time
from pathlib import Path

# MiniRocket (numba) and torch in one process: numba's OpenMP pool would keep a core spinning beside
# the GAN's training (measured: a 10x slower GAN after the first set's ROCKET); one numba thread, and
# OpenMP workers that sleep when idle. Set before numba or torch is imported. Sleeping workers make
# torch's small steps slow on 2 threads, so torch runs on --torch-threads (1 by default): 150 GAN
# iterations on ItalyPowerDemand took 28.8 s on 2 threads with sleeping workers, 13.5 s on 2 threads
# with torch's default policy and 10.6 s on 1 thread (train_seconds; commands in
# benchmarks/results/ucr-augmentation.md).
os.environ.setdefault("NUMBA_NUM_THREADS", "1")
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np  # noqa: E402
import torch  # noqa: E402

import wgangp  # noqa: E402
from wgangp.data.series_augment import classic_balance  # noqa: E402
from wgangp.metrics.signal_predictive import predictive_score  # noqa: E402
from wgangp.metrics.signals import class_agreement  # noqa: E402
from wgangp.metrics.signal_utility import CLASSIFIERS, discriminative_score, fit_predict, utility  # noqa: E402

_spec = importlib.util.spec_from_file_location("ucr_summary", Path(__file__).with_name("ucr_summary.py"))
_summary = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_summary)
markdown, paired_gains, summarise = _summary.markdown, _summary.paired_gains, _summary.summarise

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("WGANGP_SHARED_DATA", ROOT.parent / "shared" / "data"))
FILE = "ucr-subset.npz"


def sets_in(path: Path) -> list[str]:
    """The set names of an .npz holding ``NAME_x_train`` arrays."""
    with np.load(path) as d:
        return sorted(k[:-len("_x_train")] for k in d.files if k.endswith("_x_train"))


def load_set(path: Path, name: str) -> dict:
    """``x_train (N, C, L)``, ``y_train`` (the file's labels), ``x_test``, ``y_test`` of one set."""
    with np.load(path) as d:
        out = {k: d[f"{name}_{k}"] for k in ("x_train", "y_train", "x_test", "y_test")}
    for k in ("x_train", "x_test"):
        out[k] = (out[k][:, None] if out[k].ndim == 2 else out[k]).astype(np.float32)
    return out


def imbalanced(x: np.ndarray, y: np.ndarray, cls: int, fraction: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """``(x, y)`` keeping ``fraction`` (at least 2) of the series labelled ``cls``, drawn with ``seed``."""
    rows = np.flatnonzero(y == cls)
    if not len(rows):
        raise SystemExit(f"--imbalance: no training series has label {cls} (labels: {sorted(set(y.tolist()))})")
    kept = np.random.default_rng(seed).choice(rows, size=max(2, int(round(fraction * len(rows)))), replace=False)
    keep = np.sort(np.concatenate([np.flatnonzero(y != cls), kept]))
    return x[keep], y[keep]


def gan_overrides(args, data: Path, n: int, seed: int) -> dict:
    """The config overrides of the conditional GAN on ``data`` (``n`` training series)."""
    over = {"data.name": "signals", "data.path": str(data.resolve()), "model.arch": args.arch,
            "model.conditional": True, "train.iterations": args.iterations, "seed": seed, "device": args.device,
            "data.batch_size": min(args.batch_size, n), "train.sample_every": 0, "train.eval_every": 0,
            "train.ckpt_every": max(1, min(500, args.iterations))}
    over.update(kv.split("=", 1) for kv in args.overrides)
    return over


def check_same_gan(run_dir: Path, over: dict) -> None:
    """Refuse to reuse (or resume) a GAN under ``--out`` that was trained with other settings than
    these (another ``--arch``, ``--iterations`` or ``--set``): one line naming the first key that differs."""
    from wgangp.config import load_config
    from wgangp.train.rundir import read_run_config

    skip = ("device", "data.path", "train.init_from")
    want = load_config("signals-sines-cond", over).flat()
    have = read_run_config(run_dir).flat()
    for key in over:                                  # the keys this script sets (others the run resolves itself)
        if key not in skip and have[key] != want[key]:
            raise SystemExit(f"'{run_dir}' holds a GAN trained with {key}={have[key]!r}, not {want[key]!r}: "
                             f"pass another --out (or remove that folder to train it again)")


def train_gan(run_dir: Path, over: dict) -> tuple[object, float | None]:
    """The conditional run of :func:`gan_overrides` ``over`` (trained, resumed, or loaded if finished) and the
    wall seconds of this call's training (None when it was finished before)."""
    if (run_dir / "eval.json").exists():
        return wgangp.load_run(run_dir), None
    resume = (run_dir / "checkpoint.pt").exists()
    if run_dir.exists() and not resume:
        shutil.rmtree(run_dir)                        # this script's own run, stopped before its first checkpoint
    t0 = time.perf_counter()
    run = wgangp.train("signals-sines-cond", run_dir, over, resume=resume, progress=False)
    return run, round(time.perf_counter() - t0, 2)


def gan_folders(args, gan: Path, x: np.ndarray, y_raw: np.ndarray, seed: int) -> dict[Path, tuple]:
    """``{folder: (x, labels, overrides)}`` of the set's GAN(s): one conditional GAN in ``gan``, or with
    ``--per-class`` one unconditional GAN per class in ``gan/classK`` (K: the class's index, 0..K-1) on its series alone
    (with ``--finetune``, after ``gan/base``: the unconditional GAN on every series they start from)."""
    if not args.per_class:
        return {gan: (x, y_raw, gan_overrides(args, gan / "train.npz", len(x), seed))}
    out, tune = {}, {}
    if args.finetune:           # first one unconditional GAN on every series, the start of each class's GAN
        base = gan / "base"
        out[base] = (x, y_raw, {**gan_overrides(args, base / "train.npz", len(x), seed), "model.conditional": False})
        tune = {"train.init_from": str((base / "run").resolve()), "train.iterations": args.finetune,
                "train.ckpt_every": min(500, args.finetune), "train.freeze_critic": args.freeze}
    for k, value in enumerate(np.unique(y_raw)):
        keep, folder = y_raw == value, gan / f"class{k}"
        out[folder] = (x[keep], y_raw[keep], {**gan_overrides(args, folder / "train.npz", int(keep.sum()), seed),
                                              "model.conditional": False, **tune})
    return out


def train_gans(gans: dict[Path, tuple]) -> tuple[dict, float | None, float | None]:
    """Train (or load) the GAN(s) of :func:`gan_folders`: ``({index: run}, wall seconds of this
    call's training (None: all trained before), the runs' summed training seconds)``."""
    runs, walls, seconds = {}, [], []
    for folder, (x, y_raw, over) in gans.items():
        folder.mkdir(parents=True, exist_ok=True)
        write_split(folder / "train.npz", x, y_raw)
        run, wall = train_gan(folder / "run", over)
        if folder.name != "base":                     # --finetune's shared start draws no series itself
            runs[len(runs)] = run
        walls.append(wall)
        seconds.append(json.loads((folder / "run" / "eval.json").read_text()).get("train_seconds"))
    wall = None if all(w is None for w in walls) else round(sum(w or 0.0 for w in walls), 2)
    secs = None if None in seconds else round(sum(seconds), 2)
    return runs, wall, secs


def generate(run, classes: list[int], length: int, seed: int) -> np.ndarray:
    """Generated series of the given classes ``(len(classes), C, length)`` in the data's units; ``run`` is
    one conditional run or (``--per-class``) ``{class: unconditional run}``, each drawing its class's rows."""
    if isinstance(run, dict):
        classes = np.asarray(classes)
        out = np.empty((len(classes),) + next(iter(run.values())).data_shape[:-1] + (length,), dtype=np.float32)
        for k, r in run.items():
            rows = np.flatnonzero(classes == k)
            if len(rows):
                out[rows] = generate(r, classes[rows].tolist(), length, seed + 1000 * k)
        return out
    x = run.to_data_units(run.sample(len(classes), seed=seed, classes=classes if run.n_classes else None))
    return x.detach().cpu().numpy()[:, :, :length].astype(np.float32)


def balanced_classes(n: int, k: int) -> list[int]:
    """``n`` class indices cycling over ``0..k-1``."""
    return (np.arange(n) % k).tolist()


def fresh_agreement(runs, x: np.ndarray, y: np.ndarray, seed: int) -> float:
    """The metric's forest, trained on the real split ``(x, y)``, on a class-balanced draw of ``len(x)``
    series from ``runs`` (per-class GANs, or one conditional run: the share put in their requested class)."""
    classes = balanced_classes(len(x), len(runs) if isinstance(runs, dict) else runs.n_classes)
    fake = generate(runs, classes, x.shape[2], seed + 1)
    return class_agreement(torch.from_numpy(x), torch.from_numpy(y), torch.from_numpy(fake),
                           torch.from_numpy(np.asarray(classes, dtype=np.int64)), seed=seed)


def filtered(args, run, real: tuple, classes: list[int], length: int, seed: int) -> tuple[tuple, float]:
    """``classes`` worth of generated series that ``args.filter``, trained on ``real``, puts in their
    requested class, drawn from a pool ``args.pool`` times as large (a class short of accepted series
    keeps all it has): ``((x, y), share of the pool accepted)``."""
    pool = [k for k in classes for _ in range(args.pool)]
    x = generate(run, pool, length, seed)
    y = np.asarray(pool, dtype=np.int64)
    pred = fit_predict(args.filter, real, x, seed=seed, epochs=args.cnn_epochs)
    if pred is None:
        raise SystemExit(f"--filter {args.filter}: aeon is not installed (pip install aeon)")
    ok = pred == y
    if not ok.any():
        raise SystemExit(f"--filter {args.filter}: none of {len(y)} generated series was put in its class; "
                         "the generator has not learned the classes (no synthetic set to score)")
    want = np.bincount(np.asarray(classes), minlength=int(y.max()) + 1)
    keep = np.concatenate([np.flatnonzero(ok & (y == k))[:want[k]] for k in range(len(want))])
    return (x[keep], y[keep]), float(ok.mean())


def write_split(path: Path, x: np.ndarray, y: np.ndarray) -> None:
    if not path.exists():
        tmp = path.with_name(f".{path.name}.tmp.npz")
        np.savez(tmp, x_train=x, y_train=y)
        tmp.replace(path)


def rotated_real(real: tuple, classes: np.ndarray, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """The real split and, for each of ``classes``, a random real series of that class rotated to the phase
    of another random real series (phases found by :func:`wgangp.data.circular.align`): the control arm of
    ``data.circular``."""
    from wgangp.data.circular import align, rotate

    x, y = torch.from_numpy(real[0]), torch.from_numpy(real[1])
    shifts, rng = align(x, y), np.random.default_rng(seed)
    pick = torch.from_numpy(np.array([rng.choice(np.flatnonzero(real[1] == c)) for c in classes]))
    to = torch.from_numpy(rng.integers(len(x), size=len(classes)))
    copies = rotate(rotate(x[pick], shifts[pick]), -shifts[to]).numpy()
    return np.concatenate([real[0], copies]), np.concatenate([real[1], np.asarray(classes, dtype=real[1].dtype)])


def full_scores(args, real, test, synth, seed: int, circular: bool = False) -> dict:
    """The utility arms of each classifier, the discriminative and predictive scores (flat keys; the
    scores only at ``--share 1``: the discriminative one trains on ``min(real, synthetic)`` of each, so
    a smaller synthetic set lowers it without the series being any better)."""
    out = {}
    for clf in args.classifiers:
        u = utility(real, test, synth, classifier=clf, seed=seed, epochs=args.cnn_epochs)
        for arm in ("trtr", "tstr", "trstr", "real_classic"):
            out[f"{clf}.{arm}"] = None if u is None else u[arm]["accuracy"]
        if circular:                                  # data.circular's control: real + rotated real series
            u = utility(real, test, synth, classifier=clf, seed=seed, epochs=args.cnn_epochs,
                        classic=rotated_real(real, synth[1], seed), arms=("real_classic",))
            out[f"{clf}.real_rotated"] = None if u is None else u["real_classic"]["accuracy"]
    if args.share != 1:
        return out
    scale = np.abs(real[0]).max(axis=(0, 2), keepdims=True).clip(1e-12)
    out["discriminative_score"] = discriminative_score(real[0] / scale, synth[0] / scale, seed=seed,
                                                       epochs=args.score_epochs)
    out.update(predictive_score(real[0] / scale, synth[0] / scale, seed=seed, epochs=args.score_epochs))
    return out


def imbalance_scores(args, real, test, synth, minority: int, seed: int) -> dict:
    """Minority recall and accuracy of real only, real + classic (balanced) and real + synthetic."""
    out, classic = {}, classic_balance(*real, seed=seed)
    for clf in args.classifiers:
        u = utility(real, test, synth, classifier=clf, seed=seed, epochs=args.cnn_epochs, classic=classic,
                    arms=("trtr", "trstr", "real_classic"))
        for arm, name in (("trtr", "real"), ("real_classic", "real+classic"), ("trstr", "real+synthetic")):
            out[f"{clf}.{name}.minority_recall"] = None if u is None else u[arm][f"recall_{minority}"]
            out[f"{clf}.{name}.accuracy"] = None if u is None else u[arm]["accuracy"]
    return out


def gan_tag(args, name: str) -> str:
    """The folder under ``--out`` that holds the set's GANs (a filtered arm shares its unfiltered one's)."""
    name += (f"-per-class-finetune-{args.finetune}" if args.finetune else "-per-class") if args.per_class else ""
    name += f"-freeze-{args.freeze}" if args.freeze else ""
    return f"{name}-imbalance-{args.imbalance[0]}-{args.imbalance[1]:g}" if args.imbalance else name


def variant(args) -> str:
    """What ``--share``, ``--filter`` and ``--truncation`` add to a folder's and a summary's name."""
    return ((f"-share-{args.share:g}" if args.share != 1 else "") + (f"-filter-{args.filter}" if args.filter else "")
            + (f"-trunc-{args.truncation:g}" if args.truncation else ""))


def tag_of(args, name: str) -> str:
    """The set's folder under ``--out`` and its column in the summary."""
    return gan_tag(args, name) + variant(args)


def run_one(args, name: str, seed: int) -> dict:
    """One set and seed: GAN, synthetic set, scores; written to (and, when there, read from) result.json."""
    tag = tag_of(args, name)
    d = args.out / tag / f"seed{seed}"
    gan = args.out / gan_tag(args, name) / f"seed{seed}"
    s = load_set(args.data, name)
    x, y_raw = s["x_train"], s["y_train"]
    if args.imbalance:
        x, y_raw = imbalanced(x, y_raw, args.imbalance[0], args.imbalance[1], seed)
    gans = gan_folders(args, gan, x, y_raw, seed)
    for folder, (_, _, over) in gans.items():
        if (folder / "run" / "config.json").exists():   # a GAN of another recipe (and results scored on it): refused
            check_same_gan(folder / "run", over)
    if (d / "result.json").exists():
        print(f"{tag} seed {seed}: done before, skipped", flush=True)
        return json.loads((d / "result.json").read_text())
    d.mkdir(parents=True, exist_ok=True)
    values = np.unique(y_raw)                               # classes 0..K-1 in the file's sorted labels
    y, yt = np.searchsorted(values, y_raw), np.searchsorted(values, s["y_test"])
    runs, wall, train_seconds = train_gans(gans)
    runs = {k: r.truncated(args.truncation) for k, r in runs.items()}     # --truncation: every draw below
    run = runs if args.per_class else runs[0]
    counts = np.bincount(y, minlength=len(values))
    classes = ([k for k, c in enumerate(counts) for _ in range(counts.max() - c)] if args.imbalance   # top up
               else balanced_classes(max(1, round(args.share * len(x))), len(values)))
    real, test = (x, y), (s["x_test"], yt)
    if args.filter:
        synth, accepted = filtered(args, run, real, classes, x.shape[2], seed)
    else:
        synth, accepted = (generate(run, classes, x.shape[2], seed), np.asarray(classes, dtype=np.int64)), None
    out = {"set": name, "seed": seed, "train_counts": counts.tolist(), "n_synthetic": len(synth[1]),
           **({"filter_accepted": accepted} if accepted is not None else {}),
           **({"gan_wall_seconds": wall} if wall is not None else {}),      # absent: a GAN trained before
           "gan_train_seconds": train_seconds,
           # the run's own figure; with --per-class or --truncation the same forest's (trained on the real split) on
           # a fresh class-balanced draw as large as the real split (not the filtered, shared or topped-up set scored below)
           "class_agreement": (json.loads((gan / "run" / "eval.json").read_text()).get("class_agreement")
                               if not (args.per_class or args.truncation) else fresh_agreement(run, x, y, seed)),
           # its ceiling: the metric's forest, trained on the real training split, on the real test split
           "class_agreement_real_test": class_agreement(torch.from_numpy(x), torch.from_numpy(y),
                                                        torch.from_numpy(s["x_test"]), torch.from_numpy(yt), seed=seed)}
    out.update(imbalance_scores(args, real, test, synth, int(np.searchsorted(values, args.imbalance[0])), seed)
               if args.imbalance else full_scores(args, real, test, synth, seed,
                                                  next(iter(runs.values())).config.data.circular))
    (d / "result.json").write_text(json.dumps(out, indent=1) + "\n")
    print(f"{tag} seed {seed}: " + ", ".join(f"{k} {v:.4g}" for k, v in out.items()
                                              if isinstance(v, float)), flush=True)
    return out


def _share(text: str) -> float:
    try:
        share = float(text)
    except ValueError:
        share = float("nan")
    if not 0 < share <= 100:
        raise argparse.ArgumentTypeError(f"--share takes a number in (0, 100], got {text!r}")
    return share


def _imbalance(text: str) -> tuple[int, float]:
    try:
        cls, frac = text.split(":")
        cls, frac = int(cls), float(frac)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--imbalance takes CLASS:FRACTION, e.g. 1:0.2; got {text!r}") from None
    if not 0 < frac < 1:
        raise argparse.ArgumentTypeError(f"--imbalance FRACTION must be in (0, 1), got {frac}")
    return cls, frac


def parse(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, default=None, help=f"the .npz (default: SHARED/{FILE})")
    p.add_argument("--shared", type=Path, default=SHARED, help="the folder holding ucr-subset.npz (default: "
                   "$WGANGP_SHARED_DATA or ../shared/data)")
    p.add_argument("--out", type=Path, default=Path("runs/ucr"))
    p.add_argument("--sets", nargs="+", default=None, help="set names (default: every NAME_x_train in the file)")
    p.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    p.add_argument("--iterations", type=int, default=2000, help="generator iterations of each GAN")
    p.add_argument("--arch", default="resnet-1d", help="model.arch of the GAN")
    p.add_argument("--batch-size", type=int, default=32, help="data.batch_size (at most the training set's size)")
    p.add_argument("--device", default="auto")
    p.add_argument("--torch-threads", type=int, default=1, help="torch's CPU threads (1: fastest for these small "
                   "networks beside numba's sleeping OpenMP workers)")
    p.add_argument("--cnn-epochs", type=int, default=200, help="epochs of each 1-D CNN classifier")
    p.add_argument("--score-epochs", type=int, default=50, help="epochs of the discriminative CNN and predictive GRU")
    p.add_argument("--classifiers", nargs="+", default=list(CLASSIFIERS), choices=CLASSIFIERS)
    p.add_argument("--imbalance", type=_imbalance, default=None, metavar="CLASS:FRACTION")
    p.add_argument("--filter", default=None, choices=CLASSIFIERS,
                   help="keep only generated series this classifier (trained on the real split) puts in their class")
    p.add_argument("--share", type=_share, default=1.0, help="synthetic series per real training series (class-"
                   "balanced; not with --imbalance, which tops every class up); the GANs are shared across shares")
    p.add_argument("--per-class", action="store_true", help="one unconditional GAN per class, on that class's "
                   "series alone, instead of one conditional GAN (results and GANs under SET-per-class)")
    p.add_argument("--finetune", type=int, default=0, metavar="N", help="with --per-class: each class's GAN starts "
                   "from one unconditional GAN trained on every series (--iterations) and trains N iterations on its class")
    p.add_argument("--freeze", type=int, default=0, metavar="K", help="with --finetune: each class's GAN keeps the "
                   "first K critic layers of the GAN it starts from (train.freeze_critic, FreezeD)")
    p.add_argument("--truncation", type=float, default=None, metavar="T", help="draw the synthetic series with "
                   "the truncation trick at bound T (Run.truncated; results under SET[...]-trunc-T, the same GANs)")
    p.add_argument("--pool", type=int, default=10, help="with --filter: series drawn per series kept")
    p.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="extra config override of the GAN runs, e.g. model.dim=64")
    args = p.parse_args(argv)
    if args.truncation is not None and not (np.isfinite(args.truncation) and args.truncation > 0):
        p.error(f"--truncation must be a positive number (the bound of every noise entry), got {args.truncation}")
    if args.finetune and not args.per_class or args.finetune < 0:
        p.error("--finetune N (N > 0) is for --per-class runs: it says how each class's GAN is trained")
    if args.freeze and not args.finetune or args.freeze < 0:
        p.error("--freeze K (K > 0) is for --finetune runs: it keeps the first K critic layers of the GAN they start from")
    if args.imbalance and args.share != 1:
        p.error("--share is not for --imbalance runs: those top every class up to the largest")
    args.data = args.data or args.shared / FILE
    if not args.data.is_file():
        p.error(f"'{args.data}' not found: pass --data FILE.npz, or --shared DIR (or set WGANGP_SHARED_DATA) to "
                f"the folder holding {FILE}")
    known = sets_in(args.data)
    args.sets = args.sets or known
    if set(args.sets) - set(known):
        p.error(f"no set {sorted(set(args.sets) - set(known))[0]!r} in '{args.data}' (it holds {', '.join(known)})")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    torch.set_num_threads(args.torch_threads)
    args.out.mkdir(parents=True, exist_ok=True)
    results = {}
    for name in args.sets:
        rows = [run_one(args, name, seed) for seed in args.seeds]
        results[tag_of(args, name)] = rows
    summary = summarise(results)
    stem = "summary" + ("-imbalance" if args.imbalance else "") + variant(args)
    (args.out / f"{stem}.json").write_text(json.dumps({"args": {k: str(v) for k, v in vars(args).items()},
                                                        "summary": summary, "results": results}, indent=1) + "\n")
    table = markdown(summary)
    (args.out / f"{stem}.md").write_text(table)
    print(f"\n{len(args.seeds)} seed(s), mean ± std (n):\n{table}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
