"""``wgangp augment`` for signal runs: every class topped up with generated series, written in the
input's own format (.npz, CSV rows, UCR TSV, WAV folder) or an .npz, optionally filtered by a
TorchScript classifier; refusals are one line and leave nothing behind. Runs are trained for 2
iterations of a tiny network: these tests check the plumbing, not the quality of the series."""
import filecmp
import json

import numpy as np
import pytest
import torch
from torch import nn

import wgangp
from wgangp.augment import augment
from wgangp.cli import main
from wgangp.config import load_config
from wgangp.data.series_io import read_series
from wgangp.errors import UserError
from wgangp.run import Run

TINY = {"data.name": "signals", "data.batch_size": 8, "model.dim": 4, "model.noise_dim": 8, "train.iterations": 2,
        "train.eval_every": 0, "train.eval_samples": 40, "device": "cpu"}


def _train(out, path, **over):
    return wgangp.train("signals-sines-cond", out, {**TINY, "data.path": str(path), **over}, progress=False)


def _leftovers(folder, *keep):
    """Names in ``folder`` other than ``keep`` (temporary files, partial outputs)."""
    return sorted(p.name for p in folder.iterdir() if p.name not in keep)


@pytest.fixture(scope="module")
def npz_run(tmp_path_factory):
    """A 3-class, 2-channel run on an .npz whose labels are UCR's 1..3, of 20, 12 and 8 series."""
    root = tmp_path_factory.mktemp("npz")
    rng = np.random.default_rng(0)
    y = np.repeat([1, 2, 3], [20, 12, 8])
    x = (rng.normal(size=(40, 2, 32)) * np.array([3.0, 0.5])[:, None]).astype(np.float32)
    np.savez(root / "s.npz", x_train=x, y_train=y, x_test=x[:5] + 1, y_test=y[:5])
    return _train(root / "r", root / "s.npz"), root / "s.npz"


def test_balance_on_an_npz_equalises_the_classes_keeps_real_rows_and_writes_the_files_labels(npz_run, tmp_path):
    run, src = npz_run
    report = augment(run, tmp_path / "a.npz", seed=3)
    assert report == {"real": [20, 12, 8], "synthetic": [0, 8, 12]}
    with np.load(src) as given, np.load(tmp_path / "a.npz") as z:
        assert z["x_train"].dtype == np.float32 and z["x_train"].shape == (60, 2, 32)
        assert z["x_train"][:40].tobytes() == given["x_train"].tobytes()
        assert (z["y_train"][:40] == given["y_train"]).all()
        assert np.bincount(z["y_train"]).tolist() == [0, 20, 20, 20]          # the file's values 1..3, not 0..2
        assert z["synthetic"].tolist() == [False] * 40 + [True] * 20
        assert z["y_train"][40:].tolist() == [2] * 8 + [3] * 12
        for k in ("x_test", "y_test"):
            assert np.array_equal(z[k], given[k])
        # synthetic rows: the generator's class 1 (the file's 2) for seed 3 + 1, in the data's units
        want = run.to_data_units(run.sample(8, seed=4, classes=1)).numpy()
        np.testing.assert_array_equal(z["x_train"][40:48], want)
        assert np.abs(z["x_train"][40:, 0]).max() > 1.2                       # channel 0 is scaled back (max 3x)
    again = read_series(tmp_path / "a.npz")                                    # readable as data.path again
    assert again.class_names == ["1", "2", "3"] and np.bincount(again.labels).tolist() == [20, 20, 20]


def test_per_class_n_through_the_command_line(npz_run, tmp_path, capsys):
    run, _ = npz_run
    assert main(["augment", str(run.run_dir), "--per-class", "15", "-o", str(tmp_path / "p.npz")]) == 0
    out = capsys.readouterr().out
    assert "real per class [20, 12, 8], synthetic added [0, 3, 7]" in out
    with np.load(tmp_path / "p.npz") as z:
        assert np.bincount(z["y_train"]).tolist() == [0, 20, 15, 15] and z["synthetic"].sum() == 10


