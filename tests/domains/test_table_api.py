"""wgangp.TableSynthesizer: a DataFrame in, DataFrames out, conditions, save / load."""
import json

import numpy as np
import pandas as pd
import pytest

import wgangp
from wgangp.errors import UserError


@pytest.fixture(scope="module")
def penguins():
    from palmerpenguins import load_penguins

    return load_penguins()          # 344 records, missing cells in five columns


@pytest.fixture(scope="module")
def fitted(penguins, tmp_path_factory):
    synth = wgangp.TableSynthesizer(label="species", overrides={"train.iterations": 60, "train.eval_every": 0})
    return synth.fit(penguins)


def test_fit_a_dataframe_and_sample_its_dtypes(fitted, penguins):
    fake = fitted.sample(200)
    assert list(fake.columns) == list(penguins.columns) and len(fake) == 200
    assert {c: str(t) for c, t in fake.dtypes.items()} == {c: str(t) for c, t in penguins.dtypes.items()}
    assert set(fake["species"]) <= set(penguins["species"])
    assert "tstr_accuracy" in fitted.evaluation and "membership_auc" in fitted.evaluation


def test_missing_cells_come_at_the_training_rate(fitted, penguins):
    """Penguins miss 3% of 'sex' and 0.6% of each measurement; an argmax of the generator's
    softmax makes none (measured), the calibrated decoding makes them at the training rate."""
    fake = fitted.sample(20_000, seed=3)
    train_rate = {c: penguins[c].isna().mean() for c in ("sex", "body_mass_g")}   # of all records: ~ the split's
    for col, rate in train_rate.items():
        assert fake[col].isna().mean() == pytest.approx(rate, abs=0.4 * rate + 0.002), col
    assert fake["island"].notna().all()                          # no missing cell where the table has none


def test_conditions_on_the_label_and_on_another_column(fitted):
    assert set(fitted.sample(50, conditions={"species": "Gentoo"})["species"]) == {"Gentoo"}
    dream = fitted.sample(20, conditions={"island": "Dream"})
    assert len(dream) == 20 and set(dream["island"]) == {"Dream"}
    with pytest.raises(UserError, match="'Emperor' is not a class of 'species'"):
        fitted.sample(5, conditions={"species": "Emperor"})
    with pytest.raises(UserError, match="'body_mass_g' is not a categorical, boolean or label column"):
        fitted.sample(5, conditions={"body_mass_g": 4000})


def test_save_keeps_the_model_not_the_records_and_load_samples_the_same(fitted, tmp_path):
    saved = fitted.save(tmp_path / "model")
    assert sorted(p.name for p in saved.iterdir()) == ["checkpoint.pt", "config.json", "eval.json"]
    with pytest.raises(UserError, match="exists and is not empty"):
        fitted.save(tmp_path / "model")
    again = wgangp.TableSynthesizer.load(tmp_path / "model")
    pd.testing.assert_frame_equal(again.sample(30, seed=4), fitted.sample(30, seed=4))
    assert again.evaluation == fitted.evaluation


def test_an_untrained_synthesizer_or_a_wrong_input_is_a_clear_error():
    with pytest.raises(UserError, match="not trained"):
        wgangp.TableSynthesizer().sample(3)
    with pytest.raises(UserError, match="takes a pandas DataFrame or a file path, not ndarray"):
        wgangp.TableSynthesizer().fit(np.zeros((3, 2)))


def test_checkpoint_selection_on_a_held_out_score(penguins, tmp_path):
    synth = wgangp.TableSynthesizer(label="species", out=tmp_path / "run", overrides={
        "train.iterations": 6, "train.eval_every": 3, "train.best_metric": "tstr_accuracy", "model.hidden": 32})
    synth.fit(penguins)
    best = json.loads((tmp_path / "run" / "best.json").read_text())
    assert best["key"] == "tstr_accuracy" and best["step"] in (3, 6)
    saved = synth.save(tmp_path / "model")
    again = wgangp.TableSynthesizer.load(saved, checkpoint="best")
    assert again.run.step == best["step"] and len(again.sample(10)) == 10
