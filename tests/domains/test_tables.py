"""Tables: reading and encoding records, the generator's softmax blocks, fidelity / utility /
privacy metrics, decoded samples, and a run that learns the bundled breast-cancer records."""
import csv
import json

import numpy as np
import pytest
import torch

import wgangp
from wgangp.augment import augment
from wgangp.cli import main
from wgangp.config import load_config
from wgangp.data.tabular import TableEncoder, TableSource, split
from wgangp.errors import UserError
from wgangp.metrics import tabular as tm
from wgangp.nets.tabular import BlockSoftmax


def _write(path, n=240, seed=0):
    """A mixed table: a skewed float, an integer count, a string category tied to the label, the label."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    rows = [["dose", "visits", "site", "outcome"]]
    for i in range(n):
        site = ["north", "south", "east"][int(rng.integers(0, 2)) + int(y[i])]
        rows.append([f"{rng.lognormal(y[i], 0.5):.4f}", str(int(rng.poisson(3 + 4 * y[i]))), site,
                     ["well", "ill"][y[i]]])
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def _cfg(path, **over):
    return load_config("table-breast-cancer", {"data.name": "table", "data.path": str(path), "data.label": "outcome",
                                               "device": "cpu", **over})


def test_encoding_round_trip_and_layout(tmp_path):
    src = TableSource(_cfg(_write(tmp_path / "t.csv")).data, seed=0, conditional=False)
    enc = src.encoder
    assert [(c.name, c.kind) for c in enc.columns] == [("dose", "continuous"), ("visits", "continuous"),
                                                        ("site", "categorical"), ("outcome", "categorical")]
    assert enc.columns[1].unit == 1.0 and enc.columns[0].unit == 0.0          # integers rounded, floats not
    assert enc.dim == 1 + 1 + 3 + 2 and enc.categorical_spans == [(2, 3), (5, 2)]
    x = enc.encode(src.train)
    assert abs(x[:, 0].mean()) < 0.1 and 0.8 < x[:, 0].std() < 1.2          # quantile-normal
    back = enc.decode(x)
    span = np.ptp(src.train["dose"])
    np.testing.assert_allclose(back["dose"], src.train["dose"], atol=0.02 * span)
    np.testing.assert_array_equal(back["visits"], src.train["visits"])
    np.testing.assert_array_equal(back["site"], src.train["site"])
    again = TableEncoder.from_state(json.loads(json.dumps(enc.state_dict())))      # plain data survives JSON
    np.testing.assert_array_equal(again.encode(src.train), x)


def test_conditional_source_takes_the_label_out_of_the_vectors(tmp_path):
    src = TableSource(_cfg(_write(tmp_path / "t.csv")).data, seed=0, conditional=True)
    assert [c.name for c in src.encoder.columns] == ["dose", "visits", "site"]
    assert src.n_classes == 2 and len(src.labels) == len(src.points)
    assert sorted(src.label_categories) == ["ill", "well"]


def test_holdout_split_is_fixed_and_disjoint(tmp_path):
    table = {"id": np.arange(100).astype(float)}
    train, hold = split(table, 0.2)
    assert len(hold["id"]) == 20 and not set(train["id"]) & set(hold["id"])
    np.testing.assert_array_equal(split(table, 0.2)[1]["id"], hold["id"])


@pytest.mark.parametrize("content, message", [
    (None, "not found"),
    ("a,b\n", "at least one record"),
    ("a,b\n1,2\n3\n", "line 3: 1 cells"),
    ("a,a\n1,2\n", "name every column once"),
    ("a,b\n1,2\nnan,4\n5,inf\n", "column 'b' has 1 infinite cell.*record 3"),
    ("a,b\n1,2\n3,-inf\n", "column 'b' has 1 infinite cell"),
    ("a,b\n1,2\n3,4\n", "a .csv, .tsv, .parquet, .pq file is needed"),
])
def test_bad_tables_are_one_line_errors(tmp_path, content, message):
    path = tmp_path / ("t.txt" if "file is needed" in message else "t.csv")
    if content is not None:
        path.write_text(content)
    with pytest.raises(UserError, match=message):
        TableSource(_cfg(path, **{"data.label": "", "data.batch_size": 1}).data, seed=0)


def test_unknown_label_or_categorical_column_is_named(tmp_path):
    path = _write(tmp_path / "t.csv")
    with pytest.raises(UserError, match="data.label 'sex' is not a column"):
        TableSource(_cfg(path, **{"data.label": "sex"}).data, seed=0)
    with pytest.raises(UserError, match="data.categorical names column"):
        TableSource(_cfg(path, **{"data.categorical": "visits,height"}).data, seed=0)
    with pytest.raises(UserError, match="data.path=FILE.csv"):
        load_config("table-breast-cancer", {"data.name": "table"})


def test_block_softmax_makes_each_block_a_distribution():
    x = torch.randn(5, 7)
    y = BlockSoftmax([(2, 3), (5, 2)])(x)
    torch.testing.assert_close(y[:, :2], x[:, :2])
    torch.testing.assert_close(y[:, 2:5].sum(1), torch.ones(5))
    torch.testing.assert_close(y[:, 5:].sum(1), torch.ones(5))


def test_marginals_and_correlation_gap():
    rng = np.random.default_rng(0)
    a = {"x": rng.normal(size=500), "c": np.array(["p", "q"] * 250)}
    assert tm.marginals(a, a)["marginal_mean"] == 0.0
    b = {"x": rng.normal(size=500) + 10, "c": np.array(["r"] * 500)}
    m = tm.marginals(a, b)
    assert m["per_column"] == {"x": 1.0, "c": 1.0}
    z = rng.normal(size=(2000, 2))
    assert tm.correlation_gap(z, z) == 0.0
    assert tm.correlation_gap(np.c_[z[:, 0], z[:, 0]], z) == pytest.approx(1.0, abs=0.05)   # corr 1 against 0


def test_privacy_flags_copies_and_not_fresh_draws():
    rng = np.random.default_rng(0)
    train, holdout, fresh = rng.normal(size=(400, 5)), rng.normal(size=(100, 5)), rng.normal(size=(400, 5))
    copies = tm.privacy(train.copy(), train, holdout)
    assert copies["exact_copies"] == 1.0 and copies["closer_than_holdout_p5"] == 1.0
    assert copies["membership_auc"] == 1.0
    clean = tm.privacy(fresh, train, holdout)
    assert clean["exact_copies"] == 0.0 and clean["closer_than_holdout_p5"] < 0.15
    assert 0.35 < clean["membership_auc"] < 0.65
    assert clean["membership_auc_noise"] == pytest.approx(tm.auc_noise(400, 100))


def test_auc_noise_is_the_spread_of_the_attack_on_fresh_draws():
    """The reported noise level is the AUC's real spread when synthetic records are fresh draws."""
    rng = np.random.default_rng(1)
    aucs = [tm.privacy(rng.normal(size=(300, 3)), rng.normal(size=(200, 3)), rng.normal(size=(50, 3)))["membership_auc"]
            for _ in range(200)]
    assert np.std(aucs) == pytest.approx(tm.auc_noise(200, 50), rel=0.25)
    assert abs(np.mean(aucs) - 0.5) < 0.02


