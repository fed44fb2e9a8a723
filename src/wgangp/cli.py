"""The ``wgangp`` command line: a thin layer over :mod:`wgangp.api`.

    wgangp list
    wgangp train PRESET_OR_CONFIG --out RUN_DIR [--set key=value ...] [--resume] [--dry-run]
    wgangp sample RUN_DIR -n N -o FILE.npy|FILE.csv|GRID.png [--seed S] [--truncation T]
    wgangp augment RUN_DIR --balance|--per-class N -o OUT [--filter CLF.pt] [--truncation T]
    wgangp classifier DATA.npz|FOLDER|SIGNALS --out CLF.pt [--epochs N] [--resolution R] [--length N [--resample]] [--label COL]
    wgangp eval RUN_DIR [-n N] [--json] [--metrics fid,kid,is] [--feature-net PATH] [--truncation T]

User errors print one line ``wgangp: error: ...`` on stderr and exit with status 2.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import sys
from pathlib import Path

from wgangp.errors import UserError, out_of_memory
from wgangp.system import physical_memory


IN_MEMORY_LIMIT = physical_memory() // 2    # more samples than this are not held in memory at once


class _Parser(argparse.ArgumentParser):
    def error(self, message):          # argparse's own usage errors: one line, exit 2
        raise UserError(f"{message} (see 'wgangp {self.prog.split()[-1]} --help')" if " " in self.prog else message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(prog="wgangp", description="Train and evaluate WGAN-GP models.")
    sub = p.add_subparsers(dest="cmd", required=True, parser_class=_Parser)
    ls = sub.add_parser("list", help="list the presets (or, with --metrics, the metrics)")
    ls.add_argument("--metrics", action="store_true", help="the registered metrics: the data kinds each applies to "
                    "and what it needs")
    _train_args(sub)
    _sample_args(sub)
    _augment_args(sub)
    _eval_args(sub)
    _classifier_args(sub)
    _report_args(sub)
    _watch_args(sub)
    _playground_args(sub)
    return p


def _watch_args(sub) -> None:
    w = sub.add_parser("watch", help="serve the live view of a run trained elsewhere (or finished) until Ctrl-C")
    w.add_argument("run_dir")
    w.add_argument("--port", type=int, default=0, help="the port (default 0: any free one, printed)")
    w.add_argument("--host", default="127.0.0.1", help="the interface (default 127.0.0.1: this machine only)")


def _cmd_watch(args) -> int:
    from wgangp.viz.live import serve, until_interrupted

    if not (Path(args.run_dir) / "config.json").is_file():
        raise UserError(f"'{args.run_dir}' is not a run directory (no config.json); pass the --out of a wgangp train")
    server = serve(Path(args.run_dir), None, args.host, args.port)
    return until_interrupted(server.close)


def _playground_args(sub) -> None:
    g = sub.add_parser("playground", help="a page that trains toy GANs with the paper's losses (the real trainer, CPU)")
    g.add_argument("--out", default=None, help="folder for the playground's runs (default: a new temporary one)")
    g.add_argument("--port", type=int, default=0, help="the port (default 0: any free one, printed)")
    g.add_argument("--host", default="127.0.0.1", help="the interface (default 127.0.0.1: this machine only)")


def _cmd_playground(args) -> int:
    import tempfile

    from wgangp.viz.live import serve, until_interrupted
    from wgangp.viz.playground import Playground

    root = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="wgangp-playground-"))
    if root.exists() and any(root.iterdir()):
        raise UserError(f"'{root}' is not empty; the playground writes its runs into a new folder")
    root.mkdir(parents=True, exist_ok=True)
    server = serve(root, None, args.host, args.port, say=lambda m: print(m.replace("live view", "playground"),
                                                                         file=sys.stderr, flush=True))
    server.playground = Playground(root, server)
    print(f"wgangp: the playground's runs go to {root}", file=sys.stderr)
    return until_interrupted(server.playground.stop, server.close)


def _report_args(sub) -> None:
    r = sub.add_parser("report", help="write a run's self-contained HTML report (config, curves, metrics, pictures)")
    r.add_argument("run_dir")
    r.add_argument("-o", "--out", default=None, help="the HTML file (default: RUN/report.html)")
    r.add_argument("--force", action="store_true", help="replace an existing -o file")


def _cmd_report(args) -> int:
    from wgangp.viz.report import write_report

    out = write_report(Path(args.run_dir), args.out, overwrite=args.force or args.out is None)
    print(f"wrote {out} ({out.stat().st_size / 1e6:.1f} MB, self-contained: open it offline)")
    return 0


def _train_args(sub) -> None:
    t = sub.add_parser("train", help="train a preset or config file")
    t.add_argument("preset", nargs="?", help="preset name (wgangp list) or .toml/.json config; optional with --resume")
    t.add_argument("--out", required=True, help="run directory")
    t.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                   help="override a config key, e.g. --set train.iterations=2000 (repeatable)")
    t.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    t.add_argument("--dry-run", action="store_true", help="print the resolved config and exit")
    t.add_argument("--quiet", action="store_true", help="no progress bar")
    t.add_argument("--live", action="store_true", help="serve a live view of the run (a local web page) while it trains")
    t.add_argument("--port", type=int, default=0, help="--live: the port (default 0: any free one, printed)")
    t.add_argument("--host", default="127.0.0.1", help="--live: the interface (default 127.0.0.1: this machine only)")
    t.add_argument("--paused", action="store_true", help="--live: start paused (step or resume from the page)")
    t.add_argument("--replay", default=None, metavar="RUN", help="apply the changes made from RUN's live view at "
                   "their iterations (with RUN's config and seed: the same run again)")


def _sample_args(sub) -> None:
    s = sub.add_parser("sample", help="write samples of a trained run")
    s.add_argument("run_dir")
    s.add_argument("-n", type=int, required=True, help="number of samples")
    s.add_argument("-o", "--output", required=True, help="output .npy/.npz/.csv (points, signals; for tables .csv holds decoded records); .txt (text runs); "
                   ".npy, .npz (uint8 x_train), .png grid or folder/ of PNGs (images)")
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--force", action="store_true", help="replace an existing output file")
    s.add_argument("--checkpoint", default="latest", help="latest (checkpoint.pt), best (best.pt, train.best_metric) "
                   "or a step kept by train.keep_last")
    s.add_argument("--quiet", action="store_true", help="no progress bar")
    s.add_argument("--class", dest="classes", default=None, metavar="K[,K...]|all",
                   help="conditional runs: the class(es) to generate, cycled (default all, balanced; tables: also label values)")
    _truncation_arg(s)


def _truncation_arg(p) -> None:
    p.add_argument("--truncation", type=float, default=None, metavar="T", help="the truncation trick: every noise "
                   "entry drawn from N(0, 1) within [-T, T], T > 0 (more typical samples, less variety; e.g. 1 or 0.5)")


def _augment_args(sub) -> None:
    a = sub.add_parser("augment", help="top up every class of the run's data set with generated samples")
    a.add_argument("run_dir", help="a class-conditional run")
    g = a.add_mutually_exclusive_group(required=True)
    g.add_argument("--balance", action="store_true", help="every class up to the largest one")
    g.add_argument("--per-class", type=int, default=None, help="every class up to N samples")
    a.add_argument("-o", "--output", required=True, help="new .npz (.npz or signal data), folder (image/WAV folders), .csv")
    a.add_argument("--seed", type=int, default=0)
    _truncation_arg(a)
    a.add_argument("--filter", dest="filter_net", default=None, metavar="CLF.pt",
                   help="keep only synthetic samples this classifier ('wgangp classifier', trained on real data) "
                   "puts in their own class, drawing more until the counts are met")
    a.add_argument("--max-draws", type=int, default=20,
                   help="with --filter: give up on a class after drawing this many times its count")


def _eval_args(sub) -> None:
    e = sub.add_parser("eval", help="print a run's metrics, or those of a set of generated images (--real)")
    e.add_argument("run_dir", help="a run directory, or generated images (.npz/.npy, folder, .tar.gz) with --real")
    e.add_argument("--real", default=None, help="real images (.npz/.npy, folder, .tar.gz) to compare a sample set with")
    e.add_argument("-n", type=int, default=None, help="samples to evaluate (default: train.eval_samples)")
    e.add_argument("--json", action="store_true", help="one JSON object on stdout")
    e.add_argument("--checkpoint", default="latest", help="latest, best or a step kept by train.keep_last")
    _truncation_arg(e)
    e.add_argument("--metrics", default=None, help="comma list of metrics besides the kind's own (wgangp list --metrics), "
                   "e.g. fid,kid,is,coverage,w1 for images; conditional runs also class_accuracy,intra_fid,tstr "
                   "(default: train.eval_metrics)")
    e.add_argument("--feature-net", default=None, help="TorchScript feature network for FID/KID (e.g. a pool3 Inception)")
    e.add_argument("--feature-weights", default=None, help="local copy of the standard Inception weights (torch-fidelity)")
    e.add_argument("--n-per-class", type=int, default=1000,
                   help="conditional metrics (class_accuracy, intra_fid, tstr): samples per class")


def _classifier_args(sub) -> None:
    c = sub.add_parser("classifier", help="train the small domain classifier (a feature net, or signals' --filter)")
    c.add_argument("data", help=".npz with x_train, y_train (x_test, y_test for the accuracy), an image folder / .tar.gz "
                   "of class sub-folders (train/, test/ optional), or signals: a 1-D CNN (docs/signals.md)")
    c.add_argument("--resolution", type=int, default=0, help="resize folder images to RxR (as data.resolution)")
    c.add_argument("-o", "--out", required=True, help="output TorchScript file: a --feature-net, or an augment --filter")
    c.add_argument("--epochs", type=int, default=None, help="training epochs (default: 2 for images, 100 for signals)")
    c.add_argument("--seed", type=int, default=0)
    c.add_argument("--force", action="store_true", help="replace an existing --out file")
    c.add_argument("--length", type=int, default=0, help="signals: as the run's data.length (series of unequal lengths)")
    c.add_argument("--resample", action="store_true", help="signals: resample to --length, as data.resample=true")
    c.add_argument("--label", default="", help="signals in a CSV: the label column (first | last | a header name), as data.label")


def _cmd_classifier(args) -> int:
    from wgangp import api

    if args.epochs is not None and args.epochs <= 0:
        raise UserError(f"--epochs must be positive, got {args.epochs}")
    if Path(args.out).exists() and not args.force:
        raise UserError(f"'{args.out}' exists; choose a new --out or add --force to replace it (checked before training)")
    result = api.train_classifier(args.data, args.out, epochs=args.epochs, seed=args.seed, resolution=args.resolution,
                                  replace=args.force, length=args.length, resample=args.resample,
                                  label=args.label)
    acc = result["test_accuracy"]
    print(f"wrote {args.out}: {result['n_classes']} classes, {result['n_train']} {result.get('what', 'training images')}"
          + (f", test accuracy {acc:.2%}" if acc is not None else ""))
    return 0


def _cmd_list(args) -> int:
    if args.metrics:
        from wgangp.domains import domain_for, list_domains
        from wgangp.metrics.registry import describe

        print(*describe({name: domain_for(names[0]).base_metrics for name, names in list_domains().items()}), sep="\n")
        return 0
    from wgangp.config import list_presets

    presets = list_presets()
    width = max(map(len, presets))
    for name, desc in presets.items():
        print(f"{name:<{width}}  {desc}")
    return 0


def _cmd_train(args) -> int:
    from wgangp import api
    from wgangp.config import load_config

    if args.preset is None and not args.resume:
        raise UserError("train needs a preset or config file (see 'wgangp list'), or --resume")
    if args.preset is None and args.overrides:       # --resume --set train.iterations=N: the saved config, changed
        cfg = api.resume_config(args.out, args.overrides)
    else:
        cfg = load_config(args.preset, args.overrides) if args.preset is not None else None
    if args.dry_run:
        if cfg is None:
            from wgangp.train.rundir import read_run_config

            cfg = read_run_config(args.out)
        from wgangp.domains import domain_for

        for note in domain_for(cfg.data.name).resolve(cfg):      # sizes given as 0: what the run would choose
            print(f"wgangp: note: {note}", file=sys.stderr)
        print(json.dumps(cfg.to_dict(), indent=2))
        return 0
    rank = int(os.environ.get("RANK", "0")) if int(os.environ.get("WORLD_SIZE", "1")) > 1 else 0
    live = {"host": args.host, "port": args.port, "paused": args.paused} if args.live else None
    if not args.live and (args.paused or args.port or args.host != "127.0.0.1"):
        raise UserError("--port, --host and --paused belong to --live; add --live")
    replay = None
    if args.replay:
        from wgangp.train.controls import read_events

        replay = read_events(args.replay)
        if not replay:
            raise UserError(f"'{args.replay}' has no control events in its metrics.jsonl (nothing to replay)")
    run = api.train(cfg, args.out, resume=args.resume, progress=not args.quiet and rank == 0, live=live, replay=replay)
    if rank != 0:                     # torchrun: rank 0 reports for the job
        return 0 if run.completed else 130
    if not run.completed:
        print(f"wgangp: stopped at iteration {run.step}; checkpoint saved in {args.out}; "
              f"continue with: wgangp train --out {args.out} --resume", file=sys.stderr)
        return 130
    result = json.loads((run.run_dir / "eval.json").read_text())
    print(f"done: {run.step} iterations in {result['train_seconds']:.1f} s; {', '.join(run.domain.summary(result))}; "
          f"run in {args.out}")
    return 0


def _classes(run, text: str | None) -> list[int] | None:
    """``--class``: class numbers, or class names where the data names them (tables: label values)."""
    if text in (None, "all"):
        return None
    names = run.domain.class_names(run.domain_state) if run.n_classes else []
    try:
        return [names.index(c.strip()) if c.strip() in names else int(c) for c in text.split(",") if c.strip()]
    except ValueError:
        hint = f" or label values ({', '.join(names)})" if names else ""
        raise UserError(f"--class takes class numbers like 3 or 0,2,5{hint} (or 'all'); got {text!r}") from None


def _cmd_sample(args) -> int:
    from wgangp import api

    if args.n <= 0:
        raise UserError(f"-n must be a positive number of samples, got {args.n}")
    out = str(args.output)
    if Path(out).is_file() and not args.force:
        raise UserError(f"output '{out}' exists; choose a new name or add --force to replace it")
    run = api.load_run(args.run_dir, checkpoint=args.checkpoint, truncation=args.truncation)
    classes = _classes(run, args.classes)
    shape = run.domain.sample_shape(run.data_shape, run.domain_state)     # as written (e.g. spectrograms as series)
    nbytes = args.n * math.prod(shape) * 4
    writer = run.domain.writers().get("/" if out.endswith(("/", os.sep)) or not Path(out).suffix else Path(out).suffix)
    if writer is not None:                            # a format of the data kind's own (text lines, table records)
        if nbytes > IN_MEMORY_LIMIT:
            raise UserError(f"-n {args.n} samples would take about {nbytes / 2**30:.1f} GiB in memory before "
                            f"{Path(out).suffix or 'a folder'} is written; write at most "
                            f"{IN_MEMORY_LIMIT // (nbytes // args.n):,} at a time (--seed for more), or to .npy, "
                            "which streams to disk")
        with out_of_memory("sampling", f"write fewer samples (-n {args.n // 2})"):
            print(writer(run, args.n, args.output, args.seed, classes))
        return 0
    labels = run.class_labels(args.n, classes) if (run.n_classes or classes) else None
    labels = run.domain.label_values(labels, run.domain_state) if labels is not None else None
    batches = (run.to_data_units(x) for x in run.iter_samples(args.n, seed=args.seed, classes=classes))
    with out_of_memory("sampling", "the generator's batch does not fit; free memory or use a smaller model"):
        path = api.stream_samples(batches, args.n, shape, args.output, labels=labels,
                                  progress=nbytes > 64 * 2**20 and not args.quiet)
    print(f"wrote {args.n} samples of shape {shape} to {path}")
    return 0


def _cmd_augment(args) -> int:
    from wgangp import api
    from wgangp.augment import augment

    result = augment(api.load_run(args.run_dir, truncation=args.truncation), args.output, per_class=args.per_class, seed=args.seed,
                     filter_net=args.filter_net, max_draws=args.max_draws)
    print(f"wrote {args.output}: real per class {result['real']}, synthetic added {result['synthetic']}",
          *[f"share of generated samples the filter accepted, per class: {a}" for a in [result.get("accepted")] if a],
          *[f"note: {note}" for note in result.get("notes", [])], sep="\n")      # notes: what else was written
    return 0


def _cmd_eval(args) -> int:
    from wgangp import api

    if args.real is not None and args.truncation is not None:
        raise UserError("--truncation is for sampling a run; with --real the images given are scored as they are")
    if args.real is not None:
        result = api.evaluate_images(args.run_dir, args.real, metrics=args.metrics or "fid", n=args.n,
                                     feature_net=args.feature_net, feature_weights=args.feature_weights)
    else:
        run = api.load_run(args.run_dir, checkpoint=args.checkpoint, truncation=args.truncation)
        result = api.evaluate(run, n=args.n, metrics=args.metrics, feature_net=args.feature_net,
                              feature_weights=args.feature_weights, n_per_class=args.n_per_class)
    if args.json:
        print(json.dumps(result))
    else:
        for k, v in result.items():
            print(f"{k:>15}: {v:.4f}" if isinstance(v, float) else f"{k:>15}: {v}")
    return 0


class Terminated(KeyboardInterrupt):
    """SIGTERM outside training (while data load, say): unwinds like Ctrl-C, so temporary files go."""


def _on_sigterm(signum, frame):
    raise Terminated()


def main(argv: list[str] | None = None) -> int:
    """The command line; returns the exit status (SIGTERM raises :class:`Terminated` while it runs)."""
    import signal
    import threading

    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _on_sigterm) if main_thread else None   # the trainer has its own
    try:                                                                              # while it trains
        return _run(argv)
    finally:
        if main_thread:
            signal.signal(signal.SIGTERM, previous)


def _run(argv: list[str] | None) -> int:
    try:
        args = _parser().parse_args(argv)
        commands = {"list": _cmd_list, "train": _cmd_train, "sample": _cmd_sample, "eval": _cmd_eval,
                    "classifier": _cmd_classifier, "augment": _cmd_augment, "report": _cmd_report,
                    "watch": _cmd_watch, "playground": _cmd_playground}
        return commands[args.cmd](args)
    except UserError as e:
        print(f"wgangp: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:                 # wgangp list | head: the reader left; say nothing more
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except OSError as e:                    # a file the library did not expect to fail (a full disk, a lost mount)
        where = f" '{e.filename}'" if e.filename else ""
        print(f"wgangp: error: {e.strerror or e}{where}; files half-written were removed, checkpoints already "
              "written are kept", file=sys.stderr)
        return 2
    except KeyboardInterrupt as e:
        term = isinstance(e, Terminated)
        print(f"wgangp: {'stopped by SIGTERM' if term else 'interrupted (Ctrl-C)'}; files half-written were removed, "
              "checkpoints and results already written are kept", file=sys.stderr)
        return 143 if term else 130


if __name__ == "__main__":
    sys.exit(main())