def test_refusals_are_one_line_and_leave_nothing_behind(npz_run, tmp_path, capsys):
    run, _ = npz_run
    (tmp_path / "old.npz").write_bytes(b"keep")
    for out, message in [("old.npz", "already exists"),
                         ("a.csv", "a text row holds one channel and these series have 2; name the output OUT.npz"),
                         ("a.npy", "augmented into an .npz"), ("folder", "augmented into an .npz")]:
        assert main(["augment", str(run.run_dir), "--balance", "-o", str(tmp_path / out)]) == 2
        err = capsys.readouterr().err
        assert message in err and len(err.strip().splitlines()) == 1, err
    assert (tmp_path / "old.npz").read_bytes() == b"keep"
    assert _leftovers(tmp_path, "old.npz") == []


def test_the_built_in_sines_have_no_file_to_augment(tmp_path):
    cfg = load_config("signals-sines-cond", {"device": "cpu"})
    run = Run(cfg, None, 0, nn.Identity(), nn.Identity(), (1, 64), n_classes=4, domain_state={"scale": [1.0]})
    with pytest.raises(UserError, match="data.name=sines is built in and has no file to augment.*train on a signal "
                                        "file") as e:
        augment(run, tmp_path / "a.npz")
    assert "\n" not in str(e.value) and _leftovers(tmp_path) == []


def test_csv_rows_with_the_label_last_come_back_in_the_same_layout(tmp_path, capsys):
    rng = np.random.default_rng(1)
    labels = ["run"] * 14 + ["walk"] * 10
    x = rng.normal(size=(24, 24))
    (tmp_path / "s.csv").write_text(",".join(f"c{i}" for i in range(24)) + ",activity\n"
                                    + "".join(",".join(map(str, r)) + f",{k}\n" for r, k in zip(x, labels)))
    run = _train(tmp_path / "r", tmp_path / "s.csv", **{"data.label": "last"})
    assert run.config.data.length == 32                                        # 24 samples padded for dcgan-1d
    assert main(["augment", str(run.run_dir), "--balance", "-o", str(tmp_path / "a.csv")]) == 0
    assert "a.csv.synthetic.json" in capsys.readouterr().out
    first = (tmp_path / "a.csv").read_text().splitlines()[0].split(",")
    assert first[-1] == "activity" and len(first) == 25      # label last, as the input; 24 samples, not the padded 32
    assert all(len(row.split(",")) == 25 for row in (tmp_path / "a.csv").read_text().splitlines())
    back, real = (read_series(p, label="last", length=32) for p in (tmp_path / "a.csv", tmp_path / "s.csv"))
    assert back.class_names == ["run", "walk"] and np.bincount(back.labels).tolist() == [14, 14]
    np.testing.assert_array_equal(back.x[:24], real.x)                         # real rows as training read them
    side = json.loads((tmp_path / "a.csv.synthetic.json").read_text())
    assert side["synthetic_rows"] == [0] * 24 + [1] * 4 and side["classes"] == ["run", "walk"]
    (tmp_path / "b.csv.synthetic.json").write_text("{}")
    with pytest.raises(UserError, match="b.csv.synthetic.json' exists"):      # the sidecar is never replaced either
        augment(run, tmp_path / "b.csv")
    assert not (tmp_path / "b.csv").exists()


@pytest.fixture(scope="module")
def ucr_run(tmp_path_factory):
    """A 2-class run on a UCR file whose labels are -1 (16 series) and 1 (9)."""
    root = tmp_path_factory.mktemp("ucr")
    rng = np.random.default_rng(2)
    (root / "Toy_TRAIN.tsv").write_text("".join(f"{k}\t" + "\t".join(map(str, r)) + "\n"
                                                for k, r in zip([-1] * 16 + [1] * 9, rng.normal(size=(25, 32)))))
    return _train(root / "r", root / "Toy_TRAIN.tsv"), root / "Toy_TRAIN.tsv"


