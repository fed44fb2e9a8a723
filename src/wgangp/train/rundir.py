"""Run directories: create one safely, or reopen one for ``--resume`` without losing anything."""
from __future__ import annotations

import json
import os
import socket
from pathlib import Path

from wgangp.config import SIZE_KEYS, Config, from_dict, save_config
from wgangp.errors import UserError
from wgangp.system import pid_alive
from wgangp.train.checkpoint import NAME as CKPT_NAME

CONFIG_NAME = "config.json"
# what a run writes beside its config: a folder holding any of these is not a fresh --out
RESULTS = {"metrics.jsonl", "eval.json", "tb", "samples", "samples.png", "samples.txt", "critic_surface.png", "best.pt",
           "checkpoints",
           "training_curves.png", "critic_weights.png", "critic_gradients.png"}
# temporary files of interrupted writes, removed when a run is resumed
STALE = (f".{CKPT_NAME}.*.tmp", ".best.pt.*.tmp", ".best.json.tmp", ".eval.json.tmp", "config.json.tmp",
         "metrics.jsonl.tmp", "checkpoints/.step-*.tmp")
# Keys that may change on --resume without changing what the run computes so far (train.ema only
# changes which generator is sampled; switched on at a resume, the average starts at the loaded
# weights; train.compile, train.cuda_graphs and train.trace_steps change how the same maths is executed).
RESUMABLE_CHANGES = {"train.iterations", "train.log_every", "train.ckpt_every", "train.eval_every", "device",
                     "train.ema", "train.compile", "train.cuda_graphs", "train.trace_steps", "train.sample_every", "train.diag_every",
                     "train.keep_last", "train.best_metric", "train.on_nonfinite", "train.rollback_lr_scale",
                     "train.max_rollbacks"}

# keys a run may give as 0 for "from the data" and that its domain sets before the run starts (the sizes,
# a signal set's padded length, a spectrogram's side): on --resume, a 0 means the value the run chose
RESOLVED_KEYS = (*SIZE_KEYS, "data.length", "data.resolution")


def _check_writable(run_dir: Path) -> None:
    try:
        run_dir.mkdir(parents=True, exist_ok=True)
        probe = run_dir / ".write-test"
        probe.write_text("")
        probe.unlink()
    except OSError as e:
        raise UserError(f"cannot write to run directory '{run_dir}' ({e.strerror or e}); choose a writable --out") from None


def read_run_config(run_dir: Path) -> Config:
    path = Path(run_dir) / CONFIG_NAME
    if not path.is_file():
        raise UserError(f"'{run_dir}' is not a wgangp run directory (no {CONFIG_NAME}); pass the --out of a training run")
    try:
        d = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise UserError(f"cannot read '{path}': {e}; the run directory is damaged") from None
    return from_dict(d, source=str(path))


