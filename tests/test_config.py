"""Typed config: presets load, overrides are type-checked, unknown keys are named."""
import pytest

import wgangp
from wgangp.config import load_config
from wgangp.errors import UserError


@pytest.mark.parametrize("name", list(wgangp.list_presets()))
def test_every_preset_resolves_and_has_a_description(name):
    needs_path = name.startswith("imagefolder") or name in ("text-billion-word", "table", "signals-wavegan", "signals-specgan")
    if needs_path:
        with pytest.raises(UserError, match="needs (data|--set data.path)"):
            load_config(name)
    cfg = load_config(name, ["data.path=somewhere"] if needs_path else [])
    assert cfg.name == name
    assert wgangp.list_presets()[name]


def test_official_toy_preset_has_the_paper_settings():
    cfg = load_config("toy-25gaussians")
    assert (cfg.model.hidden, cfg.model.depth, cfg.model.noise_dim) == (512, 3, 2)
    assert (cfg.data.batch_size, cfg.train.n_critic, cfg.loss.gp_weight) == (256, 5, 0.1)
    assert (cfg.optim.lr, cfg.optim.betas, cfg.train.iterations) == (1e-4, (0.5, 0.9), 100_000)


def test_overrides_are_typed():
    cfg = load_config("toy-8gaussians", ["train.iterations=2_000", "optim.betas=0,0.99", "seed=7",
                                         "device=cpu", "optim.lr=3e-4"])
    assert cfg.train.iterations == 2000 and isinstance(cfg.train.iterations, int)
    assert cfg.optim.betas == (0.0, 0.99)
    assert (cfg.seed, cfg.device, cfg.optim.lr) == (7, "cpu", 3e-4)


@pytest.mark.parametrize("override, fragment", [
    ("train.iteration=5", "unknown config key 'train.iteration'"),
    ("nope=1", "unknown config key 'nope'"),
    ("train.iterations=many", "expects int"),
    ("train.iterations=1.5", "expects int"),
    ("optim.betas=0.5", "needs 2 comma-separated values"),
    ("loss.name=hinge", "must be one of"),
    ("train.n_critic=0", "must be > 0"),
    ("train", "expects key=value"),
    ("train=3", "is a section"),
])
def test_bad_overrides_name_the_problem(override, fragment):
    with pytest.raises(UserError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        load_config("toy-8gaussians", [override])


def test_unknown_preset_lists_the_presets():
    with pytest.raises(UserError, match="unknown preset 'toy-9gaussians'.*toy-8gaussians"):
        load_config("toy-9gaussians")


def test_config_file_with_bad_key(tmp_path):
    path = tmp_path / "my.toml"
    path.write_text('[train]\nitrations = 5\n')
    with pytest.raises(UserError, match="my.toml.*unknown config key 'train.itrations'"):
        load_config(path)
