"""Series readers and writers (wgangp.data.series_io / series_text / series_wav): round trips of
every format, the length rule, and every bad input as one line."""
import sys
from pathlib import Path

import numpy as np
import pytest

from wgangp.config import load_config
from wgangp.data.series_io import read_series, write_npz
from wgangp.data.series_text import write_csv
from wgangp.data.series_wav import write_wav_folder
from wgangp.domains.signals import Signals
from wgangp.errors import UserError

UCR = Path(__file__).resolve().parents[2].parent / "shared" / "data" / "ucr-subset.npz"


def _series(n=6, channels=1, length=20, seed=0):
    return np.random.default_rng(seed).uniform(-1, 1, size=(n, channels, length)).astype(np.float32)


def _one_line(excinfo, *fragments):
    message = str(excinfo.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, message


# ----- round trips -------------------------------------------------------------------------------
def test_npz_round_trip_and_labels_beside_the_key(tmp_path):
    x, y = _series(channels=2), np.array([0, 1, 2, 0, 1, 2])
    s = read_series(write_npz(x, y, tmp_path / "a.npz"))
    np.testing.assert_array_equal(s.x, x)
    np.testing.assert_array_equal(s.labels, y)
    assert (s.fmt, s.class_names, s.notes) == ("npz", ["0", "1", "2"], [])     # 0..K-1 already: kept, no note
    np.savez(tmp_path / "b.npz", gunpoint_x_train=x[:, 0], gunpoint_y_train=y[::-1], y_train=y)
    s = read_series(tmp_path / "b.npz", key="gunpoint_x_train")
    assert s.x.shape == (6, 1, 20)
    np.testing.assert_array_equal(s.labels, y[::-1])          # the y_ array of the key, not y_train
    np.savez(tmp_path / "c.npz", signals=x)
    assert read_series(tmp_path / "c.npz", key="signals").labels is None


def test_csv_with_a_header_and_a_named_label_column_round_trips(tmp_path):
    x, y = _series(), np.array([1, 0, 1, 1, 0, 0])
    path = write_csv(x, y, ["run", "walk"], tmp_path / "a.csv")
    assert path.read_text().splitlines()[0].startswith("label,t0,t1")
    for label in ("label", "first"):
        s = read_series(path, label=label)
        np.testing.assert_array_equal(s.x, x)                 # float32 written exactly
        np.testing.assert_array_equal(s.labels, y)
        assert (s.class_names, s.fmt) == (["run", "walk"], "csv")


def test_csv_without_header_with_the_label_last_or_without_labels(tmp_path):
    x = _series()[:, 0]
    np.savetxt(tmp_path / "a.csv", np.column_stack([x, [3, 7, 3, 7, 7, 3]]), delimiter=",")
    s = read_series(tmp_path / "a.csv", label="last")
    np.testing.assert_allclose(s.x[:, 0], x, rtol=1e-6)
    assert s.labels.tolist() == [0, 1, 0, 1, 1, 0] and s.class_names == ["3", "7"]
    np.savetxt(tmp_path / "b.txt", x)                          # spaces, no labels
    s = read_series(tmp_path / "b.txt")
    assert s.labels is None and s.x.shape == (6, 1, 20)
    np.testing.assert_allclose(s.x[:, 0], x, rtol=1e-6)


def test_a_header_of_column_numbers_is_a_header(tmp_path):
    x = _series()[:, 0]
    (tmp_path / "a.csv").write_text(",".join(map(str, range(20))) + "\n"
                                    + "\n".join(",".join(map(str, row)) for row in x) + "\n")
    s = read_series(tmp_path / "a.csv")
    assert len(s.x) == 6 and "taken as column numbers" in s.notes[0]


def test_ucr_train_file_with_labels_minus_one_and_one_writes_back_its_labels(tmp_path):
    x, y = _series()[:, 0], np.array([-1, 1, 1, -1, 1, -1])
    np.savetxt(tmp_path / "Toy_TRAIN.tsv", np.column_stack([y, x]), delimiter="\t")
    s = read_series(tmp_path / "Toy_TRAIN.tsv")
    assert (s.fmt, s.class_names, s.labels.tolist()) == ("ucr", ["-1", "1"], [0, 1, 1, 0, 1, 0])
    np.testing.assert_allclose(s.x[:, 0], x, rtol=1e-6)
    back = write_csv(s.x, s.labels, s.class_names, tmp_path / "Back_TRAIN.tsv", sep="\t", header=False)
    assert [line.split("\t")[0] for line in back.read_text().splitlines()] == [str(v) for v in y]
    (tmp_path / "Toy").mkdir()
    np.savetxt(tmp_path / "Toy" / "Toy_TEST.tsv", np.column_stack([y, x + 5]), delimiter="\t")
    (tmp_path / "Toy_TRAIN.tsv").rename(tmp_path / "Toy" / "Toy_TRAIN.tsv")
    s = read_series(tmp_path / "Toy")                           # the folder: its TRAIN file
    np.testing.assert_allclose(s.x[:, 0], x, rtol=1e-6)
    (tmp_path / "Other_TRAIN.tsv").write_text("1\t0.5\n")
    with pytest.raises(UserError, match="holds several training files"):
        read_series(tmp_path)


@pytest.mark.skipif(not UCR.is_file(), reason=f"the real UCR subset is not at {UCR}")
def test_real_gunpoint_as_a_ucr_file_and_as_an_npz_key(tmp_path):
    with np.load(UCR) as z:
        x, y = z["gunpoint_x_train"], z["gunpoint_y_train"]
    np.savetxt(tmp_path / "GunPoint_TRAIN.tsv", np.column_stack([y, x[:, 0]]), delimiter="\t")   # UCR's 1, 2
    s = read_series(tmp_path / "GunPoint_TRAIN.tsv")
    assert s.x.shape == (50, 1, 150) and s.class_names == ["1", "2"]
    np.testing.assert_array_equal(s.labels, y - 1)
    np.testing.assert_allclose(s.x, x, rtol=1e-6, atol=1e-7)
    s = read_series(UCR, key="gunpoint_x_train")                # the .npz's 1, 2: classes 0, 1, names kept
    np.testing.assert_array_equal(s.labels, y - 1)
    assert s.class_names == ["1", "2"] and "labels 1, 2 used as classes 0..1" in s.notes[0]


def test_wav_folder_with_two_class_folders_and_two_channels_round_trips(tmp_path):
    sf = pytest.importorskip("soundfile")
    x = _series(n=4, channels=2, length=300)
    for i, cls in enumerate(["bark", "bark", "alarm", "alarm"]):
        (tmp_path / "in" / cls).mkdir(parents=True, exist_ok=True)
        sf.write(tmp_path / "in" / cls / f"{i}.wav", x[i].T, 8000, subtype="PCM_16")
    s = read_series(tmp_path / "in")
    assert (s.fmt, s.sample_rate, s.class_names, s.labels.tolist()) == ("wav", 8000, ["alarm", "bark"], [0, 0, 1, 1])
    assert s.x.shape == (4, 2, 300)
    assert np.abs(s.x - x[[2, 3, 0, 1]]).max() <= 1 / 32768
    out = write_wav_folder(s.x, s.labels, s.class_names, s.sample_rate, tmp_path / "out")
    again = read_series(out)
    assert (again.class_names, again.labels.tolist(), again.sample_rate) == (["alarm", "bark"], [0, 0, 1, 1], 8000)
    assert np.abs(again.x - s.x).max() <= 1 / 32768
    assert not list(tmp_path.glob(".*")), "a temporary folder was left"


# ----- the length rule ---------------------------------------------------------------------------
def test_length_crops_to_the_start_and_pads_zeros_at_the_end(tmp_path):
    x = _series(length=20)
    path = write_npz(x, None, tmp_path / "a.npz")
    crop = read_series(path, length=12)
    np.testing.assert_array_equal(crop.x, x[:, :, :12])
    assert "cropped to their first 12 samples" in crop.notes[0]
    pad = read_series(path, length=32)
    np.testing.assert_array_equal(pad.x[:, :, :20], x)
    assert (pad.x[:, :, 20:] == 0).all() and "zero-padded at their end" in pad.notes[0]
    assert pad.own_length == 20 and crop.own_length is None and read_series(path).own_length is None


def test_the_own_length_is_kept_only_where_padding_stretched_series_of_one_length(tmp_path):
    (tmp_path / "Eq_TRAIN.tsv").write_text("1\t0.5\t0.25\t0.125\n2\t-0.5\t-0.25\t0.75\n")
    assert read_series(tmp_path / "Eq_TRAIN.tsv", length=8).own_length == 3
    assert read_series(tmp_path / "Eq_TRAIN.tsv", length=2).own_length is None       # cropped: nothing to undo
    (tmp_path / "Var_TRAIN.tsv").write_text("1\t0.5\t0.25\t0.125\n2\t-0.5\tNaN\tNaN\n")
    assert read_series(tmp_path / "Var_TRAIN.tsv", length=8).own_length is None     # no one length to go back to


def test_resample_brings_every_series_to_the_length_over_its_whole_span(tmp_path):
    """One period of a sine in 40 samples and in 25 (a NaN tail): both become the same 32-sample
    period, ends included (no ringing), and down to 16 and back to 40 keeps the slow shape."""
    t40, t25 = (np.arange(n) / n for n in (40, 25))
    rows = ["1\t" + "\t".join(map(str, np.sin(2 * np.pi * t40))),
            "2\t" + "\t".join(map(str, np.sin(2 * np.pi * t25))) + "\tNaN" * 15]
    (tmp_path / "Var_TRAIN.tsv").write_text("\n".join(rows) + "\n")
    s = read_series(tmp_path / "Var_TRAIN.tsv", length=32, resample=True)
    want = np.sin(2 * np.pi * np.arange(32) / 32)
    np.testing.assert_allclose(s.x[:, 0], [want, want], atol=0.06)
    assert s.own_length is None                                   # no one length to go back to
    assert s.notes == ["2 of 2 series of 25 to 40 samples resampled to data.length=32 samples (data.resample=true)"]
    x = np.sin(2 * np.pi * np.arange(40) / 40 + np.arange(6)[:, None, None]).astype(np.float32)
    path = write_npz(x, None, tmp_path / "a.npz")
    down = read_series(path, length=16, resample=True)
    assert down.x.shape == (6, 1, 16) and down.own_length == 40 and "resampled back to 40" in down.notes[0]
    from wgangp.data.series_io import resample_to
    np.testing.assert_allclose(resample_to(down.x, 40), x, atol=0.07)
    assert read_series(path, length=40, resample=True).own_length is None      # nothing to undo


def test_resampling_down_filters_out_what_the_new_length_cannot_hold(tmp_path):
    """A tone of 15 cycles in 40 samples, above the Nyquist frequency of 16 samples (8 cycles), is
    removed, not folded back as a 1-cycle alias as picking or interpolating samples would."""
    x = np.sin(2 * np.pi * 15 * np.arange(40) / 40)[None, None].astype(np.float32)
    down = read_series(write_npz(x, None, tmp_path / "a.npz"), length=16, resample=True).x
    picked = np.interp(np.linspace(0, 39, 16), np.arange(40), x[0, 0])
    assert np.abs(down).max() < 0.1 < np.abs(picked).max()


def test_nan_tails_of_variable_length_ucr_series_are_not_there(tmp_path):
    rows = ["1\t0.5\t0.25\t0.125\t1.5", "2\t-0.5\t-0.25\tNaN\tNaN", "1\t0.1\t0.2\t0.3\tNaN"]
    (tmp_path / "Var_TRAIN.tsv").write_text("\n".join(rows) + "\n")
    s = read_series(tmp_path / "Var_TRAIN.tsv", length=3)
    np.testing.assert_allclose(s.x[:, 0], [[0.5, 0.25, 0.125], [-0.5, -0.25, 0], [0.1, 0.2, 0.3]])
    assert s.notes == ["1 of 3 series longer than data.length=3 cropped to their first 3 samples",
                       "1 of 3 series shorter than data.length=3 zero-padded at their end"]
    with pytest.raises(UserError) as e:
        read_series(tmp_path / "Var_TRAIN.tsv")
    _one_line(e, "Var_TRAIN.tsv", "unequal lengths (shortest 2, median 3, longest 4)", "set data.length=N")


def test_rows_of_different_lengths_in_a_csv_need_a_length(tmp_path):
    (tmp_path / "a.csv").write_text("1,2,3\n4,5\n6,7,8,9,10\n")
    with pytest.raises(UserError) as e:
        read_series(tmp_path / "a.csv")
    _one_line(e, "a.csv", "shortest 2, median 3, longest 5", "data.length=N")
    assert read_series(tmp_path / "a.csv", length=4).x[:, 0].tolist() == [[1, 2, 3, 0], [4, 5, 0, 0], [6, 7, 8, 9]]


def test_the_domain_pads_to_a_length_the_network_builds_and_says_so(tmp_path):
    write_npz(_series(n=40, length=24), np.arange(40) % 2, tmp_path / "a.npz")
    cfg = load_config("signals-sines-cond", {"data.name": "signals", "data.path": str(tmp_path / "a.npz")})
    notes = Signals().resolve(cfg)
    assert cfg.data.length == 32 and "24 samples zero-padded at their end to data.length=32" in notes[0]
    with pytest.raises(UserError, match="data.length=24: model.arch=dcgan-1d builds lengths that are multiples of 16; "
                                        "set data.length=16 or 32"):
        load_config("signals-sines-cond", {"data.name": "signals", "data.path": "x.npz", "data.length": 24})
    deep = load_config("signals-sines-cond", {"data.name": "signals", "data.path": str(tmp_path / "a.npz"),
                                              "model.arch": "resnet-1d", "model.depth": 5})
    assert "to data.length=32 (model.arch=resnet-1d builds multiples of 32" in Signals().resolve(deep)[-1]
    with pytest.raises(UserError, match="data.length=40: model.arch=resnet-1d builds lengths that are multiples of 32"):
        load_config("signals-sines-cond", {"data.name": "signals", "data.path": "x.npz", "data.length": 40,
                                           "model.arch": "resnet-1d", "model.depth": 5})


# ----- bad inputs: one line each ---------------------------------------------------------------
def test_a_text_cell_in_a_csv_names_the_file_row_and_column(tmp_path):
    (tmp_path / "a.csv").write_text("label,t0,t1,t2\nwalk,1,2,3\nrun,4,oops,6\n")
    with pytest.raises(UserError) as e:
        read_series(tmp_path / "a.csv", label="label")
    _one_line(e, "a.csv' row 3, column 3 ('t1'): 'oops' is not a number")
    with pytest.raises(UserError) as e:                         # the label column left as values
        read_series(tmp_path / "a.csv")
    _one_line(e, "row 2, column 1 ('label'): 'walk' is not a number", "set data.label (wgangp classifier: --label) to first")


def test_a_missing_value_inside_a_series_is_refused(tmp_path):
    (tmp_path / "a.csv").write_text("1,2,3\n4,,6\n")
    with pytest.raises(UserError) as e:
        read_series(tmp_path / "a.csv")
    _one_line(e, "series 2 has a missing value at sample 2")


def test_a_wav_with_another_sample_rate_names_the_file_and_both_rates(tmp_path):
    sf = pytest.importorskip("soundfile")
    (tmp_path / "w").mkdir()
    sf.write(tmp_path / "w" / "a.wav", np.zeros(100, np.float32), 16000)
    sf.write(tmp_path / "w" / "b.wav", np.zeros(100, np.float32), 22050)
    with pytest.raises(UserError) as e:
        read_series(tmp_path / "w")
    _one_line(e, "b.wav' has a sample rate of 22050 Hz, 'a.wav' 16000 Hz")


def test_an_empty_folder_says_what_it_should_hold(tmp_path):
    (tmp_path / "empty" / "sub").mkdir(parents=True)
    with pytest.raises(UserError) as e:
        read_series(tmp_path / "empty")
    _one_line(e, "empty' holds no NAME_TRAIN.tsv/.txt/.ts file and no .wav files")


def test_a_ts_file_without_aeon_says_to_install_it(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "aeon", None)              # import aeon fails, installed or not
    monkeypatch.setitem(sys.modules, "aeon.datasets", None)
    (tmp_path / "Toy_TRAIN.ts").write_text("@problemName Toy\n@data\n1,2,3:a\n")
    for path in (tmp_path / "Toy_TRAIN.ts", tmp_path):
        with pytest.raises(UserError) as e:
            read_series(path)
        _one_line(e, "Toy_TRAIN.ts' is a .ts file: reading it needs aeon (pip install aeon)")


def test_writers_refuse_to_overwrite(tmp_path):
    x = _series()
    for write, name in [(lambda p: write_npz(x, None, p), "a.npz"), (lambda p: write_csv(x, None, None, p), "a.csv"),
                        (lambda p: write_wav_folder(x, None, None, 8000, p), "w")]:
        write(tmp_path / name)
        before = sorted(q.name for q in tmp_path.rglob("*"))
        with pytest.raises(UserError) as e:
            write(tmp_path / name)
        _one_line(e, f"'{tmp_path / name}' exists; choose another output name")
        assert sorted(q.name for q in tmp_path.rglob("*")) == before


@pytest.mark.parametrize("name, fragment", [
    ("one.wav", "is one .wav file; pass the folder"),
    ("a.xlsx", "cannot read signal data"),
    ("none.csv", "not found"),
])
def test_other_paths_are_one_line_errors(tmp_path, name, fragment):
    if name != "none.csv":
        (tmp_path / name).write_bytes(b"\0")
    with pytest.raises(UserError) as e:
        read_series(tmp_path / name)
    _one_line(e, fragment)


@pytest.mark.parametrize("preset, over, fragments", [
    ("toy-8gaussians", {"data.resample": True}, ("data.resample=True applies to signals data (data.name=signals or sines)",
                                                 "not to data.name=8gaussians: drop it")),
    ("toy-8gaussians", {"data.length": 64}, ("data.length=64 applies to signals", "drop it")),
    ("signals-sines-cond", {"data.resample": True}, ("apply to signal files (data.name=signals)", "drop them"))])
def test_a_length_rule_where_there_is_no_file_of_series_is_refused_not_ignored(preset, over, fragments):
    with pytest.raises(UserError) as e:
        load_config(preset, over)
    _one_line(e, *fragments)
