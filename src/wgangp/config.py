"""Typed configuration: dataclasses, presets as TOML files, dotted ``--set`` overrides.

The resolved :class:`Config` is the single source of truth of a run: ``config.json`` beside it, and in its checkpoints."""
from __future__ import annotations

import dataclasses
import json
import math
import tomllib
import types
import typing
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Callable

from wgangp.errors import UserError


@dataclass
class DataConfig:
    name: str = ""                # a registered kind (wgangp.domains; required): 8gaussians | 25gaussians | swissroll | points | mnist
                                  # | fashion-mnist | cifar10 | images | lsun | table | breast-cancer | text | python-docs | billion-word | signals | sines
    # The keys below are read by the domain of data.name (which also checks them): one typed, flat table for every run.
    path: str = ""                # points: .npy/.csv; images: .npz/.npy; mnist etc.: torchvision root or .npz; table: .csv/.tsv/.parquet;
                                  # text: a .txt file (one example a line); billion-word: the corpus folder; signals: .npz/.npy, .csv/.tsv/
                                  # .txt (one series a row), a UCR/UEA NAME_TRAIN.tsv/.txt/.ts file or its folder, or a folder of .wav files
    key: str = ""                 # array name inside an .npz (default: x_train, else the only 3-D/4-D array)
    download: bool = False        # let torchvision download mnist / fashion-mnist / cifar10 into data.path
    resolution: int = 0           # image folders: resize + centre-crop to this size (0 = native size); spectrograms: their side
    max_images: int = 0           # image folders / LSUN: keep the first N images (0 = all)
    lsun_class: str = "bedroom_train"   # LSUN category, read from data.path/<lsun_class>_lmdb
    dequantize: bool = False      # images: x/128 - 1 + U(0, 1/128) per pixel, as the official CIFAR ResNet
    seq_len: int = 32             # text: characters per example (lines cut / padded to it)
    max_lines: int = 0            # text: keep the first N lines of the corpus (0 = all)
    text_filter: str = "none"     # text: none | prose (lines whose first seq_len characters are letters, spaces, , . ; : ' ( ) -)
    label: str = ""               # tables: the class column; signals in a .csv/.tsv/.txt: first | last | a header name; "" = none
    label_bins: int = 0           # tables: cut a numeric data.label into this many quantile bins (0 = use its values)
    categorical: str = ""         # tables: comma list of numeric columns to treat as categorical
    drop: str = ""                # tables: comma list of columns left out (direct identifiers, free text)
    holdout: float = 0.2          # tables: share of records kept out of training for utility and privacy checks
    split_seed: int = 0           # tables: which random hold-out split (0 = the fixed default one)
    length: int = 0               # signals: crop to the first N samples or zero-pad at the end to N (0 = the files' own, padded)
    resample: bool = False        # signals: resample every series to data.length instead (samples resampled back to the files' own)
    circular: bool = False        # signals: closed curves (end meets start): trained rotated to one phase, samples rotated back
    mirror: bool = False          # data.circular: a curve may be traced either way (a series reversed where that aligns it better)
    representation: str = "waveform"   # signals: waveform | spectrogram (SpecGAN's STFT images for an image model.arch)
    spectrogram_clip: float = 3.0   # spectrograms: per-bin standardised log-magnitudes / this, clipped to [-1, 1] (SpecGAN's 3)
    batch_size: int = 256


@dataclass
class ModelConfig:
    arch: str = "mlp"             # registered network family (see wgangp.nets)
    noise_dim: int = 2
    hidden: int = 512
    depth: int = 3                # hidden layers in G and in the critic (mlp); residual blocks (resnet-text); 2x stages (resnet-1d)
    activation: str = "relu"      # relu (double backward written out) | relu-native (torch's)
    dim: int = 64                 # base channel width of convolutional networks (DIM of the official code)
    conditional: bool = False     # class-conditional (AC-WGAN-GP): labels from the data, G(z, y), critic class head
    minibatch_std: int = 0        # resnet-1d, dcgan-1d critics: Progressive GAN's minibatch-std channel, groups of N; 0 off


@dataclass
class LossConfig:
    name: str = "wgan-gp"         # wgan-gp | wgan-gp-one-sided | wgan-clip | gan
    gp_weight: float = 10.0       # lambda of the paper
    clip_value: float = 0.01      # c, for wgan-clip
    ac_weight: float = 1.0        # conditional: weight of the critic's cross-entropy on real samples
    ac_weight_g: float = 0.1      # conditional: weight of the generator's cross-entropy on its samples
    conditioning: str = "ac"      # conditional critic: ac (class head + the two CE terms) | projection (D(x,y) = psi + <e_y, phi>)


