"""``train.init_from``: start a new run from a trained run's generator and critic weights.

Fine-tuning a GAN trained on more data to a small set is the field's usual start for scarce data
(StyleGAN2-ADA's ``--resume``); ``train.freeze_critic=N`` keeps the critic's first N layers as loaded
(FreezeD, Mo et al. 2020: :func:`freeze_critic`). Only the weights travel: the new run starts at
iteration 0 with fresh optimisers, its own learning-rate schedule, data, seed and EMA (a copy of the
loaded generator). The networks must be the
same: every parameter and buffer present in both runs, with the same shape, and the data kind must say
their inputs and outputs mean the same (:meth:`wgangp.domains.base.Domain.transfer_mismatch`: e.g. the
same character map), or the run is refused with one line saying what differs.
"""
from __future__ import annotations

from pathlib import Path

import torch

from wgangp.errors import UserError
from wgangp.train.checkpoint import BEST, NAME, load_checkpoint


def source_path(init_from: str) -> Path:
    """The checkpoint file ``train.init_from`` names: a run directory's ``checkpoint.pt``, or a file."""
    path = Path(init_from).expanduser()
    if path.is_dir():
        if not (path / NAME).is_file():
            kept = " (it has a best.pt: name that file)" if (path / BEST).is_file() else ""
            raise UserError(f"train.init_from: '{path}' holds no {NAME}{kept}; name a trained run's directory")
        return path / NAME
    if not path.is_file():
        raise UserError(f"train.init_from: '{path}' does not exist; name a trained run's directory or checkpoint")
    return path


def _mismatches(mine: dict, theirs: dict) -> list[str]:
    """What keeps ``theirs`` (a state dict) from loading into a module whose state dict is ``mine``."""
    out = [f"'{k}' is missing there" for k in mine if k not in theirs]
    out += [f"'{k}' is not in this run's network" for k in theirs if k not in mine]
    out += [f"'{k}' is {tuple(theirs[k].shape)} there, {tuple(v.shape)} here" for k, v in mine.items()
            if k in theirs and tuple(theirs[k].shape) != tuple(v.shape)]
    return out


def load_initial_weights(G: torch.nn.Module, D: torch.nn.Module, init_from: str, domain, domain_state: dict | None,
                         conditional: bool) -> str:
    """Load the generator and critic of the checkpoint ``init_from`` names into ``G`` and ``D`` (in
    place, before the trainer copies or wraps them) after checking that ``domain`` (the run's data kind,
    whose state is ``domain_state``) reads them the same; returns a note saying where they came from.

    The raw generator is loaded, not its EMA copy: fine-tuning continues the trained weights.
    """
    path = source_path(init_from)
    try:
        state = load_checkpoint(path, map_location="cpu")
    except UserError as e:
        raise UserError(f"train.init_from: {str(e).split(';')[0]}; name a trained run's directory or checkpoint") from None
    domain.check_checkpoint(state, f"train.init_from: '{path}'")
    why = domain.transfer_mismatch(state.get(domain.state_key), domain_state, conditional)
    if why:
        raise UserError(f"train.init_from: '{path}' cannot start this run: {why}")
    for name, net, key in (("generator", G, "generator"), ("critic", D, "critic")):
        theirs = state.get(key)
        if not isinstance(theirs, dict):
            raise UserError(f"train.init_from: '{path}' holds no {name} weights")
        bad = _mismatches(net.state_dict(), theirs)
        if bad:
            raise UserError(f"train.init_from: the {name} of '{path}' does not fit this run's {name} ("
                            f"{'; '.join(bad[:2])}{f'; {len(bad) - 2} more' if len(bad) > 2 else ''}): start from "
                            "a run with the same model.* settings, data shape and class count")
        net.load_state_dict(theirs)
    return f"train.init_from: generator and critic start from '{path}' (its iteration {state.get('step', '?')})"


_WEIGHT_LAYERS = (torch.nn.modules.conv._ConvNd, torch.nn.Linear, torch.nn.Embedding)


def critic_layers(D: torch.nn.Module) -> list[tuple[str, list[torch.nn.Parameter]]]:
    """The critic's layers from its input on, in the order it registers them, each ``(name, parameters)``:
    the modules under one numbered entry (``blocks.0``, a residual block) are one layer, a conditional
    critic's output (:class:`~wgangp.nets.conditional.ClassHead`: the Wasserstein and class outputs) is
    one layer, and a numbered module that is not a convolution, linear map or embedding (a norm,
    ``net.3``) belongs to the layer before it."""
    from wgangp.nets.conditional import ClassHead

    heads = {name for name, m in D.named_modules() if isinstance(m, ClassHead)}
    layers: list[tuple[str, list]] = []
    for name, module in D.named_modules():
        params = list(module.parameters(recurse=False))
        if not params:
            continue
        parts = name.split(".")
        key = ".".join(parts[:next((i + 1 for i, s in enumerate(parts) if s.isdigit()), len(parts))])
        key = name.rpartition(".")[0] if name.rpartition(".")[0] in heads else key
        norm = key == name and not isinstance(module, _WEIGHT_LAYERS)
        if layers and (key == layers[-1][0] or norm):
            layers[-1][1].extend(params)
        else:
            layers.append((key, params))
    return layers


def freeze_critic(D: torch.nn.Module, n: int) -> tuple[list[torch.nn.Parameter], list[str]]:
    """FreezeD: the critic's first ``n`` layers (:func:`critic_layers`) leave the critic's optimiser (and
    ``requires_grad``); returns the parameters left to train and the frozen layers' names."""
    if n <= 0:
        return list(D.parameters()), []
    layers = critic_layers(D)
    if n >= len(layers):
        raise UserError(f"train.freeze_critic={n}: this critic has {len(layers)} layers ({', '.join(k for k, _ in layers)}); "
                        "freeze fewer so that at least its last one trains")
    for _, params in layers[:n]:
        for p in params:
            p.requires_grad_(False)
    frozen = {id(p) for _, params in layers[:n] for p in params}
    return [p for p in D.parameters() if id(p) not in frozen], [k for k, _ in layers[:n]]
