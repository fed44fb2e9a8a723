"""How much of the classes survives a spectrogram run's representation itself? (issue #17)

The run's real training series are turned into its spectrograms exactly as training saw them
(SpecGAN's per-bin normalisation, clipped at 3 standard deviations) and back exactly as generated
spectrograms are (de-normalised, Griffin-Lim); the ``class_agreement`` metric's forest, trained on
the real series, then judges the decoded ones, per class and in all. That agreement bounds what any
generator of this representation can reach. Printed as JSON, with the share of clipped values.
``--no-clip``: the same without the clip (the normalised values kept whole), to see what the clip costs.

    python experiments/representation_ceiling.py runs/audio40/specgan128-seed0 [--no-clip]
"""
from __future__ import annotations

import argparse
import json
import sys


def ceiling(run, seed: int = 0, clip: bool = True) -> dict:
    """``class_agreement`` of the run's real series through its representation (``all`` and per class
    name), the forest's agreement on the real series themselves, and the share of clipped values;
    ``clip=False``: the spectrograms decoded from normalised values that were not clipped."""
    import torch

    from wgangp.data import spectrogram as spec
    from wgangp.domains.signals import as_series, own_length
    from wgangp.errors import UserError
    from wgangp.metrics.signals import class_agreement

    state = run.domain_state or {}
    if not state.get("spectrogram"):
        raise UserError(f"'{run.run_dir}' is no spectrogram run (data.representation=spectrogram): its network "
                        "makes the series themselves")
    if not run.n_classes:
        raise UserError(f"'{run.run_dir}' is unconditional: there are no classes to judge")
    source = run.reference_source()
    real, labels = own_length(source.series, state), source.labels
    points = source.points
    if not clip:                                     # normalise() without its clamp: de-normalising is exact
        logmag = spec.log_magnitude(source.series, source.stft)
        points = (logmag - source.mean[..., None]) / (spec.CLIP_STD * source.std[..., None])
    decoded = as_series(points, state)
    names = run.domain.class_names(state) or [str(k) for k in range(run.n_classes)]
    per_class = {names[k]: class_agreement(real, labels, decoded[labels == k], labels[labels == k], seed=seed)
                 for k in range(run.n_classes)}
    return {"through_representation": class_agreement(real, labels, decoded, labels, seed=seed),
            "per_class": per_class, "real_itself": class_agreement(real, labels, real, labels, seed=seed),
            "clipped_share": float((source.points.abs() >= 1).to(torch.float32).mean())}


def main(argv: list[str] | None = None) -> int:
    import wgangp
    from wgangp.errors import UserError

    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("run_dir")
    p.add_argument("--seed", type=int, default=0, help="the forest's seed")
    p.add_argument("--no-clip", action="store_true", help="decode normalised values that were not clipped")
    args = p.parse_args(argv)
    try:
        print(json.dumps(ceiling(wgangp.load_run(args.run_dir), args.seed, clip=not args.no_clip)))
    except UserError as e:
        print(f"representation_ceiling: error: {e}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