def open_run_dir(run_dir: Path, cfg: Config | None, resume: bool) -> tuple[Config, bool]:
    """Prepare ``run_dir`` and return ``(config, has_checkpoint)``.

    New run: the directory must not hold a run already (nothing is overwritten). Resume: the
    saved config is authoritative; ``cfg`` (if given) may differ from it only in
    :data:`RESUMABLE_CHANGES`.
    """
    run_dir = Path(run_dir)
    has_run = (run_dir / CONFIG_NAME).exists() or (run_dir / CKPT_NAME).exists()
    if not resume:
        if has_run:
            raise UserError(f"'{run_dir}' already holds a run; add --resume to continue it, or choose another --out")
        results = sorted(p.name for p in run_dir.glob("*") if p.name in RESULTS) if run_dir.is_dir() else []
        if results:
            raise UserError(f"'{run_dir}' holds results of a run ({', '.join(results)}) but no {CONFIG_NAME}; "
                            "choose another --out (nothing is overwritten)")
        if cfg is None:
            raise UserError("a preset or config file is needed to start a new run")
        _check_writable(run_dir)
        return cfg, False      # config.json is written by write_run_config once the run is built
    if not has_run:
        raise UserError(f"nothing to resume in '{run_dir}' (no {CONFIG_NAME} or checkpoint); drop --resume to start a new run")
    if not (run_dir / CKPT_NAME).exists():
        raise UserError(f"'{run_dir}' has no {CKPT_NAME} to resume from (the run stopped before its first checkpoint, "
                        "or the file was removed); start the run again in another --out")
    _check_writable(run_dir)
    saved = read_run_config(run_dir)
    if cfg is not None:
        old = saved.flat()
        for key in RESOLVED_KEYS:            # 0 = "sized by the data": the saved config holds the size chosen
            section, name = key.split(".")
            if getattr(getattr(cfg, section), name) == 0:
                setattr(getattr(cfg, section), name, old[key])
        new = cfg.flat()
        changed = sorted(k for k in new if k not in ("name", "description") and new[k] != old[k])
        bad = [k for k in changed if k not in RESUMABLE_CHANGES]
        if old["train.dp_epsilon"] and "train.iterations" in changed:
            raise UserError(f"--resume of a differentially private run cannot change train.iterations "
                            f"({old['train.iterations']} -> {new['train.iterations']}): its noise was chosen for "
                            "that many steps; start a new run with another --out instead")
        if bad:
            diffs = ", ".join(f"{k}: {old[k]!r} -> {new[k]!r}" for k in bad)
            raise UserError(f"--resume with a different config ({diffs}); only {', '.join(sorted(RESUMABLE_CHANGES))} "
                            "may change; start a new run with another --out instead")
        if changed:
            saved = cfg                  # written by the caller once the checkpoint has loaded
    return saved, True


def remove_stale(run_dir: Path) -> None:
    """Remove the temporary files of writes that a kill interrupted (:data:`STALE`). Only with the
    run's lock held: a live run's temporary files are its writes in progress."""
    for pattern in STALE:
        for stale in Path(run_dir).glob(pattern):
            stale.unlink(missing_ok=True)


def write_run_config(cfg: Config, run_dir: Path) -> None:
    """Write the resolved config beside the run (atomically; a failed write leaves nothing behind)."""
    tmp = Path(run_dir) / (CONFIG_NAME + ".tmp")
    try:
        save_config(cfg, tmp)
        os.replace(tmp, Path(run_dir) / CONFIG_NAME)
    except OSError as e:
        tmp.unlink(missing_ok=True)
        raise UserError(f"cannot write '{Path(run_dir) / CONFIG_NAME}' ({e.strerror or e}); free some space or "
                        "choose another --out") from None


LOCK_NAME = ".lock"


def acquire_lock(run_dir: Path) -> None:
    """Take ``run_dir/.lock`` (this process's PID and host) so that two ``train`` processes never
    write one run; a lock whose process is gone (a kill) is stale and taken over."""
    path, me = Path(run_dir) / LOCK_NAME, f"{os.getpid()} {socket.gethostname()}"
    for _ in range(3):
        try:
            fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            try:
                pid_text, _, host = path.read_text().partition(" ")
                pid = int(pid_text)
            except (OSError, ValueError):
                pid, host = -1, socket.gethostname()          # unreadable: treat as stale
            if host != socket.gethostname():
                raise UserError(f"'{run_dir}' is locked by process {pid} on {host}; if nothing trains there any "
                                f"more, delete {path}") from None
            if pid != os.getpid() and pid > 0 and pid_alive(pid):
                raise UserError(f"another wgangp process (PID {pid}) is training in '{run_dir}'; wait for it or "
                                "stop it (Ctrl-C saves a checkpoint), then --resume") from None
            path.unlink(missing_ok=True)                     # stale: its process is gone
            continue
        with os.fdopen(fd, "w") as f:
            f.write(me)
        return
    raise UserError(f"cannot take the lock {path}; remove it if no wgangp process uses '{run_dir}'")


def release_lock(run_dir: Path) -> None:
    """Remove ``run_dir/.lock`` if this process holds it."""
    path = Path(run_dir) / LOCK_NAME
    try:
        if path.read_text() == f"{os.getpid()} {socket.gethostname()}":
            path.unlink()
    except OSError:
        pass