def test_a_ucr_file_comes_back_as_ucr_and_as_an_npz_with_its_class_names(ucr_run, tmp_path):
    run, src = ucr_run
    augment(run, tmp_path / "Toy_AUG_TRAIN.tsv", per_class=18)
    lines = (tmp_path / "Toy_AUG_TRAIN.tsv").read_text().splitlines()
    assert len(lines) == 36 and all(len(r.split("\t")) == 33 for r in lines)     # no header, tab-separated
    assert [r.split("\t")[0] for r in lines[25:]] == ["-1"] * 2 + ["1"] * 9    # label first, the file's values
    back = read_series(tmp_path / "Toy_AUG_TRAIN.tsv")                         # read as UCR by its name
    real = read_series(src)
    assert back.fmt == "ucr" and back.class_names == ["-1", "1"] and np.bincount(back.labels).tolist() == [18, 18]
    np.testing.assert_array_equal(back.x[:25], real.x)
    augment(run, tmp_path / "t.npz")                                           # an .npz from any input
    with np.load(tmp_path / "t.npz") as z:                                     # labels -1, 1: numbers and names
        assert z["class_names"].tolist() == ["-1", "1"] and np.bincount(z["y_train"]).tolist() == [16, 16]


def test_a_wav_folder_comes_back_as_a_folder_at_its_sample_rate(tmp_path):
    sf = pytest.importorskip("soundfile")
    t = np.arange(64) / 8000
    for i in range(16):
        cls, freq = ("high", 2000) if i < 10 else ("low", 500)
        (tmp_path / "w" / cls).mkdir(parents=True, exist_ok=True)
        tone = 0.5 * np.sin(2 * np.pi * freq * t + i)
        sf.write(tmp_path / "w" / cls / f"rec{i}.wav", np.stack([tone, -tone], axis=1), 8000, subtype="PCM_16")
    run = _train(tmp_path / "r", tmp_path / "w")
    assert run.domain_state["sample_rate"] == 8000
    report = augment(run, tmp_path / "a")
    assert report["synthetic"] == [0, 4]
    for f in (tmp_path / "w").rglob("*.wav"):                                  # real files copied unchanged
        assert filecmp.cmp(f, tmp_path / "a" / f.relative_to(tmp_path / "w"), shallow=False)
    new = sorted((tmp_path / "a" / "low").glob("synthetic_*.wav"))
    assert [p.name for p in new] == [f"synthetic_{i:06d}.wav" for i in range(4)]
    info = sf.info(str(new[0]))
    assert (info.samplerate, info.channels, info.frames, info.subtype) == (8000, 2, 64, "PCM_16")
    assert json.loads((tmp_path / "a" / "augment.json").read_text())["synthetic"] == [0, 4]
    back = read_series(tmp_path / "a")
    assert back.class_names == ["high", "low"] and np.bincount(back.labels).tolist() == [10, 10]
    del run.domain_state["sample_rate"]                                        # a checkpoint from before: re-read
    augment(run, tmp_path / "b")
    assert sf.info(str(tmp_path / "b" / "low" / "synthetic_000000.wav")).samplerate == 8000


class _Always(nn.Module):
    """Logits that always say class ``k`` of ``n``."""

    def __init__(self, k: int, n: int):
        super().__init__()
        self.k, self.n = k, n

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.one_hot(torch.full((x.shape[0],), self.k, dtype=torch.long), self.n).float()


