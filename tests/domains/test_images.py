"""Image data and the MNIST DCGAN: loading, layouts, errors, shapes, one tiny end-to-end run."""
import numpy as np
import pytest
import torch

from wgangp.cli import main
from wgangp.config import DataConfig, load_config
from wgangp.domains import build_source
from wgangp.errors import UserError
from wgangp.nets import build_networks


def _digits(n=64, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(n, 28, 28), dtype=np.uint8)


@pytest.mark.parametrize("layout", ["nhw-uint8", "nhwc-unit-float", "nchw-signed-float"])
def test_image_arrays_load_in_any_layout_as_the_same_pixels(tmp_path, layout):
    x = _digits()
    arr = {"nhw-uint8": x, "nhwc-unit-float": x[..., None] / 255.0,
           "nchw-signed-float": x[:, None] / 127.5 - 1.0}[layout]
    np.savez(tmp_path / "d.npz", x_train=arr, y_train=np.zeros(len(x)))
    src = build_source(DataConfig(name="images", path=str(tmp_path / "d.npz"), batch_size=64), seed=0)
    assert src.shape == (1, 28, 28)
    batch = src.sample_batch()
    assert batch.dtype == torch.float32 and batch.min() >= -1 and batch.max() <= 1
    expected = torch.from_numpy(x[:, None]).float() / 127.5 - 1
    torch.testing.assert_close(batch.sort(0).values, expected.sort(0).values, atol=1 / 127.5, rtol=0)


@pytest.mark.parametrize("arr, key, fragment", [
    (np.zeros((10, 5)), "", "say which are the images"),
    (np.zeros((10, 28, 28)), "images", "has no array 'images'"),
    (np.full((10, 28, 28), 300.0), "x_train", "range over"),
    (np.zeros((10, 5, 28, 28)), "x_train", "expected (N, H, W)"),
])
def test_bad_image_arrays_name_the_problem(tmp_path, arr, key, fragment):
    np.savez(tmp_path / "d.npz", **({"x_train": arr} if key == "x_train" else {"a": arr}))
    with pytest.raises(UserError, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        build_source(DataConfig(name="images", path=str(tmp_path / "d.npz"), key=key, batch_size=2), seed=0)


def test_mnist_offline_without_files_says_where_to_put_them(tmp_path):
    with pytest.raises(UserError, match="mnist not found under.*data.download"):
        build_source(DataConfig(name="mnist", path=str(tmp_path / "nothing"), batch_size=2), seed=0)


def test_dcgan_mnist_shapes_and_wrong_data_shape():
    cfg = load_config("mnist-dcgan", {"model.dim": 8})
    g, d = build_networks(cfg.model, (1, 28, 28))
    x = g(torch.randn(3, 128))
    assert x.shape == (3, 1, 28, 28) and x.abs().max() <= 1
    assert d(x).shape == (3, 1)
    with pytest.raises(UserError, match="builds 1x28x28 images; this data set has samples of shape 3x32x32"):
        build_networks(cfg.model, (3, 32, 32))


def test_tiny_mnist_run_end_to_end(tmp_path, capsys):
    np.savez(tmp_path / "mnist.npz", x_train=_digits(100))
    out = tmp_path / "r"
    assert main(["train", "mnist-dcgan", "--out", str(out), "--quiet", "--set", f"data.path={tmp_path / 'mnist.npz'}",
                 "--set", "model.dim=4", "--set", "train.iterations=3", "--set", "train.eval_samples=50",
                 "--set", "train.sample_every=2", "--set", "device=cpu"]) == 0
    assert (out / "samples.png").is_file()
    assert sorted(p.name for p in (out / "samples").iterdir()) == ["step-0000002.png"]
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    events = EventAccumulator(str(out / "tb"), size_guidance={"images": 0})
    events.Reload()
    assert [e.step for e in events.Images("samples")] == [2]
    assert main(["sample", str(out), "-n", "16", "-o", str(tmp_path / "grid.png")]) == 0
    assert (tmp_path / "grid.png").read_bytes()[:4] == b"\x89PNG"
    assert main(["sample", str(out), "-n", "5", "-o", str(tmp_path / "x.npy")]) == 0
    x = np.load(tmp_path / "x.npy")
    assert x.shape == (5, 1, 28, 28)
    assert main(["sample", str(out), "-n", "5", "-o", str(tmp_path / "x.npz")]) == 0
    with np.load(tmp_path / "x.npz") as z:                              # uint8 NHWC, loadable as data.path
        assert z["x_train"].dtype == np.uint8 and z["x_train"].shape == (5, 28, 28, 1)
        np.testing.assert_allclose(z["x_train"][..., 0] / 127.5 - 1, x[:, 0], atol=1 / 127.5)
    assert main(["sample", str(out), "-n", "4", "-o", str(tmp_path / "pngs") + "/"]) == 0
    assert sorted(p.name for p in (tmp_path / "pngs").iterdir()) == [f"{i:06d}.png" for i in range(4)]
    assert main(["sample", str(out), "-n", "4", "-o", str(tmp_path / "pngs") + "/"]) == 2        # never overwrites
    assert "not empty" in capsys.readouterr().err


def test_cifar_resnet_shapes_and_critic_has_no_batch_coupling():
    cfg = load_config("mnist-dcgan", {"model.arch": "resnet-cifar", "model.dim": 8})
    g, d = build_networks(cfg.model, (3, 32, 32))
    x = g(torch.randn(4, 128))
    assert x.shape == (4, 3, 32, 32) and x.abs().max() <= 1
    # Per-sample critic: scoring a sample alone or inside a batch gives the same value.
    torch.testing.assert_close(d(x)[1:2], d(x[1:2]), rtol=1e-5, atol=1e-6)
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in d.modules())
    with pytest.raises(UserError, match="builds 3x32x32 images"):
        build_networks(cfg.model, (1, 28, 28))


