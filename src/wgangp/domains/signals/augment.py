"""Augmentation of signal files with a conditional run (``wgangp augment`` for ``data.name=signals``).

The run's training series are read again exactly as training read them (``data.path``, ``data.key``,
``data.label``, ``data.length``: the same crop or zero-padding; where the padding, or ``data.resample``,
only stretched series of one length for the network, the file's rows are read as they are and the
generated series are cropped, or resampled, back to that length),
every class is topped up with generated series in the data's own units, and the result goes to a new
path: real rows first, then the synthetic ones. ``OUT``'s suffix picks the format: ``.npz`` (any input), ``.csv``/``.tsv``/``.txt``
(one-channel series), a folder name (WAV input); the input's own format is the one to choose:

* ``.npz`` / ``.npy`` / aeon ``.ts`` (no writer here) in -> ``.npz`` out: ``x_train`` (or
  ``data.key``) ``(N, C, L)`` float32, ``y_train`` (or the ``y_...`` beside it) as the file's own
  label values (UCR's ``1..K``; text or negative labels: the class numbers and a ``class_names``
  array), ``synthetic`` (bool per row); an input .npz's other arrays (``x_test``...) copied unchanged.
* CSV / TSV / TXT rows in (``data.label`` first, last or a header name) -> the same layout: its header
  row and label column; the separator by ``OUT``'s suffix (.csv comma, .tsv tab, .txt the input's).
  UCR files (and anything written to a ``NAME_TRAIN.tsv``) -> label first, tab-separated, no header,
  as the archive; other input -> a header ``label, t0, t1, ...`` (read it with ``data.label=first``).
  Beside it ``OUT.synthetic.json``: the classes, the counts and ``synthetic_rows``, one 0/1 per data
  row of ``OUT`` (a sidecar, so that ``OUT`` reads back with the run's ``data.label`` and
  ``data.length``). A text row holds one channel: multichannel series are refused (name an .npz).
* a WAV folder with class sub-folders in -> a new folder: the real files copied unchanged into their
  class folders, the synthetic ones added as ``synthetic_NNNNNN.wav`` at the rate the run was trained
  at (kept in the checkpoint; older ones: read from the files) in the files' sample format, and
  ``augment.json`` with the counts per class.

``filter_net``: a TorchScript classifier (path) or module mapping float32 series ``(N, C, L)`` in the
data's own units to logits ``(N, K)``; a synthetic series is kept only when its argmax is the class it
was generated for, and more are drawn (at most ``max_draws`` times the count) until the count is met.
Everything is generated and checked before anything is written; nothing is ever overwritten.
"""
from __future__ import annotations

import json
import os
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from wgangp.data.series_io import TEXT_SUFFIXES, atomic_file, refuse_existing, temporary_name
from wgangp.data.signals import read_signal_set
from wgangp.domains.base import plan
from wgangp.errors import UserError

MASK_SUFFIX = ".synthetic.json"          # beside a text output: its per-row synthetic mask
META = "wgangp.json"                     # what a classifier file says of itself (written by wgangp classifier)