class _Parity(nn.Module):
    """Class = parity of the first sample x 1e4: about half of any class's series are accepted."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.nn.functional.one_hot(_parity(x), 2).float()


def _parity(x: torch.Tensor) -> torch.Tensor:
    return torch.remainder(torch.floor(x[:, 0, 0] * 10000.0), 2.0).long()


def test_the_filter_keeps_only_series_the_classifier_puts_in_their_class(npz_run, ucr_run, tmp_path, capsys):
    run, _ = npz_run
    torch.jit.script(_Always(0, 3)).save(str(tmp_path / "zero.pt"))
    with pytest.raises(UserError, match=r"class 1 \(2\): the filter classifier accepted 0 of 160 generated series "
                                        r"\(0.0%\)") as e:
        augment(run, tmp_path / "a.npz", filter_net=tmp_path / "zero.pt", max_draws=20)
    assert "\n" not in str(e.value)
    assert _leftovers(tmp_path, "zero.pt") == []                              # nothing written on failure
    torch.jit.script(_Parity()).save(str(tmp_path / "parity.pt"))
    assert main(["augment", str(ucr_run[0].run_dir), "--per-class", "40", "-o", str(tmp_path / "c.npz"),
                 "--filter", str(tmp_path / "parity.pt")]) == 0
    shares = capsys.readouterr().out.split("the filter accepted, per class: ")[1].splitlines()[0]
    assert all(0.2 < a < 0.8 for a in json.loads(shares)), shares
    with np.load(tmp_path / "c.npz") as z:
        fake, y = torch.from_numpy(z["x_train"][z["synthetic"]]), z["y_train"][z["synthetic"]]
        assert len(y) == 55 and (_parity(fake).numpy() == y).all()


@pytest.mark.parametrize("net, message", [
    (_Always(0, 5), r"gives \(2, 5\) for 2 series; this run has 3 classes"),
    (nn.Sequential(nn.Flatten(), nn.Linear(16, 3)), r"does not take this run's series of shape \(N, 2, 32\)"),
])
def test_a_classifier_that_does_not_fit_the_run_is_refused(npz_run, tmp_path, net, message):
    run, _ = npz_run
    with pytest.raises(UserError, match=message) as e:
        augment(run, tmp_path / "a.npz", filter_net=torch.jit.script(net))
    assert "\n" not in str(e.value) and _leftovers(tmp_path) == []


def test_a_classifier_file_trained_on_other_series_is_refused(npz_run, tmp_path):
    torch.jit.save(torch.jit.script(_Always(0, 3)), str(tmp_path / "c.pt"),
                   _extra_files={"wgangp.json": json.dumps({"channels": 2, "length": 64})})
    with pytest.raises(UserError, match="'c.pt' was trained on series of 2 channel.s. and 64 samples; this run's "
                                        "have 2 and 32"):
        augment(npz_run[0], tmp_path / "a.npz", filter_net=tmp_path / "c.pt")
    assert _leftovers(tmp_path, "c.pt") == []


def test_a_spectrogram_run_augments_with_series_of_the_files_length(tmp_path):
    x = np.random.default_rng(4).normal(size=(24, 1, 40)).astype(np.float32)
    np.savez(tmp_path / "s.npz", x_train=x, y_train=np.repeat([0, 1], [16, 8]))
    run = wgangp.train("signals-sines-spec", tmp_path / "r", {**TINY, "data.path": str(tmp_path / "s.npz")},
                       progress=False)
    augment(run, tmp_path / "a.npz")
    with np.load(tmp_path / "a.npz") as z:
        assert z["x_train"].shape == (32, 1, 40) and z["synthetic"].sum() == 8
        assert z["x_train"][:24].tobytes() == x.tobytes()


def test_a_padded_run_takes_a_filter_classifier_trained_on_its_file(tmp_path, capsys):
    """Series of 24 samples, zero-padded to 32 for dcgan-1d: the classifier 'wgangp classifier' makes of
    the file knows 24 samples, and augment filters with it (series cropped back to 24, as the file)."""
    x = np.random.default_rng(5).normal(size=(24, 1, 24)).astype(np.float32)
    np.savez(tmp_path / "s.npz", x_train=x, y_train=np.repeat([0, 1], [14, 10]))
    run = _train(tmp_path / "r", tmp_path / "s.npz")
    assert run.config.data.length == 32
    assert main(["classifier", str(tmp_path / "s.npz"), "-o", str(tmp_path / "c.pt"), "--epochs", "2"]) == 0
    assert main(["augment", str(run.run_dir), "--balance", "-o", str(tmp_path / "a.npz"), "--filter",
                 str(tmp_path / "c.pt"), "--max-draws", "1000"]) == 0
    with np.load(tmp_path / "a.npz") as z:
        assert z["x_train"].shape == (28, 1, 24) and z["synthetic"].sum() == 4
        assert z["x_train"][:24].tobytes() == x.tobytes()                      # the real rows as the file holds them


def test_augment_with_truncation_writes_the_truncated_samplers_rows(npz_run, tmp_path):
    run, _ = npz_run
    assert main(["augment", str(run.run_dir), "--balance", "--seed", "3", "--truncation", "0.5",
                 "-o", str(tmp_path / "t.npz")]) == 0
    want = run.to_data_units(run.truncated(0.5).sample(8, seed=4, classes=1)).numpy()
    plain = run.to_data_units(run.sample(8, seed=4, classes=1)).numpy()
    with np.load(tmp_path / "t.npz") as z:
        np.testing.assert_array_equal(z["x_train"][40:48], want)
        assert not np.array_equal(z["x_train"][40:48], plain)


def test_a_resampled_run_makes_series_of_the_files_length_and_augments_with_the_files_rows(tmp_path):
    """Series of 40 samples resampled to 16 for training (data.resample): samples are resampled, not
    cropped, back to 40, and augment writes the file's own rows beside 40-sample synthetic ones."""
    from wgangp.data.series_io import resample_to

    t = np.arange(40) / 40
    x = np.sin(2 * np.pi * (t + np.random.default_rng(6).uniform(size=(24, 1, 1)))).astype(np.float32)
    np.savez(tmp_path / "s.npz", x_train=x, y_train=np.repeat([0, 1], [14, 10]))
    run = _train(tmp_path / "r", tmp_path / "s.npz", **{"data.length": 16, "data.resample": True})
    assert run.config.data.length == 16 and run.data_shape == (1, 16)
    assert run.domain_state["own_length"] == 40 and run.domain_state["resampled"]
    raw = run.sample(5, seed=1, classes=0)
    want = resample_to(raw.numpy(), 40) * run.domain_state["scale"][0]
    np.testing.assert_allclose(run.to_data_units(raw).numpy(), want, rtol=1e-5, atol=1e-6)
    augment(run, tmp_path / "a.npz")
    with np.load(tmp_path / "a.npz") as z:
        assert z["x_train"].shape == (28, 1, 40) and z["synthetic"].sum() == 4
        assert z["x_train"][:24].tobytes() == x.tobytes()                      # the file's rows, not resampled twice
    auto = _train(tmp_path / "r2", tmp_path / "s.npz", **{"data.resample": True})
    assert auto.config.data.length == 48 and auto.domain_state["own_length"] == 40