def test_tstr_on_copies_of_the_training_records_equals_trtr():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(300, 4))
    y = (x[:, 0] + 0.5 * rng.normal(size=300) > 0).astype(int)
    u = tm.utility((x[:200], y[:200]), (x[:200], y[:200]), (x[200:], y[200:]))
    assert u["tstr_accuracy"] == u["trtr_accuracy"] > 0.7
    flipped = tm.utility((x[:200], 1 - y[:200]), (x[:200], y[:200]), (x[200:], y[200:]))
    assert flipped["tstr_accuracy"] < 0.3 and flipped["tstr_auc"] < 0.3


def test_table_run_end_to_end(tmp_path, capsys):
    path = _write(tmp_path / "t.csv")
    out = tmp_path / "r"
    assert main(["train", "table-breast-cancer", "--out", str(out), "--quiet", "--set", "data.name=table",
                 "--set", f"data.path={path}", "--set", "data.label=outcome", "--set", "train.iterations=4",
                 "--set", "train.eval_every=0", "--set", "device=cpu"]) == 0
    assert main(["eval", str(out), "--json"]) == 0
    m = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert {"marginal_mean", "correlation_gap", "tstr_accuracy", "trtr_accuracy", "membership_auc",
            "closer_than_holdout_p5", "holdout_marginal_mean"} <= set(m)
    assert m["n_train"] == 192 and m["n_holdout"] == 48
    path.unlink()                                   # samples decode from the checkpoint alone
    assert main(["sample", str(out), "-n", "50", "-o", str(tmp_path / "s.csv"), "--class", "1"]) == 0
    rows = list(csv.reader((tmp_path / "s.csv").open()))
    assert rows[0] == ["dose", "visits", "site", "outcome"] and len(rows) == 51
    assert all(r[3] == rows[1][3] for r in rows[1:])                      # one class asked for
    assert main(["sample", str(out), "-n", "5", "-o", str(tmp_path / "ill.csv"), "--class", "ill"]) == 0
    assert {r[3] for r in list(csv.reader((tmp_path / "ill.csv").open()))[1:]} == {"ill"}   # named by its value
    assert main(["sample", str(out), "-n", "5", "-o", str(tmp_path / "x.csv"), "--class", "sick"]) == 2
    assert "label values (" in capsys.readouterr().err
    assert all(r[1].lstrip("-").isdigit() for r in rows[1:])              # integer column stays integer
    assert {r[2] for r in rows[1:]} <= {"north", "south", "east"}
    assert main(["eval", str(out)]) == 2                                  # the real records are gone
    assert "not found" in capsys.readouterr().err


