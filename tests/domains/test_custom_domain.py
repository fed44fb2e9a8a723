"""The domain boundary: a new kind of data, defined and registered in this file alone, trains,
resumes, samples, evaluates and augments through the public API and the command line, with no
change to any file of the package. If the core branched on the kind anywhere, this kind would
fall through it."""
import csv
import json
import math

import pytest
import torch

import wgangp
from wgangp.cli import main
from wgangp.data.base import PointSource
from wgangp.domains import Domain, plan, register_domain
from wgangp.errors import UserError
from wgangp.metrics.registry import register_metric

RADIUS = 3.0


class Circle(Domain):
    """Points on a circle of radius 3, two classes (upper and lower half); the network sees them at
    radius 1 and the domain scales samples back (kept in the checkpoint)."""
    name, data_names, state_key = "circle", ("circle",), "circle_state"
    base_metrics = ("radius_error",)

    def validate(self, cfg):
        if cfg.data.path:
            raise UserError("data.name=circle is built in and takes no data.path")

    def build_source(self, data_cfg, seed, conditional):
        angle = 2 * math.pi * torch.rand(512, generator=torch.Generator().manual_seed(7))
        points = torch.stack([angle.cos(), angle.sin()], dim=1)
        return PointSource(data_cfg.batch_size, seed, points=points, labels=(points[:, 1] > 0).long())

    def state(self, source):
        return {"radius": RADIUS}

    def to_data_units(self, x, state):
        return x * state["radius"]

    def writers(self):
        def write(run, n, path, seed, classes):
            x = run.to_data_units(run.sample(n, seed=seed, classes=classes))
            with open(path, "w", newline="") as f:
                csv.writer(f).writerows([("x", "y"), *x.tolist()])
            return f"wrote {n} circle points to {path}"
        return {".csv": write}

    def augment(self, run, out, per_class, seed, filter_net, max_draws):
        source = run.reference_source()
        counts = torch.bincount(source.labels, minlength=2).tolist()
        extra = plan(counts, per_class)
        rows = [(*p, int(y), 0) for p, y in zip((source.points * RADIUS).tolist(), source.labels.tolist())]
        for k, m in enumerate(extra):
            rows += [(*p, k, 1) for p in run.to_data_units(run.sample(m, seed=seed + k, classes=k)).tolist()]
        with open(out, "w", newline="") as f:
            csv.writer(f).writerows([("x", "y", "label", "synthetic"), *rows])
        return {"real": counts, "synthetic": extra}

    def summary(self, m):
        return [f"radius error {m['radius_error']:.3f}"]


@register_metric("radius_error", domains=("circle",), description="mean | |x| - 3 | of the samples")
def _radius_error(ctx):
    x = ctx.run.to_data_units(ctx.samples())
    return {"radius_error": float((x.norm(dim=1) - RADIUS).abs().mean())}


register_domain(Circle())
OVER = {"data.name": "circle", "model.hidden": 32, "model.depth": 2, "model.conditional": True, "data.batch_size": 64,
        "train.iterations": 40, "train.log_every": 10, "train.ckpt_every": 10, "train.eval_samples": 256,
        "optim.lr": 1e-3, "device": "cpu"}


def test_a_domain_defined_in_a_test_trains_resumes_samples_evaluates_and_augments(tmp_path, capsys):
    out = tmp_path / "run"
    stopped = wgangp.train("toy-8gaussians", out, OVER, progress=False, stop_after=20)
    assert not stopped.completed and stopped.step == 20
    assert main(["train", "--out", str(out), "--resume", "--quiet"]) == 0
    assert "radius error" in capsys.readouterr().out
    whole = wgangp.train("toy-8gaussians", tmp_path / "whole", OVER, progress=False)
    resumed = wgangp.load_run(out)
    assert resumed.domain_state == {"radius": RADIUS} and resumed.step == 40
    for a, b in zip(resumed.generator.parameters(), whole.generator.parameters()):
        assert torch.equal(a, b)                                # resumed bit for bit through the custom kind
    assert main(["sample", str(out), "-n", "50", "--class", "1", "-o", str(tmp_path / "s.csv")]) == 0
    rows = list(csv.reader((tmp_path / "s.csv").open()))
    assert rows[0] == ["x", "y"] and len(rows) == 51
    written = torch.tensor([[float(v) for v in r] for r in rows[1:]])
    torch.testing.assert_close(written, resumed.sample(50, seed=0, classes=1) * RADIUS)   # in the data's units
    capsys.readouterr()
    assert main(["eval", str(out), "--json"]) == 0
    m = json.loads(capsys.readouterr().out)
    assert set(m) == {"step", "radius_error"} and m["radius_error"] == pytest.approx(wgangp.evaluate(resumed)["radius_error"])
    assert main(["augment", str(out), "--per-class", "300", "-o", str(tmp_path / "aug.csv")]) == 0
    aug = list(csv.reader((tmp_path / "aug.csv").open()))[1:]
    for k in (0, 1):
        assert sum(1 for r in aug if r[2] == str(k)) == 300
    assert main(["eval", str(out), "--metrics", "fid"]) == 2
    assert "unknown metric 'fid' for circle runs" in capsys.readouterr().err


def test_the_domain_checks_its_own_config_keys(tmp_path, capsys):
    assert main(["train", "toy-8gaussians", "--out", str(tmp_path / "x"), "--dry-run", "--set", "data.name=circle",
                 "--set", "data.path=c.npy"]) == 2
    assert "data.name=circle is built in and takes no data.path" in capsys.readouterr().err
    assert main(["train", "toy-8gaussians", "--out", str(tmp_path / "x"), "--dry-run", "--set", "data.name=circle",
                 "--set", "data.max_images=3"]) == 2                # an image key: refused for a kind that reads none
    assert "data.max_images=3 applies to mnist data" in capsys.readouterr().err