@dataclass
class OptimConfig:
    name: str = "adam"            # adam | rmsprop
    lr: float = 1e-4
    lr_g: float = 0.0             # generator lr; 0 means "same as lr"
    betas: tuple[float, float] = (0.0, 0.9)
    lr_decay: str = "none"        # none | linear (to 0 at train.iterations)


DIFFAUGMENT = ("color", "translation", "cutout")   # train.diffaugment's policies (wgangp.nets.diffaugment)


@dataclass
class TrainConfig:
    iterations: int = 100_000     # generator iterations
    n_critic: int = 5
    gen_batch_size: int = 0       # 0 means data.batch_size
    ema: float = 0.0              # EMA decay of generator weights; 0 disables
    log_every: int = 100
    ckpt_every: int = 1000
    eval_every: int = 0           # evaluate toy metrics every N iterations; 0 = only at the end
    sample_every: int = 0         # images: an 8x8 grid from fixed noise every N iterations (samples/, TensorBoard); 0 = off
    diag_every: int = 0           # critic diagnostics every N iterations (gradient norms, weight statistics); 0 = off
    diffaugment: str = ""         # DiffAugment for scarce data: comma list of color,translation,cutout ("" = off)
    init_from: str = ""           # a trained run's directory (or checkpoint): start from its G and critic weights (fine-tuning)
    freeze_critic: int = 0        # with init_from: the critic's first N layers keep its weights (FreezeD, Mo et al. 2020)
    eval_samples: int = 2500
    eval_metrics: str = ""        # images: comma list of fid,kid,is,coverage (+ class_accuracy,intra_fid if conditional) at every evaluation
    feature_net: str = ""         # images: TorchScript feature net for FID/KID ("" = standard Inception)
    precision: str = "fp32"       # fp32 | bf16 (autocast) | fp16 (autocast + GradScaler, penalty unscaled before its norm)
    tf32: bool = True             # CUDA: TF32 matmuls and convolutions (no effect on the CPU)
    channels_last: bool = False   # image nets and batches in NHWC memory format (meant for CUDA; no gain measured on a CPU)
    compile: str = "none"         # none | default | reduce-overhead | max-autotune: torch.compile G (the penalty stays eager)
    trace_steps: bool = False     # both steps (penalty included) traced once into aten graphs, replayed without autograd
    cuda_graphs: bool = False     # CUDA: a whole generator iteration (critic steps, G step, optimisers) as one CUDA graph
    keep_last: int = 1            # checkpoints kept: checkpoint.pt, and with K > 1 the K latest in checkpoints/
    best_metric: str = ""         # an evaluation result (w1, fid, ...): best.pt holds the run at its best evaluation; "" = off
    on_nonfinite: str = "stop"    # stop | rollback: on a NaN/inf loss or weight, stop, or reload the last finite
                                  # checkpoint and go on with fresh noise (and rollback_lr_scale x the learning rates)
    rollback_lr_scale: float = 1.0   # learning rates multiplied by this at each rollback (in (0, 1])
    max_rollbacks: int = 3        # rollbacks before the run stops as diverged
    dp_epsilon: float = 0.0       # > 0: the critic trained with DP-SGD to this (epsilon, delta) (wgangp.train.privacy); 0 = off
    dp_delta: float = 0.0         # delta of the DP guarantee; 0 = 1/n^2 for n training records
    dp_max_grad_norm: float = 1.0   # C: every per-sample critic gradient clipped to this norm


