"""``wgangp report``: one self-contained HTML file with the run's config, curves, metrics, events
and pictures; written at the end of every run."""
import json
import re
from html.parser import HTMLParser

import pytest

from wgangp import api
from wgangp.cli import main
from wgangp.config import load_config
from wgangp.viz import report


class _Refs(HTMLParser):
    """Every URL an element would fetch (src, href, srcset, url(...) in style attributes)."""

    def __init__(self):
        super().__init__()
        self.refs, self.images = [], 0

    def handle_starttag(self, tag, attrs):
        for k, v in attrs:
            if k in ("src", "href", "srcset", "action", "data") and v:
                self.refs.append(v)
        self.images += tag == "img"


@pytest.fixture(scope="module")
def toy_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "r"
    cfg = load_config("toy-8gaussians", {"model.hidden": 32, "model.depth": 2, "data.batch_size": 64,
                                          "train.iterations": 20, "train.log_every": 5, "train.eval_every": 10,
                                          "train.eval_samples": 200, "train.diag_every": 10, "device": "cpu"})
    api.train(cfg, out, progress=False)
    return out


def test_every_run_ends_with_a_self_contained_report(toy_run):
    page = (toy_run / "report.html").read_text()
    refs = _Refs()
    refs.feed(page)
    assert refs.images >= 2                                       # the critic surface and the curves, at least
    assert all(r.startswith("data:") for r in refs.refs), refs.refs[:3]      # nothing is fetched
    assert "@import" not in page and not re.search(r"url\((?!data:)", page)
    data = json.loads(re.search(r'<script id="run-data" type="application/json">(.*?)</script>', page, re.S).group(1))
    assert data["series"]["train"]["step"] == [5, 10, 15, 20]
    assert len(data["series"]["train"]["w_estimate"]) == 4 and "w1" in data["series"]["eval"]
    assert "diag" in data["series"]
    final = json.loads((toy_run / "eval.json").read_text())
    assert f"{final['w1']:.6g}" in page                           # the metrics table
    assert '"gp_weight"' in page or "gp_weight" in page           # the config


def test_report_command_writes_where_asked_and_never_overwrites_without_force(toy_run, tmp_path, capsys):
    out = tmp_path / "r.html"
    assert main(["report", str(toy_run), "-o", str(out)]) == 0
    assert "self-contained" in capsys.readouterr().out and out.stat().st_size > 50_000
    out.write_text("mine")
    assert main(["report", str(toy_run), "-o", str(out)]) == 2
    assert "exists" in capsys.readouterr().err and out.read_text() == "mine"
    assert main(["report", str(toy_run), "-o", str(out), "--force"]) == 0 and out.read_text() != "mine"


def test_a_folder_that_is_not_a_run_is_a_clear_error(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a run directory" in capsys.readouterr().err and not (tmp_path / "report.html").exists()


def test_series_keep_gaps_and_drop_non_numbers():
    rows = [{"kind": "train", "step": 1, "w_estimate": 1.0, "note": "x"}, {"kind": "train", "step": 2, "penalty": 0.5},
            {"kind": "eval", "step": 2, "w1": float("nan"), "ok": True}, {"kind": "rollback", "step": 2, "lr_scale": 0.5}]
    s = report.series(rows)
    assert s["train"] == {"step": [1, 2], "w_estimate": [1.0, None], "penalty": [None, 0.5]}
    assert s["eval"] == {"step": [2], "w1": [None]}
    assert report.events(rows) == [rows[3]]
    assert "<\\/script>" in report._json_for_script({"x": "</script>"})
