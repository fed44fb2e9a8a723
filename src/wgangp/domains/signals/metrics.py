"""The signal metrics that train networks: TimeGAN's discriminative and predictive scores
(:mod:`wgangp.metrics.signal_utility`). They take seconds to minutes, so no evaluation reports them
unless asked by name: ``wgangp eval RUN --metrics discriminative,predictive`` or
``train.eval_metrics``. Both compare the run's generated series with its real training series, each
channel divided by the run's scale (the generator's own units: the data's largest magnitude is 1).
"""
from __future__ import annotations

from wgangp.metrics.registry import register_metric


def _real_and_generated(ctx):
    """``(real training series (at most n, C, L), generated series (n, C, L))``, scaled, on the CPU;
    the generated ones shared with the other signal metrics of this evaluation, the real ones
    without repeats (a seeded subset of ``n`` where there are more)."""
    import torch

    from wgangp.domains.signals import _series, own_length   # imported here: signals/__init__.py imports this module

    real = ctx.run.reference_source().series
    if len(real) > ctx.n:
        real = real[torch.randperm(len(real), generator=torch.Generator().manual_seed(ctx.seed))[:ctx.n]]
    return own_length(real, ctx.run.domain_state).cpu(), _series(ctx)[1].detach().cpu()   # both at the file's length


@register_metric("discriminative", domains=("signals",), best={"discriminative_score": "min"},
                 description="TimeGAN's discriminative score: |accuracy - 0.5| of a 1-D CNN telling real from generated "
                             "series on a held-out 20% (0: indistinguishable, 0.5: always told apart); trains a network")
def _discriminative(ctx) -> dict:
    from wgangp.metrics.signal_utility import discriminative_score

    real, fake = _real_and_generated(ctx)
    return {"discriminative_score": discriminative_score(real, fake, seed=ctx.seed)}


@register_metric("predictive", domains=("signals",), best={"predictive_score": "min"},
                 description="TimeGAN's predictive score: one-step-ahead MAE on held-out real series of a GRU trained on "
                             "generated series (predictive_score_real: the same GRU trained on real ones); trains networks")
def _predictive(ctx) -> dict:
    from wgangp.metrics.signal_predictive import predictive_score

    real, fake = _real_and_generated(ctx)
    return predictive_score(real, fake, seed=ctx.seed)


@register_metric("classifier_score", domains=("signals",), needs=("classifier",), best={"is_mean": "max"},
                 description="WaveGAN's 'Inception score' of generated series: exp(E KL(p(y|x) || p(y))) from a signal "
                             "classifier ('wgangp classifier' on the real data: --feature-net CLF.pt), in [1, K]")
def _classifier_score(ctx) -> dict:
    """The Inception-score formula (:func:`wgangp.metrics.inception_score.inception_score`, 10 splits)
    over the logits the classifier gives the generated series in the data's units."""
    from pathlib import Path

    import torch

    from wgangp.domains.signals import _series, _unscale
    from wgangp.domains.signals.augment import _load_script, load_filter, written_resampled
    from wgangp.errors import UserError
    from wgangp.metrics.inception_score import inception_score

    path = ctx.feature_net or ctx.run.config.train.feature_net
    if not path:
        raise UserError("metric 'classifier_score' needs --feature-net CLF.pt, a signal classifier made with "
                        "'wgangp classifier' on the run's real data")
    fake = _unscale(_series(ctx)[1].detach().cpu(), ctx.run.domain_state)
    shape, resampled = tuple(fake.shape[1:]), written_resampled(ctx.run)
    if ctx.run.n_classes:                   # the classifier must know the run's classes
        net = load_filter(path, ctx.run.n_classes, shape, resampled)
    else:
        net = path.eval() if isinstance(path, torch.nn.Module) else _load_script(Path(path), shape, resampled).eval()
    with torch.no_grad():
        logits = torch.cat([net(fake[i:i + 500]) for i in range(0, len(fake), 500)])
    return inception_score(logits, splits=min(10, len(fake)))