def test_series_of_unequal_lengths_get_a_filter_classifier_at_the_runs_length(tmp_path, capsys):
    """A UCR file of rows of 30 to 40 samples (NaN tails), resampled to 16 for training: 'wgangp
    classifier --length 16 --resample' trains on the same resampled series and is the filter augment takes; one
    trained on cropped/padded series, or without a length, is refused in one line."""
    from wgangp.data.series_text import write_csv
    from wgangp.domains.signals.augment import load_filter, written_resampled

    rng = np.random.default_rng(8)
    x = np.sin(2 * np.pi * rng.uniform(size=(24, 1, 1)) + np.arange(40) / 6).astype(np.float32)
    for i in range(0, 24, 2):
        x[i, :, 30 + i // 3:] = np.nan                                         # a shorter series
    path = write_csv(x, np.repeat([0, 1], [14, 10]), ["a", "b"], tmp_path / "S_TRAIN.tsv", sep="\t", header=False)
    run = _train(tmp_path / "r", path, **{"data.length": 16, "data.resample": True})
    assert run.data_shape == (1, 16) and "own_length" not in run.domain_state
    clf = ["classifier", str(path), "--epochs", "2", "-o"]
    assert main([*clf, str(tmp_path / "none.pt")]) == 2
    err = capsys.readouterr().err
    assert "unequal lengths" in err and "(for the classifier: --length N, and --resample; as the run's)" in err
    assert err.count("wgangp: error:") == 1 and not (tmp_path / "none.pt").exists()
    assert main([*clf, str(tmp_path / "c.pt"), "--length", "16", "--resample"]) == 0
    assert written_resampled(run)                     # the filter augment would load for this run: accepted
    assert load_filter(tmp_path / "c.pt", 2, (1, 16), resampled=True)(torch.zeros(3, 1, 16)).shape == (3, 2)
    assert main([*clf, str(tmp_path / "padded.pt"), "--length", "16"]) == 0
    capsys.readouterr()
    assert main(["augment", str(run.run_dir), "--balance", "-o", str(tmp_path / "b.npz"), "--filter",
                 str(tmp_path / "padded.pt")]) == 2
    assert ("'padded.pt' was trained on cropped or padded series; this run's are resampled to 16 samples: train it "
            "with --resample") in capsys.readouterr().err and not (tmp_path / "b.npz").exists()
    assert main([*clf, str(tmp_path / "bad.pt"), "--resample"]) == 2
    assert "must be > 0 to resample" in capsys.readouterr().err


def test_the_classifier_options_of_another_kind_are_refused_before_training(npz_run, tmp_path, capsys):
    """The kind that claims the data trains the classifier; --resolution (images) for series and --length
    (signals) for images are one-line refusals, nothing written."""
    images = tmp_path / "i.npz"
    np.savez(images, x_train=np.zeros((8, 1, 8, 8), np.uint8), y_train=np.arange(8) % 2)
    for data, flag, kind in ((npz_run[1], ["--resolution", "32"], "signals"), (images, ["--length", "16"], "images")):
        assert main(["classifier", str(data), "-o", str(tmp_path / "c.pt"), *flag]) == 2
        err = capsys.readouterr().err
        assert f"{flag[0]} does not apply to {kind} data; '{data}' holds {kind}: drop it" in err
        assert not (tmp_path / "c.pt").exists()


def test_a_csv_with_a_label_column_gets_a_classifier_through_label(tmp_path, capsys):
    """A CSV of one series a row with its class in a named column: without --label the classifier is refused
    in one line that names --label; 'wgangp classifier --label kind' trains on the column's classes, which the
    saved file names, and a column the file does not have is one line."""
    import json

    import pandas as pd

    rng = np.random.default_rng(3)
    y = np.repeat([0, 1], 12)
    x = np.sin(2 * np.pi * (2 + 3 * y[:, None]) * np.arange(32) / 32) + 0.1 * rng.normal(size=(24, 32))
    frame = pd.DataFrame(x, columns=[f"t{i}" for i in range(32)])
    frame.insert(5, "kind", np.where(y == 0, "slow", "fast"))                  # the label column, not first or last
    frame.to_csv(tmp_path / "s.csv", index=False)
    clf = ["classifier", str(tmp_path / "s.csv"), "--epochs", "2", "-o"]
    assert main([*clf, str(tmp_path / "none.pt")]) == 2
    err = capsys.readouterr().err
    assert "'slow' is not a number" in err and "wgangp classifier: --label" in err and err.count("error:") == 1
    assert not (tmp_path / "none.pt").exists()
    assert main([*clf, str(tmp_path / "c.pt"), "--label", "kind"]) == 0
    assert "2 classes, 24 training series" in capsys.readouterr().out
    extra = {"wgangp.json": ""}
    net = torch.jit.load(str(tmp_path / "c.pt"), _extra_files=extra)
    meta = json.loads(extra["wgangp.json"])
    assert meta["class_names"] == ["fast", "slow"] and meta["length"] == 32 and net(torch.zeros(3, 1, 32)).shape == (3, 2)
    assert main([*clf, str(tmp_path / "bad.pt"), "--label", "colour"]) == 2
    err = capsys.readouterr().err
    assert err.count("error:") == 1 and "colour" in err and not (tmp_path / "bad.pt").exists()
