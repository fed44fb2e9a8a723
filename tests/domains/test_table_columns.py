"""Columns as users have them: kinds, formats and dtypes kept, missing cells modelled, ID columns
dropped, a numeric label binned, Parquet, and the run size chosen from the table."""
import csv

import numpy as np
import pandas as pd
import pytest

from wgangp.cli import main
from wgangp.config import load_config
from wgangp.data.table_columns import MISSING, frame_to_table, read_frame, text_cells, to_frame
from wgangp.data.table_encoding import TableEncoder
from wgangp.data.tabular import TableSource, encoder_for
from wgangp.domains.tables import schedule
from wgangp.errors import UserError


def _messy(path, n=200, seed=0):
    """Every kind: integer, integer written "82.0", a 2-decimal float with missing cells, a boolean, a
    date, a categorical with missing cells, an ID column, a numeric target of many values."""
    rng = np.random.default_rng(seed)
    rows = [["count", "weight", "dose", "smoker", "visit", "site", "patient", "cost"]]
    for i in range(n):
        rows.append([str(int(rng.integers(0, 9))), f"{int(rng.integers(50, 90))}.0",
                     "" if i % 10 == 0 else f"{rng.normal(5, 1):.2f}", ["True", "False"][i % 2],
                     str((pd.Timestamp("2012-01-02") + pd.Timedelta(days=int(rng.integers(0, 300)))).date()),
                     "NA" if i % 4 == 0 else ["north", "south"][i % 2], f"P{i:05d}", f"{rng.uniform(1, 900):.2f}"])
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows(rows)
    return path


def test_kinds_and_formats_are_inferred_and_written_back_as_read(tmp_path):
    table, specs, notes = frame_to_table(read_frame(_messy(tmp_path / "m.csv")))
    kinds = {s.name: s.kind for s in specs}
    assert kinds == {"count": "integer", "weight": "integer", "dose": "number", "smoker": "boolean",
                     "visit": "datetime", "site": "categorical", "cost": "number"}
    assert notes == ["column 'patient' dropped: 200 distinct values in 200 records look like an ID or free text "
                     "(not modelled, not in the samples)"]
    by = {s.name: s for s in specs}
    assert by["dose"].missing and by["site"].missing and not by["count"].missing
    assert np.isnan(table["dose"]).sum() == 20 and (table["site"] == MISSING).sum() == 50
    raw = pd.read_csv(tmp_path / "m.csv", dtype=str, keep_default_na=False)
    for name in ("count", "weight", "dose", "visit"):      # the same text cells, "82.0" and "2012-01-05" included
        assert text_cells(table[name], by[name]) == raw[name].tolist(), name
    frame = to_frame(table, specs)
    assert str(frame["count"].dtype) == "int64" and str(frame["smoker"].dtype) == "bool"
    assert str(frame["visit"].dtype).startswith("datetime64") and frame["site"].isna().sum() == 50


def test_missing_cells_are_modelled_and_decoded_at_their_rate(tmp_path):
    table, specs, _ = frame_to_table(read_frame(_messy(tmp_path / "m.csv")))
    enc = encoder_for(table, specs)
    dose = next(c for c in enc.columns if c.name == "dose")
    assert dose.missing and dose.width == 3
    x = enc.encode(table)
    back = enc.decode(x)
    np.testing.assert_array_equal(np.isnan(back["dose"]), np.isnan(table["dose"]))     # the missing block decides
    np.testing.assert_array_equal(back["site"], table["site"])
    np.testing.assert_array_equal(back["visit"], table["visit"])                       # dates rounded to days
    holdout_only = dict(table, count=np.where(np.arange(200) == 0, np.nan, table["count"]))
    with pytest.raises(UserError, match="column 'count': 1 missing cell"):
        enc.encode(holdout_only)


def test_calibrated_decoding_gives_the_training_missing_rate_to_the_likeliest_cells(tmp_path):
    table, specs, _ = frame_to_table(read_frame(_messy(tmp_path / "m.csv")))
    enc = encoder_for(table, specs)
    by = {c.name: c for c in enc.columns}
    assert by["dose"].missing_rate == pytest.approx(0.1) and by["site"].missing_rate == pytest.approx(0.25)
    assert by["count"].missing_slot is None
    rng = np.random.default_rng(0)
    v = enc.encode(table)
    soft = rng.uniform(0.0, 0.3, size=(4000, 2))          # "missing" never wins an argmax: p(missing) < 0.3
    draw = np.repeat(v[:1], 4000, axis=0)
    start = sum(c.width for c in enc.columns[:enc.columns.index(by["dose"])])
    draw[:, start + 1:start + 3] = np.c_[1 - soft[:, 0], soft[:, 0]]
    s = sum(c.width for c in enc.columns[:enc.columns.index(by["site"])])
    draw[:, s:s + by["site"].width] = (1 - soft[:, 1:]) / (by["site"].width - 1)
    draw[:, s + by["site"].missing_slot] = soft[:, 1]
    assert not np.isnan(enc.decode(draw)["dose"]).any() and (enc.decode(draw)["site"] != MISSING).all()
    cuts = enc.missing_cuts(draw)
    out = enc.decode(draw, missing_cuts=cuts)
    assert np.isnan(out["dose"]).mean() == pytest.approx(0.1, abs=0.005)
    assert (out["site"] == MISSING).mean() == pytest.approx(0.25, abs=0.005)
    assert soft[np.isnan(out["dose"]), 0].min() > soft[~np.isnan(out["dose"]), 0].max()  # the likeliest ones
    assert set(out["site"][out["site"] != MISSING]) <= {"north", "south"}
    assert "count" not in cuts and set(cuts) == {"dose", "site"}