def augment_signals(run, out: Path, per_class: int | None, seed: int, filter_net, max_draws: int) -> dict:
    """Write the run's signal set topped up per class to ``out`` (the formats: the module docstring);
    returns ``{"real": [...], "synthetic": [...]}`` per class, ``"accepted"`` (share kept per class)
    with a filter, and ``"notes"`` (what was written besides ``out``)."""
    data = run.config.data
    if not data.path:
        raise UserError(f"data.name={data.name} is built in and has no file to augment; augment writes the input's "
                        "own format: train on a signal file (data.name=signals, data.path=...) to augment it")
    if max_draws < 1:
        raise UserError(f"max_draws must be at least 1, got {max_draws}")
    src = Path(data.path).resolve()
    if out.resolve() == src or (src.is_dir() and src in out.resolve().parents):
        raise UserError(f"output '{out}' is (inside) the input data '{data.path}'; write it elsewhere")
    own = (run.domain_state or {}).get("own_length")     # padded or resampled for training: the rows as the
    real = read_signal_set(replace(data, length=0) if own else data)     # file holds them (all of length own)
    kind = output_kind(real.fmt, real.x.shape[1], out)
    names = _check_real(run, real)
    net = (load_filter(filter_net, run.n_classes, real.x.shape[1:], resampled=written_resampled(run))
           if filter_net is not None else None)
    counts = np.bincount(real.labels, minlength=run.n_classes).tolist()
    new = plan(counts, per_class)
    x_new, accepted = [], []
    for k, n in enumerate(new):
        x, share = _draw(run, k, n, seed, net, max_draws, names[k])
        x_new.append(x)
        accepted.append(share)
    y_new = np.repeat(np.arange(run.n_classes), new)
    report = {"real": counts, "synthetic": new}
    if net is not None:
        report["accepted"] = [None if a is None else round(a, 4) for a in accepted]
    batch = (np.concatenate([real.x, *x_new]), np.concatenate([real.labels, y_new]), len(real.x))
    notes = _WRITERS[kind](run, real, batch, names, out, report)
    return {**report, **({"notes": notes} if notes else {})}


def output_kind(fmt: str, channels: int, out: Path) -> str:
    """What ``out`` becomes for input of ``fmt`` (npz | npy | csv | ucr | ts | wav): ``npz`` for an
    ``.npz`` (always possible), ``text`` for .csv/.tsv/.txt (one channel), ``wav`` for a folder name
    (WAV input: it has a sample rate); a one-line UserError otherwise, naming what fits."""
    suffix = out.suffix.lower()
    if suffix == ".npz":
        return "npz"
    if suffix in TEXT_SUFFIXES:
        if channels > 1:
            raise UserError(f"output '{out}': a text row holds one channel and these series have {channels}; name "
                            "the output OUT.npz")
        refuse_existing(out.with_name(out.name + MASK_SUFFIX))
        return "text"
    if not suffix and fmt == "wav":
        return "wav"
    own = {"wav": "a new folder (a name without a suffix)", "csv": "a .csv/.tsv/.txt file",
           "ucr": "a NAME_TRAIN.tsv file"}.get(fmt)
    raise UserError(f"output '{out}': this {fmt} input is augmented into {own + ', ' if own else ''}an .npz"
                    f"{'' if channels > 1 else ' or a .csv/.tsv/.txt file'}; name the output so")


def _check_real(run, real) -> list[str]:
    """The class names ``[K]`` of the data read again, checked against the run (labels, classes, shape)."""
    if real.labels is None:
        raise UserError(f"'{run.config.data.path}' has no labels now; augment needs the labelled set the run "
                        "was trained on")
    known = run.domain.class_names(run.domain_state)
    names = real.class_names or [str(k) for k in range(int(real.labels.max()) + 1)]
    if len(names) != run.n_classes or (known and known != list(names)):
        raise UserError(f"'{run.config.data.path}' now holds classes {', '.join(names[:6])}; the run was trained "
                        f"on {', '.join(known[:6]) if known else run.n_classes}: augment the data it was trained on")
    shape = _shape(run)
    if shape != real.x.shape[1:]:
        raise UserError(f"the run makes series of shape {shape} (channels, samples); '{run.config.data.path}' read "
                        f"with data.length={run.config.data.length} holds {real.x.shape[1:]}")
    return list(names)


def written_resampled(run) -> bool:
    """Whether the series the run writes (samples, augmented sets) are resampled ones: trained with
    ``data.resample`` on series of unequal lengths (of one length, they are resampled back to it)."""
    state = run.domain_state or {}
    return bool(state.get("resampled")) and not state.get("own_length")