def test_eval_fid_kid_with_a_torchscript_feature_net_and_cached_real_stats(tmp_path, capsys, monkeypatch):
    import json

    monkeypatch.setenv("WGANGP_CACHE", str(tmp_path / "cache"))
    net = torch.jit.script(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(),
                                               torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten()))
    net.save(str(tmp_path / "feat.pt"))
    np.savez(tmp_path / "mnist.npz", x_train=_digits(100))
    out = tmp_path / "r"
    assert main(["train", "mnist-dcgan", "--out", str(out), "--quiet", "--set", f"data.path={tmp_path / 'mnist.npz'}",
                 "--set", "model.dim=4", "--set", "train.iterations=2", "--set", "train.eval_samples=60",
                 "--set", "device=cpu"]) == 0
    capsys.readouterr()
    argv = ["eval", str(out), "--json", "--metrics", "fid,kid", "--feature-net", str(tmp_path / "feat.pt"), "-n", "60"]
    assert main(argv) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["fid"] > 0 and "kid_mean" in result and "kid_std" in result
    assert main(["eval", str(out), "--json", "--metrics", "fid", "--feature-net", str(tmp_path / "feat.pt"),
                 "-n", "60"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["fid"] == pytest.approx(result["fid"], rel=1e-9)        # same samples, cached real stats
    assert len(list((tmp_path / "cache" / "fid-stats").iterdir())) == 1
    assert main(["eval", str(out), "--metrics", "fid", "--feature-net", str(tmp_path / "missing.pt")]) == 2
    assert "feature net file not found" in capsys.readouterr().err


@pytest.mark.parametrize("arch", ["resnet-64", "dcgan-64", "resnet101-64"])
def test_64x64_networks_shapes_and_per_sample_critic(arch):
    cfg = load_config("imagefolder-64-resnet", {"data.path": "x", "model.arch": arch, "model.dim": 4})
    torch.manual_seed(0)
    g, d = build_networks(cfg.model, (3, 64, 64))
    x = g(torch.randn(3, 128))
    assert x.shape == (3, 3, 64, 64) and x.abs().max() <= 1
    torch.testing.assert_close(d(x)[2:3], d(x[2:3]), rtol=1e-4, atol=1e-5)   # LayerNorm, not BatchNorm
    assert not any(isinstance(m, torch.nn.modules.batchnorm._BatchNorm) for m in d.modules())
    with pytest.raises(UserError, match="builds 3x64x64 images.*data.resolution"):
        build_networks(cfg.model, (3, 32, 32))


def test_resnet101_has_101_layers_and_official_block_layout():
    from wgangp.nets.resnet101 import Bottleneck, SubpixelShortcut

    cfg = load_config("imagefolder-64-resnet101", {"data.path": "x", "model.dim": 8})
    g, d = build_networks(cfg.model, (3, 64, 64))
    for net in (g, d):
        shortcut_ids = {id(m) for b in net.modules() if isinstance(b, Bottleneck) for m in b.shortcut.modules()}
        layers = [m for m in net.modules() if isinstance(m, (torch.nn.Conv2d, torch.nn.ConvTranspose2d, torch.nn.Linear))
                  and id(m) not in shortcut_ids]
        assert len(layers) == 101
        assert sum(isinstance(b, Bottleneck) for b in net.modules()) == 33
    ups = [b for b in g.modules() if isinstance(b, Bottleneck) and isinstance(b.shortcut, SubpixelShortcut)]
    assert len(ups) == 4 and all(isinstance(b.branch[3], torch.nn.ConvTranspose2d) for b in ups)
    downs = [b for b in d.modules() if isinstance(b, Bottleneck) and b.branch[3].stride == (2, 2)]
    assert len(downs) == 4
    # a plain block with its final norm zeroed is exactly the identity (0.3 * 0 residual)
    block = g.blocks[0]
    torch.nn.init.zeros_(block.branch[-1].weight)
    x = torch.randn(2, 64, 4, 4)
    torch.testing.assert_close(block(x), x)
    with pytest.raises(UserError, match="divisible by 4"):
        build_networks(load_config("imagefolder-64-resnet101", {"data.path": "x", "model.dim": 6}).model, (3, 64, 64))


def test_channel_layer_norm_normalises_each_sample_over_c_h_w():
    from wgangp.nets.resnet64 import ChannelLayerNorm

    ln = ChannelLayerNorm(3)
    with torch.no_grad():
        ln.weight.copy_(torch.tensor([1.0, 2.0, 3.0]).view(3, 1, 1))
        ln.bias.copy_(torch.tensor([0.0, -1.0, 1.0]).view(3, 1, 1))
    x = torch.randn(2, 3, 5, 5) * 4 + 7
    flat = x.flatten(1)
    norm = ((flat - flat.mean(1, keepdim=True)) / torch.sqrt(flat.var(1, unbiased=False, keepdim=True) + 1e-5))
    expected = norm.view_as(x) * ln.weight + ln.bias
    torch.testing.assert_close(ln(x), expected)


def test_dequantized_pixels_fill_each_8_bit_bin(tmp_path):
    x = _digits(64)
    np.savez(tmp_path / "d.npz", x_train=x)
    src = build_source(DataConfig(name="images", path=str(tmp_path / "d.npz"), batch_size=64, dequantize=True), seed=0)
    b = src.sample_batch()
    base = torch.from_numpy(x[:, None]).float() / 128 - 1
    lo = base.flatten(1).sort(0).values
    got = b.flatten(1).sort(0).values
    # every value lies in its bin [x/128 - 1, x/128 - 1 + 1/128) and is not on the grid
    assert ((got - lo) >= 0).all() and ((got - lo) < 1 / 128).all()
    assert (b * 128 != torch.round(b * 128)).float().mean() > 0.99


def test_fid_is_logged_during_training(tmp_path, monkeypatch):
    import wgangp
    from wgangp.train.logging import read_metrics

    monkeypatch.setenv("WGANGP_CACHE", str(tmp_path / "cache"))
    net = torch.jit.script(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.AdaptiveAvgPool2d(2),
                                               torch.nn.Flatten()))
    net.save(str(tmp_path / "feat.pt"))
    np.savez(tmp_path / "mnist.npz", x_train=_digits(100))
    wgangp.train("mnist-dcgan", tmp_path / "r", {"data.path": str(tmp_path / "mnist.npz"), "model.dim": 4,
                                                 "train.iterations": 4, "train.eval_every": 2, "train.eval_samples": 40,
                                                 "train.eval_metrics": "fid", "train.feature_net": str(tmp_path / "feat.pt"),
                                                 "device": "cpu"}, progress=False)
    evals = [r for r in read_metrics(tmp_path / "r") if r["kind"] == "eval"]
    assert [r["step"] for r in evals] == [2, 4] and evals[0]["fid"] != evals[1]["fid"]   # logged as training moves
    final = wgangp.evaluate(wgangp.load_run(tmp_path / "r"))
    assert final["fid"] == pytest.approx(evals[1]["fid"], rel=1e-9)                 # the step-4 row is the run's FID


def test_evaluation_during_training_leaves_a_batchnorm_generator_in_train_mode(tmp_path):
    from wgangp import api
    from wgangp.run import build_trainer, run_of

    rgb = np.random.default_rng(0).integers(0, 256, size=(64, 32, 32, 3), dtype=np.uint8)
    np.savez(tmp_path / "c.npz", x_train=rgb)
    cfg = load_config("cifar10-dcgan", {"data.name": "images", "data.path": str(tmp_path / "c.npz"), "model.dim": 4,
                                        "data.batch_size": 16, "train.eval_samples": 20, "device": "cpu"})
    tr = build_trainer(cfg)
    tr.iteration()
    api.evaluate(run_of(tr, None, False))      # what train() does every train.eval_every
    assert tr.G.training and any(isinstance(m, torch.nn.BatchNorm2d) for m in tr.G.modules())


def test_grayscale_data_for_an_rgb_preset_is_one_clear_error(tmp_path, capsys):
    np.savez(tmp_path / "gray.npz", x_train=np.zeros((64, 32, 32), np.uint8))
    out = tmp_path / "r"
    assert main(["train", "cifar10-dcgan", "--out", str(out), "--quiet", "--set", f"data.path={tmp_path / 'gray.npz'}",
                 "--set", "device=cpu"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "builds 3x32x32 images" in err and "1x32x32" in err
    assert not (out / "config.json").exists()


def test_eval_of_sample_sets_without_a_run(tmp_path, capsys, monkeypatch):
    import json

    from PIL import Image

    from wgangp.metrics.features import as_feature_net
    from wgangp.metrics.images import compute_image_metrics

    monkeypatch.setenv("WGANGP_CACHE", str(tmp_path / "cache"))
    net = torch.jit.script(torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3), torch.nn.ReLU(),
                                               torch.nn.AdaptiveAvgPool2d(2), torch.nn.Flatten()))
    net.save(str(tmp_path / "feat.pt"))
    a, b = _digits(80, seed=1), (_digits(80, seed=2) // 2)
    np.savez(tmp_path / "a.npz", x_train=a)
    np.savez(tmp_path / "b.npz", x_train=b)
    (tmp_path / "a_png").mkdir()
    for i, img in enumerate(a):
        Image.fromarray(img).save(tmp_path / "a_png" / f"{i}.png")
    base = ["eval", "--json", "--metrics", "fid,kid", "--feature-net", str(tmp_path / "feat.pt")]
    assert main([*base, str(tmp_path / "a_png"), "--real", str(tmp_path / "a.npz")]) == 0
    same = json.loads(capsys.readouterr().out)
    assert abs(same["fid"]) < 1e-6 and same["n_fake"] == same["n_real"] == 80    # a folder and an npz of one set
    assert main([*base, str(tmp_path / "a.npz"), "--real", str(tmp_path / "b.npz")]) == 0
    diff = json.loads(capsys.readouterr().out)
    expected = compute_image_metrics(torch.from_numpy(a[:, None]).float() / 127.5 - 1,
                                     torch.from_numpy(b[:, None]).float() / 127.5 - 1, as_feature_net(str(tmp_path / "feat.pt")),
                                     metrics=("fid",))
    assert diff["fid"] == pytest.approx(expected["fid"], rel=1e-6) and diff["fid"] > 1e-3
    np.savez(tmp_path / "rgb.npz", x_train=np.zeros((10, 28, 28, 3), np.uint8))
    assert main([*base, str(tmp_path / "rgb.npz"), "--real", str(tmp_path / "a.npz")]) == 2
    assert "compare sets of one size and channel count" in capsys.readouterr().err


def test_channels_last_training_runs_and_keeps_the_networks_nhwc(tmp_path):
    from wgangp.run import build_trainer

    np.savez(tmp_path / "d.npz", x_train=_digits(40))
    cfg = load_config("mnist-dcgan", {"data.path": str(tmp_path / "d.npz"), "model.dim": 4, "device": "cpu",
                                      "train.channels_last": True, "data.batch_size": 8})
    tr = build_trainer(cfg)
    tr.iteration()
    conv = tr.D.net[2].weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and torch.isfinite(conv).all()