def test_an_infinite_cell_or_an_unknown_drop_column_is_named(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("a,b\n1,2\n2,inf\n")
    with pytest.raises(UserError, match="column 'b' has 1 infinite cell"):
        frame_to_table(read_frame(path))
    cfg = load_config("table", {"data.path": str(_messy(tmp_path / "m.csv")), "data.drop": "nope"})
    with pytest.raises(UserError, match="data.drop names column.* nope"):
        TableSource(cfg.data, seed=0)


def test_a_numeric_target_as_label_is_refused_or_binned(tmp_path):
    path = _messy(tmp_path / "m.csv")
    with pytest.raises(UserError, match="data.label 'cost' is numeric with 200 distinct.*data.label_bins=K"):
        TableSource(load_config("table", {"data.path": str(path), "data.label": "cost"}).data, seed=0)
    src = TableSource(load_config("table", {"data.path": str(path), "data.label": "cost", "data.label_bins": 4,
                                            "data.batch_size": 32}).data, seed=0, conditional=True)
    assert src.n_classes == 4 and all(c.startswith("(") and c.endswith("]") for c in src.label_categories)


def test_parquet_dtypes_survive_a_run_and_its_samples(tmp_path):
    df = pd.DataFrame({"n": np.arange(120, dtype=np.int64) % 7, "x": np.linspace(0, 1, 120),
                       "when": pd.date_range("2020-01-01", periods=120, freq="D"),
                       "flag": np.arange(120) % 3 == 0, "grp": ["a", "b", "c"] * 40})
    df.loc[::9, "x"] = np.nan
    df.to_parquet(tmp_path / "t.parquet")
    out = tmp_path / "r"
    assert main(["train", "table", "--out", str(out), "--quiet", "--set", f"data.path={tmp_path / 't.parquet'}",
                 "--set", "device=cpu", "--set", "train.iterations=3", "--set", "train.eval_every=0"]) == 0
    assert main(["sample", str(out), "-n", "50", "-o", str(tmp_path / "s.parquet")]) == 0
    back = pd.read_parquet(tmp_path / "s.parquet")
    assert list(back.columns) == list(df.columns)
    assert {c: str(t) for c, t in back.dtypes.items()} == {c: str(t) for c, t in df.dtypes.items()}


def test_the_run_size_follows_the_table_and_is_written_to_the_config(tmp_path, capsys):
    assert schedule(142, 5) == {"data.batch_size": 64, "train.iterations": 300, "model.hidden": 256,
                                "model.depth": 3}                                     # at least 300 iterations
    assert schedule(455, 5)["train.iterations"] == 700                                # ~500 critic passes
    assert schedule(142, 5, private=True) == {"data.batch_size": 64, "train.iterations": 100, "model.hidden": 32,
                                              "model.depth": 2}                       # DP: short and small
    assert schedule(100_000, 5)["data.batch_size"] == 512 and schedule(100_000, 5)["train.iterations"] == 3000
    out = tmp_path / "r"
    assert main(["train", "table", "--out", str(out), "--quiet", "--set", f"data.path={_messy(tmp_path / 'm.csv')}",
                 "--set", "device=cpu", "--set", "train.iterations=2", "--set", "train.eval_every=0"]) == 0
    assert ("160 training records: data.batch_size=64, model.hidden=256, model.depth=3 (sized by the table"
            in capsys.readouterr().err)
    saved = load_config(str(out / "config.json"))
    assert saved.data.batch_size == 64 and saved.train.iterations == 2      # the explicit value wins
    assert main(["train", "table", "--out", str(tmp_path / "d"), "--dry-run", "--set",
                 f"data.path={tmp_path / 'm.csv'}"]) == 0                     # --dry-run shows the sizes chosen
    assert '"iterations": 300' in capsys.readouterr().out
    with pytest.raises(UserError, match="'data.batch_size' must be > 0, got 0 .*tables only"):
        load_config("toy-25gaussians", {"data.batch_size": 0})


def test_an_encoder_from_an_old_checkpoint_still_decodes():
    old = {"columns": [{"name": "a", "kind": "continuous", "quantiles": [0.0, 1.0, 2.0], "integer": True,
                        "categories": None}]}
    enc = TableEncoder.from_state(old)
    assert enc.columns[0].unit == 1.0 and not enc.columns[0].missing
    assert enc.decode(np.zeros((3, 1)))["a"].tolist() == [1.0, 1.0, 1.0]