def load_filter(filter_net, n_classes: int, shape: tuple[int, int], resampled: bool = False) -> torch.nn.Module:
    """The filter classifier (a TorchScript path, or a module), checked once on zeros ``(2, C, L)``:
    it must take series of ``shape`` (resampled ones where ``resampled``) and give ``(2, n_classes)``
    logits."""
    net = _load_script(Path(filter_net), shape, resampled) if isinstance(filter_net, (str, Path)) else filter_net
    if not isinstance(net, torch.nn.Module):
        raise UserError(f"the filter must be a TorchScript file or a torch module, not {type(net).__name__}")
    net.eval()
    try:
        with torch.no_grad():
            logits = net(torch.zeros((2, *shape)))
    except Exception as e:
        last = [line for line in str(e).strip().splitlines() if line.strip()][-1:] or [""]
        raise UserError(f"the filter classifier does not take this run's series of shape (N, {shape[0]}, {shape[1]}) "
                        f"({type(e).__name__}: {last[0].strip()[:160]}); give one trained on the same data and "
                        "data.length") from None
    if not isinstance(logits, torch.Tensor) or tuple(logits.shape) != (2, n_classes):
        got = tuple(logits.shape) if isinstance(logits, torch.Tensor) else type(logits).__name__
        raise UserError(f"the filter classifier gives {got} for 2 series; this run has {n_classes} classes, so it "
                        f"needs logits (2, {n_classes}): give one trained on the same classes")
    return net


def _load_script(path: Path, shape: tuple[int, int], resampled: bool = False) -> torch.nn.Module:
    """A TorchScript classifier from ``path``; where it carries ``wgangp.json`` (``wgangp classifier``
    writes the channels and length it was trained on, and whether its series were resampled), those
    must be ``shape`` and ``resampled``: a CNN that averages over time takes any length, but one
    trained on other series (or on another time scale) judges these poorly."""
    if not path.is_file():
        raise UserError(f"filter classifier '{path}' not found")
    extra = {META: ""}
    try:
        net = torch.jit.load(str(path), map_location="cpu", _extra_files=extra)
        meta = json.loads(extra[META] or "{}")
    except Exception as e:
        raise UserError(f"'{path}' is not a TorchScript classifier ({type(e).__name__}); give one that maps series "
                        "(N, C, L) to class logits (N, K)") from None
    trained = (meta.get("channels", shape[0]), meta.get("length", shape[1])) if isinstance(meta, dict) else shape
    if tuple(trained) != tuple(shape):
        raise UserError(f"the filter classifier '{path.name}' was trained on series of {trained[0]} channel(s) and "
                        f"{trained[1]} samples; this run's have {shape[0]} and {shape[1]}: train it on the run's data "
                        "with the same data.length")
    if isinstance(meta, dict) and "length" in meta and bool(meta.get("resampled")) != resampled:
        how = ("resampled" if resampled else "cropped or padded", "resampled" if meta.get("resampled") else "cropped or padded")
        raise UserError(f"the filter classifier '{path.name}' was trained on {how[1]} series; this run's are {how[0]} "
                        f"to {shape[1]} samples: train it with{'' if resampled else 'out'} --resample")
    return net


def _draw(run, k: int, n: int, seed: int, net, max_draws: int, name: str) -> tuple[np.ndarray, float | None]:
    """``(n, C, L)`` float32 series of class ``k`` in the data's units (those ``net`` puts in class ``k``),
    and the share of drawn series the filter accepted (None without a filter, or for ``n = 0``)."""
    def units(m: int, rnd: int) -> torch.Tensor:
        return run.to_data_units(run.sample(m, seed=seed + k + rnd * run.n_classes, classes=k)).float()

    if net is None or n == 0:
        return (units(n, 0) if n else torch.zeros(0, *_shape(run))).numpy(), None
    kept, n_kept, n_good, drawn, rnd = [], 0, 0, 0, 0
    while n_kept < n:
        if drawn >= max_draws * n:
            raise UserError(f"class {k} ({name}): the filter classifier accepted {n_good} of {drawn} generated series "
                            f"({n_good / drawn:.1%}); the generator does not make this class reliably yet (train "
                            "longer, raise --max-draws, or augment without the filter)")
        m = min(max(2 * (n - n_kept), 64), max_draws * n - drawn)
        x = units(m, rnd)
        with torch.no_grad():
            good = x[net(x).argmax(dim=1) == k]
        n_good += len(good)
        kept.append(good[:n - n_kept])
        n_kept += len(kept[-1])
        drawn, rnd = drawn + m, rnd + 1
    return torch.cat(kept).numpy(), n_good / drawn


