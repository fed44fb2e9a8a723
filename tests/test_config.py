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


@pytest.mark.parametrize("preset, over, fragment", [
    ("toy-8gaussians", {"data.seq_len": 64}, "data.seq_len=64 applies to text data (data.name=text or python-docs or "
                                             "billion-word), not to data.name=8gaussians: drop it"),
    ("text-python-docs-fast", {"data.resolution": 32}, "data.resolution=32 applies to mnist or signals data"),
    ("mnist-dcgan-fast", {"data.label": "y"}, "data.label=y applies to table or signals data (data.name=table or "
                                              "breast-cancer or signals or sines)"),
    ("signals-sines-cond", {"data.holdout": 0.3}, "data.holdout=0.3 applies to table data"),
    ("table-breast-cancer", {"data.dequantize": True}, "data.dequantize=True applies to mnist data"),
    ("toy-8gaussians", {"data.download": True}, "data.download=True applies to mnist or text data"),
])
def test_a_data_key_of_another_kind_is_refused_not_ignored(preset, over, fragment):
    with pytest.raises(UserError) as e:
        load_config(preset, over)
    assert fragment in str(e.value) and "\n" not in str(e.value)


def test_every_kind_keeps_the_data_keys_it_reads():
    """The keys a kind shares with another (a signal CSV's label, a spectrogram's side, an .npz key,
    a download) stay valid for each of them."""
    for preset, over in (("signals-sines-cond", {"data.label": "first", "data.key": "x", "data.name": "signals",
                                                 "data.path": "s.csv"}),
                         ("table-breast-cancer", {"data.label": "target", "data.split_seed": 3}),
                         ("mnist-dcgan-fast", {"data.key": "x", "data.download": True, "data.max_images": 10}),
                         ("text-python-docs-fast", {"data.max_lines": 10, "data.text_filter": "prose"})):
        cfg = load_config(preset, over)
        assert all(getattr(cfg.data, k.split(".")[1]) == v for k, v in over.items())
