"""How much of the classes survives a spectrogram run's representation itself? (issue #17)

The run's real training series are turned into its spectrograms exactly as training saw them
(SpecGAN's per-bin normalisation, clipped at ``data.spectrogram_clip`` standard deviations) and back exactly as generated
spectrograms are (de-normalised, Griffin-Lim); the ``class_agreement`` metric's forest, trained on
the real series, then judges the decoded ones, per class and in all. That agreement bounds what any
generator of this representation can reach. Printed as JSON, with the share of clipped values.
``--no-clip``: the same without the clip (the normalised values kept whole), to see what the clip costs;
``--clip-std K``: with another clip (what a run with ``data.spectrogram_clip=K`` could reach);
``--cnn``: the second judge of ``experiments/audio_classes.py`` too (the in-project 1-D CNN trained
on the real series, as ``judges`` trains it): its agreement on the decoded real series and, per
class, on ``N`` generated series, with the RMS level of each set (real, decoded, generated), and on the
same generated series each scaled to the RMS level of its class's real series (``generated_level_matched``:
what the CNN says once the level is taken away);
``--levels [N]``: where generated spectrograms differ in level from real ones, per class on ``N``
generated and ``N`` real ones: the mean normalised value in the bins that are quiet (the class's real
mean below its median) and loud (above), and the mean energy ``|STFT|^2`` in all bins and in the quiet ones.

    python experiments/representation_ceiling.py runs/audio40/specgan128-seed0 [--no-clip | --clip-std K]
"""
from __future__ import annotations

import argparse
import json
import sys

import torch


def decode_real(run, clip: bool = True, clip_std: float | None = None) -> dict:
    """The run's real series (``real``, at the file's length; ``labels``) and the same series turned
    into its spectrograms and back (``decoded``), as training and sampling do; ``clip=False``: decoded
    from normalised values that were not clipped; ``clip_std``: normalised (and decoded) with this clip
    instead of the run's ``data.spectrogram_clip``. Also ``clip_std`` (the one used) and
    ``clipped_share`` (of normalised values at the clip)."""
    import torch

    from wgangp.data import spectrogram as spec
    from wgangp.domains.signals import own_length
    from wgangp.domains.signals.transforms import stft_of
    from wgangp.errors import UserError

    state = run.domain_state or {}
    if not state.get("spectrogram"):
        raise UserError(f"'{run.run_dir}' is no spectrogram run (data.representation=spectrogram): its network "
                        "makes the series themselves")
    if not run.n_classes:
        raise UserError(f"'{run.run_dir}' is unconditional: there are no classes to judge")
    source = run.reference_source()
    p, mean, std, run_clip = stft_of(state["spectrogram"])
    k = run_clip if clip_std is None else clip_std
    unclamped = (spec.log_magnitude(source.series, p) - mean[..., None]) / (k * std[..., None])
    points = unclamped.clamp(-1.0, 1.0) if clip else unclamped      # unclamped: de-normalising is exact
    return {"real": own_length(source.series, state), "labels": source.labels, "clip_std": k,
            "decoded": own_length(spec.to_waveform(points, p, mean, std, clip=k), state),
            "clipped_share": float((unclamped.abs() >= 1).to(torch.float32).mean())}


def ceiling(run, through: dict, seed: int = 0) -> dict:
    """``class_agreement`` of the real series of :func:`decode_real` ``through`` the representation
    (``all`` and per class name), the forest's agreement on the real series themselves, the clip and
    the share of clipped values."""
    from wgangp.metrics.signals import class_agreement

    real, labels, decoded = through["real"], through["labels"], through["decoded"]
    names = run.domain.class_names(run.domain_state) or [str(c) for c in range(run.n_classes)]
    per_class = {names[c]: class_agreement(real, labels, decoded[labels == c], labels[labels == c], seed=seed)
                 for c in range(run.n_classes)}
    return {"clip_std": through["clip_std"], "through_representation": class_agreement(real, labels, decoded, labels,
                                                                                        seed=seed),
            "per_class": per_class, "real_itself": class_agreement(real, labels, real, labels, seed=seed),
            "clipped_share": through["clipped_share"]}