def _shape(run) -> tuple[int, ...]:
    """``(C, L)`` of one generated series in the data's units."""
    return tuple(run.domain.sample_shape(run.data_shape, run.domain_state))


# ----- writers: (run, real, (x (N, C, L), labels (N,), n_real), names, out, report) -> notes -----------------
def _label_values(run, labels: np.ndarray, names: list[str]) -> tuple[np.ndarray, np.ndarray | None]:
    """``(y (N,) int64, class_names or None)``: the file's own integer labels (UCR's ``1..K``, through
    the domain's ``label_values``), or the class numbers and the names beside them where those are
    text or negative (an .npz's labels are integers >= 0)."""
    state = {**(run.domain_state or {}), "class_names": names}        # older checkpoints: the names read again
    values = np.asarray(run.domain.label_values(torch.from_numpy(labels), state), np.int64)
    if values.min(initial=0) < 0 or not all(n.lstrip("-").isdigit() for n in names):
        return labels.astype(np.int64), np.array(names)
    return values, None


def _text_frame(real, data, out: Path, rows: np.ndarray, cells: list[str]):
    """``(frame, separator, header?)`` of the rows ``(N, L)`` and their label cells, laid out as the
    input: CSV/TSV/TXT with its header (its names where the width is unchanged, else ``t0, t1, ...``)
    and label column; UCR (and any input into a ``NAME_TRAIN.tsv/.txt``) label first and no header;
    other input a header ``label, t0, t1, ...``. Separator: .csv comma, .tsv tab, .txt the input's
    (tab for other input)."""
    import pandas as pd

    from wgangp.data.series_io import _UCR
    from wgangp.data.series_text import _header, _separator       # the reader's own detection of the layout

    length, suffix = rows.shape[1], out.suffix.lower()
    header, col, sep = None, 0, {".csv": ",", ".tsv": "\t"}.get(suffix, "\t")
    if real.fmt == "csv":
        sep_in = _separator(Path(data.path))
        header = _header(Path(data.path), sep_in)[0]
        width = len(header) if header else length + 1
        col = 0 if data.label == "first" else width - 1 if data.label == "last" else header.index(data.label)
        sep = {".csv": ",", ".tsv": "\t"}.get(suffix, " " if sep_in == r"\s+" else sep_in)
    elif real.fmt != "ucr" and not (_UCR.fullmatch(out.stem) and suffix != ".csv"):
        header = ["label", *(f"t{i}" for i in range(length))]
    kept = header is not None and len(header) == length + 1
    value_names = [h for i, h in enumerate(header) if i != col] if kept else [f"t{i}" for i in range(length)]
    frame = pd.DataFrame(rows, columns=value_names)
    at = length if real.fmt == "csv" and data.label == "last" else min(col, length)
    frame.insert(at, header[col] if header else "label", cells, allow_duplicates=True)
    return frame, sep, header is not None