@dataclass
class Config:
    name: str = "custom"
    description: str = ""
    seed: int = 0
    device: str = "auto"          # auto | cpu | cuda | cuda:N
    data: DataConfig = field(default_factory=DataConfig)
    model: ModelConfig = field(default_factory=ModelConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    train: TrainConfig = field(default_factory=TrainConfig)

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    def flat(self) -> dict[str, Any]:
        """``{"train.iterations": 100000, ...}``: every leaf under its dotted key."""
        return dict(_flatten(self.to_dict()))


CHOICES = {
    "model.activation": ("relu", "relu-native"),
    "loss.name": ("wgan-gp", "wgan-gp-one-sided", "wgan-clip", "gan"),
    "loss.conditioning": ("ac", "projection"),
    "optim.name": ("adam", "rmsprop"),
    "optim.lr_decay": ("none", "linear"),
    "data.text_filter": ("none", "prose"),
    "data.representation": ("waveform", "spectrogram"),
    "train.precision": ("fp32", "bf16", "fp16"),
    "train.compile": ("none", "default", "reduce-overhead", "max-autotune"),
    "train.on_nonfinite": ("stop", "rollback"),
}


# data.name -> the check of that kind of data. Filled by the domains (wgangp.domains registers every
# built-in kind when the package is imported); config itself knows no kind.
DATA_KINDS: dict[str, Callable[[Config], None]] = {}
# keys that may be 0 ("sized by the data": the domain's resolve() sets them before training), and
# the data names whose domain sizes them
SIZE_KEYS = ("train.iterations", "data.batch_size", "model.hidden", "model.depth")
AUTO_SIZED: set[str] = set()


def register_data_names(names: tuple[str, ...] | list[str], check: Callable[[Config], None],
                        auto_sized: bool = False) -> None:
    """Make ``names`` valid values of ``data.name``; ``check(cfg)`` runs in :func:`validate` for them.
    ``auto_sized``: their domain sizes :data:`SIZE_KEYS` given as 0 from the data."""
    for name in names:
        DATA_KINDS[name] = check
        (AUTO_SIZED.add if auto_sized else AUTO_SIZED.discard)(name)


def _flatten(d: dict, prefix: str = ""):
    for k, v in d.items():
        if isinstance(v, dict):
            yield from _flatten(v, f"{prefix}{k}.")
        else:
            yield f"{prefix}{k}", v


def _coerce(key: str, value: Any, tp: Any) -> Any:
    """Convert ``value`` (a string from the CLI, or a TOML/JSON value) to the field type ``tp``."""
    origin = typing.get_origin(tp)
    if origin is tuple:
        if not isinstance(value, (str, list, tuple)):
            raise UserError(f"config key '{key}' expects {len(typing.get_args(tp))} comma-separated values, got {value!r}")
        parts = value.split(",") if isinstance(value, str) else list(value)
        args = typing.get_args(tp)
        if len(parts) != len(args):
            raise UserError(f"config key '{key}' needs {len(args)} comma-separated values, got {value!r}")
        return tuple(_coerce(key, p, a) for p, a in zip(parts, args))
    if origin in (typing.Union, types.UnionType):
        raise TypeError(f"unsupported config type {tp}")  # not used: keep types simple
    try:
        if tp is bool:
            if isinstance(value, bool):
                return value
            if str(value).lower() in ("1", "true", "yes", "on"):
                return True
            if str(value).lower() in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if tp is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError
            if isinstance(value, str):
                value = value.replace("_", "")
                f = float(value)
                if not f.is_integer():
                    raise ValueError
                return int(f)
            return int(value)
        if tp is float:
            if isinstance(value, bool):
                raise ValueError
            f = float(value)
            if not math.isfinite(f):
                raise UserError(f"config key '{key}' must be a finite number, got {value!r}")
            return f
        if tp is str:
            if not isinstance(value, (str, int, float)) or isinstance(value, bool):
                raise ValueError
            return str(value)
    except (ValueError, TypeError, OverflowError):        # None, a list, a date, "abc", 1e400 as an int
        raise UserError(f"config key '{key}' expects {tp.__name__}, got {value!r}") from None
    raise TypeError(f"unsupported config type {tp}")


def _field_types(obj) -> dict[str, Any]:
    hints = typing.get_type_hints(type(obj))
    return {f.name: hints[f.name] for f in dataclasses.fields(obj)}


def set_key(cfg: Config, key: str, value: Any) -> None:
    """Set the dotted ``key`` of ``cfg`` to ``value`` (type-checked); unknown keys raise UserError."""
    parts = key.split(".")
    obj = cfg
    for i, part in enumerate(parts):
        types_ = _field_types(obj)
        if part not in types_:
            where = ".".join(parts[:i]) or "the top level"
            valid = ", ".join(sorted(cfg.flat())) if i == 0 else ", ".join(sorted(types_))
            raise UserError(f"unknown config key '{key}' ('{part}' is not in {where}); valid keys: {valid}")
        if i == len(parts) - 1:
            if dataclasses.is_dataclass(getattr(obj, part)):
                raise UserError(f"config key '{key}' is a section; set one of its keys, e.g. '{key}.{next(iter(_field_types(getattr(obj, part))))}=...'")
            new = _coerce(key, value, types_[part])
            if key in CHOICES and new not in CHOICES[key]:
                raise UserError(f"config key '{key}' must be one of {', '.join(CHOICES[key])}; got {new!r}")
            if key == "data.name" and new not in DATA_KINDS:
                raise UserError(f"config key 'data.name' must be one of {', '.join(DATA_KINDS)}; got {new!r}")
            setattr(obj, part, new)
        else:
            obj = getattr(obj, part)
            if not dataclasses.is_dataclass(obj):
                raise UserError(f"unknown config key '{key}': '{'.'.join(parts[:i + 1])}' is a value, not a section")


def from_dict(d: dict[str, Any], source: str = "config", check: bool = True) -> Config:
    """Build a Config from a nested dict (TOML preset, JSON run config), type-checking each key;
    ``check=False`` defers the cross-field checks (a preset may await ``--set data.path=...``)."""
    if not isinstance(d, dict):
        raise UserError(f"{source}: expected a table of settings")
    cfg = Config()
    for key, value in _flatten(d):
        try:
            set_key(cfg, key, value)
        except UserError as e:
            raise UserError(f"{source}: {e}") from None
    if check:
        try:
            validate(cfg)
        except UserError as e:
            raise UserError(f"{source}: {e}") from None
    return cfg


def validate(cfg: Config) -> None:
    """Cross-field checks, with advice."""
    positive = ["data.batch_size", "model.noise_dim", "model.hidden", "model.depth", "model.dim",
                "train.iterations", "train.n_critic", "train.log_every", "train.ckpt_every",
                "train.eval_samples", "train.keep_last", "optim.lr"]
    flat = cfg.flat()
    for key in positive:
        if flat[key] <= 0 and not (flat[key] == 0 and key in SIZE_KEYS):
            raise UserError(f"config key '{key}' must be > 0, got {flat[key]}")
    for key in ("train.gen_batch_size", "train.eval_every", "train.sample_every", "train.diag_every", "optim.lr_g", "loss.gp_weight",
                "train.max_rollbacks", "data.length", "train.freeze_critic"):
        if flat[key] < 0:
            raise UserError(f"config key '{key}' must be >= 0, got {flat[key]}")
    if not 0.0 <= cfg.train.ema < 1.0:
        raise UserError(f"config key 'train.ema' must be in [0, 1), got {cfg.train.ema}")
    if not 0.0 < cfg.train.rollback_lr_scale <= 1.0:
        raise UserError(f"config key 'train.rollback_lr_scale' must be in (0, 1], got {cfg.train.rollback_lr_scale}")
    if cfg.data.name not in DATA_KINDS:
        raise UserError(f"config key 'data.name' must be one of {', '.join(DATA_KINDS)}; "
                        + (f"got {cfg.data.name!r}" if cfg.data.name else "it is not set (add [data] name = ... or "
                           "--set data.name=...)"))
    bad = [m for m in cfg.train.eval_metrics.split(",") if m.strip() and not m.strip().replace("_", "").isalnum()]
    if bad:
        raise UserError(f"config key 'train.eval_metrics' takes a comma list of metric names (wgangp list --metrics); "
                        f"got {cfg.train.eval_metrics!r}")
    DATA_KINDS[cfg.data.name](cfg)                  # the kind's own checks (its domain)
    bad = [p.strip() for p in cfg.train.diffaugment.split(",") if p.strip() not in ("", *DIFFAUGMENT)]
    if bad:
        raise UserError(f"config key 'train.diffaugment' takes a comma list of {', '.join(DIFFAUGMENT)}; got {bad[0]!r}")
    for key in SIZE_KEYS:
        if flat[key] == 0 and cfg.data.name not in AUTO_SIZED:
            raise UserError(f"config key '{key}' must be > 0, got 0 (0 sizes it by the data for tables only)")
    if cfg.train.cuda_graphs and cfg.train.precision == "fp16":
        raise UserError("train.cuda_graphs=true cannot be combined with train.precision=fp16 (the GradScaler checks "
                        "for overflow on the host, which a graph cannot do); use train.precision=bf16")
    if cfg.train.cuda_graphs and cfg.train.compile != "none":
        raise UserError("train.cuda_graphs=true cannot be combined with train.compile: pick one (compile's "
                        "reduce-overhead mode graphs the generator only; cuda_graphs graphs the whole iteration)")
    if cfg.train.trace_steps and (cfg.train.precision != "fp32" or cfg.train.cuda_graphs or cfg.train.compile != "none"):
        raise UserError("train.trace_steps=true (on in the CPU-sized fast presets) runs fp32 steps of its own: it "
                        "cannot be combined with train.precision=bf16/fp16, train.cuda_graphs or train.compile; "
                        "add --set train.trace_steps=false")
    if cfg.train.freeze_critic and (not cfg.train.init_from or cfg.loss.name == "wgan-clip"):
        raise UserError("train.freeze_critic keeps trained critic layers: it needs train.init_from" if not cfg.train.init_from
                        else "train.freeze_critic cannot be combined with loss.name=wgan-clip (the clip would move frozen weights)")
    if cfg.train.dp_epsilon:
        _check_private(cfg)
    if cfg.device not in ("auto", "cpu", "cuda") and not cfg.device.startswith("cuda:"):
        raise UserError(f"config key 'device' must be auto, cpu, cuda or cuda:N; got {cfg.device!r}")


def _check_private(cfg: Config) -> None:
    """Settings DP-SGD is defined for here (wgangp.train.privacy), checked before training."""
    bad = []
    if cfg.train.dp_epsilon < 0 or cfg.train.dp_delta < 0:
        bad.append("a negative train.dp_epsilon or train.dp_delta")
    if cfg.loss.name not in ("wgan-gp", "wgan-gp-one-sided"):
        bad.append(f"loss.name={cfg.loss.name} (use wgan-gp: its critic loss is a sum of per-sample terms)")
    if cfg.train.precision != "fp32":
        bad.append(f"train.precision={cfg.train.precision} (fp32 only)")
    if cfg.train.cuda_graphs or cfg.train.compile != "none" or cfg.train.trace_steps:
        bad.append("train.cuda_graphs / train.compile / train.trace_steps (per-sample gradients run eagerly)")
    if cfg.train.on_nonfinite == "rollback":
        bad.append("train.on_nonfinite=rollback (the steps a rollback undoes have spent privacy too; use stop)")
    if cfg.train.dp_max_grad_norm <= 0:
        bad.append(f"train.dp_max_grad_norm={cfg.train.dp_max_grad_norm:g} (must be > 0)")
    if bad:
        raise UserError("train.dp_epsilon (differential privacy) cannot be combined with " + "; ".join(bad))
    if cfg.model.activation == "relu":    # the same function; torch.func cannot vmap the lean double backward's
        cfg.model.activation = "relu-native"   # autograd.Function, so per-sample gradients use torch's own ReLU


def list_presets() -> dict[str, str]:
    """``{preset name: one-line description}`` for every preset shipped with wgangp."""
    out = {}
    for entry in sorted(resources.files("wgangp.presets").iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".toml"):
            d = tomllib.loads(entry.read_text())
            out[entry.name[:-5]] = d.get("description", "")
    return out


def load_config(preset_or_path: str | Path, overrides: list[str] | dict[str, Any] | None = None) -> Config:
    """Resolve a preset name or a config file (.toml / .json) plus ``key=value`` overrides."""
    name = str(preset_or_path)
    path = Path(name)
    if path.is_dir():
        hint = (f"; to continue the run in it: wgangp train --resume --out {name}" if (path / "config.json").is_file()
                else "")
        raise UserError(f"'{name}' is a directory; pass a preset name (wgangp list) or a .toml/.json config file{hint}")
    if path.suffix in (".toml", ".json") or path.is_file():
        if not path.is_file():
            raise UserError(f"config file '{name}' not found")
        try:
            text = path.read_text()
            d = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
        except (OSError, ValueError) as e:
            raise UserError(f"cannot read config file '{name}': {e}") from None
        if not isinstance(d, dict):
            raise UserError(f"config file '{name}' must hold a table of settings at its top level, got {type(d).__name__}")
        d.setdefault("name", path.stem)
    else:
        presets = list_presets()
        if name not in presets:
            raise UserError(f"unknown preset '{name}'; run 'wgangp list' to see them ({', '.join(presets)}), or pass a .toml config file")
        d = tomllib.loads(resources.files("wgangp.presets").joinpath(f"{name}.toml").read_text())
        d["name"] = name
    cfg = from_dict(d, source=name, check=False)
    items = overrides.items() if isinstance(overrides, dict) else [_split(o) for o in overrides or []]
    for key, value in items:
        set_key(cfg, key, value)
    validate(cfg)
    return cfg


def _split(override: str) -> tuple[str, str]:
    if "=" not in override:
        raise UserError(f"--set expects key=value (e.g. train.iterations=2000), got {override!r}")
    key, value = override.split("=", 1)
    return key.strip(), value.strip()


def save_config(cfg: Config, path: Path) -> None:
    path.write_text(json.dumps(cfg.to_dict(), indent=2) + "\n")