def cnn_judge(run, through: dict, n: int = 600, seed: int = 0) -> dict:
    """The 1-D CNN judge (``fit_cnn`` on the run's real series, seed ``seed``) on the decoded real
    series of :func:`decode_real` ``through`` and on ``n`` class-balanced generated series, per class;
    RMS levels."""
    import numpy as np

    from wgangp.domains.signals import as_series
    from wgangp.metrics.series_classifier import fit_cnn, predict

    state = run.domain_state
    real, labels, decoded = through["real"], through["labels"].numpy(), through["decoded"]
    wanted = run.class_labels(n)
    fake = as_series(run.sample(n, seed=seed, classes=wanted.tolist()), state)
    cnn = fit_cnn(real, labels, seed=seed)
    matched = level_matched(fake, wanted, real, through["labels"])
    wanted = wanted.numpy()
    said_real, said_fake, said_matched = predict(cnn, decoded), predict(cnn, fake), predict(cnn, matched)
    names = run.domain.class_names(state) or [str(c) for c in range(run.n_classes)]
    rms = {name: float(x.pow(2).mean().sqrt()) for name, x in (("real", real), ("decoded", decoded), ("generated", fake))}
    return {"decoded_real": float(np.mean(said_real == labels)), "generated": float(np.mean(said_fake == wanted)),
            "generated_level_matched": float(np.mean(said_matched == wanted)),
            "per_class": {names[c]: {"decoded_real": float(np.mean(said_real[labels == c] == c)),
                                     "generated": float(np.mean(said_fake[wanted == c] == c)),
                                     "generated_said": np.bincount(said_fake[wanted == c], minlength=run.n_classes).tolist(),
                                     "generated_level_matched": float(np.mean(said_matched[wanted == c] == c))}
                          for c in range(run.n_classes)}, "rms": rms}


def level_matched(fake: torch.Tensor, wanted: torch.Tensor, real: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Each generated series scaled to the RMS level of the real series of its class (the mean over them of
    each one's RMS): the same waveform shape, the real level, so a judge's answer on them is level-free."""
    rms = lambda x: x.pow(2).mean(dim=(1, 2)).sqrt()                                           # noqa: E731
    target = torch.stack([rms(real[labels == c]).mean() for c in range(int(labels.max()) + 1)])
    return fake * (target[wanted] / rms(fake).clamp_min(1e-12))[:, None, None]


def levels(run, n: int = 100, seed: int = 0) -> dict:
    """Per class: mean normalised value of ``n`` real and ``n`` generated spectrograms in the class's quiet
    and loud bins (its real mean below / above its median), and mean energy in all bins and in the quiet ones."""
    from wgangp.data import spectrogram as spec
    from wgangp.domains.signals.transforms import stft_of

    state = run.domain_state
    p, mean, std, k = stft_of(state["spectrogram"])
    source = run.reference_source()
    normalised = spec.normalise(spec.log_magnitude(source.series, p), mean, std, k)
    names = run.domain.class_names(state) or [str(c) for c in range(run.n_classes)]
    energy = lambda z, m: (z * k * std[..., None] + mean[..., None]).exp().pow(2)[:, m].mean().item()  # noqa: E731
    out = {}
    for c in range(run.n_classes):
        real = normalised[source.labels == c][:n]
        fake = run.sample(len(real), seed=seed, classes=[c] * len(real)).cpu()
        quiet = real.mean(dim=0) < real.mean(dim=0).median()
        everywhere = torch.ones_like(quiet)
        out[names[c]] = {"n": len(real), **{f"{name}_{where}": round(float(z[:, m].mean()), 4) for name, z in
                                            (("real", real), ("generated", fake))
                                            for where, m in (("quiet", quiet), ("loud", ~quiet))},
                         **{f"energy_{name}_{where}": round(energy(z, m), 4) for name, z in
                            (("real", real), ("generated", fake)) for where, m in (("all", everywhere), ("quiet", quiet))}}
    return out


def main(argv: list[str] | None = None) -> int:
    import wgangp
    from wgangp.errors import UserError

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir")
    p.add_argument("--seed", type=int, default=0, help="the forest's seed")
    p.add_argument("--no-clip", action="store_true", help="decode normalised values that were not clipped")
    p.add_argument("--clip-std", type=float, metavar="K", help="normalise with this clip instead of the run's "
                   "data.spectrogram_clip")
    p.add_argument("--cnn", type=int, nargs="?", const=600, metavar="N", help="the CNN judge too, on N generated "
                   "series (default 600; minutes at 16,384 samples)")
    p.add_argument("--levels", type=int, nargs="?", const=100, metavar="N", help="levels of N generated and N real "
                   "spectrograms per class in their quiet and loud bins (default 100)")
    args = p.parse_args(argv)
    if args.clip_std is not None and not args.clip_std > 0:
        p.error(f"--clip-std must be > 0, got {args.clip_std:g}")
    try:
        run = wgangp.load_run(args.run_dir)
        through = decode_real(run, clip=not args.no_clip, clip_std=args.clip_std)
        out = ceiling(run, through, args.seed)
        if args.cnn:
            out["cnn"] = cnn_judge(run, through, args.cnn, args.seed)
        if args.levels:
            out["levels"] = levels(run, args.levels, args.seed)
        print(json.dumps(out))
    except UserError as e:
        print(f"representation_ceiling: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