def _write_npz(run, real, batch, names, out: Path, report: dict) -> list[str]:
    x, labels, n_real = batch
    arrays, key, label_key = {}, "x_train", "y_train"
    if real.fmt == "npz":
        import re

        key = run.config.data.key or "x_train"
        with np.load(run.config.data.path, allow_pickle=False) as z:
            arrays = {k: z[k] for k in z.files}
        beside = re.sub(r"x(_[^_]+)$", r"y\1", key)                   # as series_io.read_arrays pairs them
        label_key = next((k for k in (beside, "y_train") if k != key and k in arrays), "y_train")
    prior = arrays.get("synthetic")
    mask = np.zeros(len(x), bool)
    mask[n_real:] = True
    if prior is not None and prior.shape == (n_real,):              # an augmented set augmented again
        mask[:n_real] = prior.astype(bool)
    values, class_names = _label_values(run, labels, names)
    arrays.update({key: x.astype(np.float32), label_key: values, "synthetic": mask})
    if class_names is not None:
        arrays["class_names"] = class_names

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as f:
            np.savez(f, **arrays)
    atomic_file(out, write)
    return (["a .ts input is written as an .npz (x_train, y_train, synthetic)"] if real.fmt == "ts" else [])


def _write_text(run, real, batch, names, out: Path, report: dict) -> list[str]:
    from wgangp.data.series_io import _UCR

    x, labels, n_real = batch
    frame, sep, header = _text_frame(real, run.config.data, out, x[:, 0, :], [names[k] for k in labels])
    mask = out.with_name(out.name + MASK_SUFFIX)
    side = {"file": out.name, "classes": names, **report,
            "synthetic_rows": [0] * n_real + [1] * (len(x) - n_real)}
    refuse_existing(mask)
    atomic_file(mask, lambda tmp: tmp.write_text(json.dumps(side) + "\n"))
    try:
        atomic_file(out, lambda tmp: frame.to_csv(tmp, sep=sep, header=header, index=False))
    except BaseException:
        mask.unlink(missing_ok=True)
        raise
    notes = [f"which rows are synthetic: {mask.name} (synthetic_rows, one 0/1 per row)"]
    if not header and not (_UCR.fullmatch(out.stem) and out.suffix.lower() != ".csv"):
        notes.append(f"read '{out.name}' with data.label=first (named NAME_TRAIN.tsv it is read as UCR)")
    elif header and real.fmt != "csv":
        notes.append(f"read '{out.name}' with data.label=first (its first column, 'label')")
    return notes


def _write_wav(run, real, batch, names, out: Path, report: dict) -> list[str]:
    from wgangp.data.series_wav import _files, _soundfile

    sf = _soundfile()
    x, labels, n_real = batch
    root = Path(run.config.data.path)
    files = _files(root)[0]
    rate = (run.domain_state or {}).get("sample_rate") or real.sample_rate
    if real.sample_rate != rate:
        raise UserError(f"the WAV files of '{root}' are at {real.sample_rate} Hz now, the run was trained at {rate} "
                        "Hz: augment the data it was trained on")
    subtype = sf.info(str(files[0])).subtype
    refuse_existing(out)
    tmp = temporary_name(out)
    try:
        tmp.mkdir()
        for f in files:
            (tmp / f.parent.name).mkdir(exist_ok=True)
            shutil.copy2(f, tmp / f.parent.name / f.name)
        for i, (s, k) in enumerate(zip(x[n_real:], labels[n_real:])):
            dest = tmp / names[k] / f"synthetic_{i:06d}.wav"
            if dest.exists():
                raise UserError(f"'{root / names[k] / dest.name}' exists in the input: rename it, then augment")
            sf.write(dest, np.clip(s.T, -1.0, 1.0), int(rate), subtype=subtype)
        summary = {"classes": names, **report, "sample_rate": int(rate)}
        (tmp / "augment.json").write_text(json.dumps(summary, indent=2) + "\n")
        if out.exists():                                  # appeared meanwhile: still never replaced
            raise UserError(f"'{out}' exists; choose another output name (nothing is overwritten)")
        os.rename(tmp, out)
    except (OSError, RuntimeError) as e:                 # libsndfile's errors are RuntimeErrors
        raise UserError(f"cannot write '{out}' ({getattr(e, 'strerror', None) or e})") from None
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return []


_WRITERS = {"npz": _write_npz, "text": _write_text, "wav": _write_wav}