def test_breast_cancer_generator_learns_useful_records(tmp_path):
    """600 iterations: marginals, correlations and a classifier trained only on synthetic records
    approach the real ones (untrained: marginal 0.35, correlation gap 0.44, TSTR 0.51)."""
    run = wgangp.train("table-breast-cancer", tmp_path / "r", {"train.iterations": 600, "train.eval_every": 0,
                                                               "device": "cpu"}, progress=False)
    m = wgangp.evaluate(wgangp.load_run(tmp_path / "r"))          # through the checkpoint
    assert m == wgangp.evaluate(run)
    assert m["marginal_mean"] < 0.1 and m["correlation_gap"] < 0.1
    assert m["tstr_accuracy"] > 0.85
    assert m["exact_copies"] == 0.0 and m["membership_auc"] < 0.65


def test_augment_tops_up_the_smaller_class_of_a_table(tmp_path):
    path = tmp_path / "t.csv"
    _write(path)
    rows = list(csv.reader(path.open()))
    kept = [rows[0]] + [r for r in rows[1:] if r[3] == "well"] + [r for r in rows[1:] if r[3] == "ill"][:30]
    with path.open("w", newline="") as f:                 # an imbalanced table: 30 'ill' records
        csv.writer(f).writerows(kept)
    run = wgangp.train("table-breast-cancer", tmp_path / "r",
                       {"data.name": "table", "data.path": str(path), "data.label": "outcome", "data.batch_size": 32,
                        "train.iterations": 2, "train.eval_every": 0, "device": "cpu"}, progress=False)
    result = augment(run, tmp_path / "aug.csv")
    out = list(csv.reader((tmp_path / "aug.csv").open()))
    assert out[0] == ["dose", "visits", "site", "outcome", "synthetic"]
    labels = [r[3] for r in out[1:]]
    assert labels.count("well") == labels.count("ill") == max(result["real"])
    synthetic = [r for r in out[1:] if r[4] == "1"]
    assert len(synthetic) == sum(result["synthetic"]) > 0 and {r[3] for r in synthetic} == {"ill"}
    assert len(out) - 1 - len(synthetic) == run.domain_state["label_counts"][0] + run.domain_state["label_counts"][1]
    with pytest.raises(UserError, match="already exists"):
        augment(run, tmp_path / "aug.csv")


def test_a_regression_target_or_an_id_column_as_label_is_refused_before_training(tmp_path):
    rng = np.random.default_rng(0)
    path = tmp_path / "t.csv"
    rows = [["x", "price", "id"]] + [[f"{rng.normal():.3f}", f"{rng.uniform(1, 500):.2f}", f"p{i}"] for i in range(240)]
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    with pytest.raises(UserError, match=r"data.label 'price' is numeric with 240 distinct values: a regression target"):
        TableSource(_cfg(path, **{"data.label": "price"}).data, seed=0)
    with pytest.raises(UserError, match=r"data.label 'id' has 240 distinct values .* an ID or free text"):
        TableSource(_cfg(path, **{"data.label": "id"}).data, seed=0)
    small = tmp_path / "s.csv"                               # a numeric label of few values is a class
    small.write_text("x,grade\n" + "".join(f"{i * 0.1:.1f},{i % 3}\n" for i in range(240)))
    assert TableSource(_cfg(small, **{"data.label": "grade"}).data, seed=0, conditional=True).n_classes == 3


def test_a_csv_given_to_the_bundled_table_preset_is_the_data_and_the_table_preset_takes_any_csv(tmp_path, capsys):
    path = _write(tmp_path / "t.csv")
    cfg = load_config("table-breast-cancer", {"data.path": str(path), "data.label": "outcome"})
    assert cfg.data.name == "table"                          # not silently the bundled records
    with pytest.raises(UserError, match="give a .csv, .tsv, .parquet, .pq file, or drop data.path"):
        load_config("table-breast-cancer", {"data.path": str(tmp_path / "t.xlsx")})
    with pytest.raises(UserError, match="data.name=table needs data.path"):
        load_config("table", {})
    out = tmp_path / "r"
    assert main(["train", "table", "--out", str(out), "--quiet", "--set", f"data.path={path}", "--set", "device=cpu",
                 "--set", "train.iterations=2", "--set", "train.eval_every=0"]) == 0
    header = (out / "config.json").read_text()
    assert '"name": "table"' in header and str(path) in header


def test_without_a_hold_out_the_evaluation_says_what_it_could_not_compute(tmp_path, capsys):
    out = tmp_path / "r"
    assert main(["train", "table", "--out", str(out), "--quiet", "--set", f"data.path={_write(tmp_path / 't.csv')}",
                 "--set", "data.holdout=0", "--set", "data.label=outcome", "--set", "device=cpu",
                 "--set", "train.iterations=2", "--set", "train.eval_every=0"]) == 0
    printed = capsys.readouterr().out
    assert "utility not computed: no held-out records (data.holdout=0)" in printed
    assert "privacy vs hold-out not computed" in printed
    result = json.loads((out / "eval.json").read_text())
    assert "membership_auc" not in result and result["privacy_skipped"].startswith("no held-out records")
