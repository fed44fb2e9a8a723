"""The signals domain hands the source the steps it applies (data.circular, spectrograms); the source
applies whatever it is given, in order, and keeps each step's entry; generated samples are undone
step by step in reverse order from a checkpoint's entries alone."""
import pytest
import torch

from wgangp.config import load_config
from wgangp.data.circular import rotate
from wgangp.data.signals import SignalSource, sines
from wgangp.domains.signals import transforms as tf
from wgangp.errors import UserError


def _data(**over):
    return load_config("signals-sines-cond", {"device": "cpu", **over}).data


class Negate:
    key = "negated"

    def fit(self, x, labels, source):
        self.seen = (x.clone(), labels)
        return -x

    def entry(self):
        return {"n": len(self.seen[0])}


def test_the_source_applies_the_steps_it_is_given_and_keeps_their_entries():
    x, y = sines(n_per_class=20)
    step = Negate()
    src = SignalSource(_data(), 0, arrays=(x, y), transforms=[step])
    scaled = x / x.abs().amax(dim=(0, 2))[:, None]
    torch.testing.assert_close(step.seen[0], scaled)                  # the step sees the scaled series
    assert torch.equal(step.seen[1], y)
    torch.testing.assert_close(src.points, -scaled)                   # batches come from what it made
    torch.testing.assert_close(src.series, scaled)                    # the series stay as they were
    assert src.signal_state()["negated"] == {"n": 80}
    assert "negated" not in SignalSource(_data(), 0, arrays=(x, y)).signal_state()


@pytest.mark.parametrize("over, steps", [
    ({}, []),
    ({"data.circular": True}, [tf.Align]),
    ({"data.representation": "spectrogram", "model.arch": "dcgan-mnist", "data.resolution": 28}, [tf.Spectrogram]),
])
def test_the_domain_asks_for_the_steps_its_config_names(over, steps):
    assert [type(s) for s in tf.series_transforms(_data(**over))] == steps


def test_a_spectrogram_without_its_side_is_one_line():
    with pytest.raises(UserError, match="needs data.resolution"):
        tf.series_transforms(_data(**{"data.representation": "spectrogram", "model.arch": "dcgan-mnist"}))


def test_undo_runs_the_steps_in_reverse_order(monkeypatch):
    done = []
    for step in tf.STEPS:
        monkeypatch.setattr(step, "undo", staticmethod(lambda x, entry, k=step.key: done.append(k) or x + 1))
    out = tf.undo(torch.zeros(2, 1, 8), {"circular": {"shifts": [0]}, "spectrogram": {"side": 8}, "scale": [1.0]})
    assert done == [s.key for s in reversed(tf.STEPS)] and float(out.max()) == 2.0
    assert tf.undo(torch.zeros(2, 1, 8), {"scale": [1.0]}).abs().max() == 0        # no entries: unchanged
    assert tf.STEPS.index(tf.Align) < tf.STEPS.index(tf.Spectrogram)


def test_aligned_series_come_back_at_the_real_phases():
    x, y = sines(n_per_class=20)
    step = tf.Align()
    src = SignalSource(_data(), 0, arrays=(x, y), transforms=[step])
    entry = src.signal_state()["circular"]
    back = tf.Align.undo(src.points[:5], entry)
    assert back.shape == (5, 1, 64) and len(entry["shifts"]) == 80
    assert not torch.equal(src.points, src.series)                    # they were rotated
    undone = {-s % 64 for s in entry["shifts"]}                       # a real series' shift, undone
    for made, out in zip(src.points[:5], back):
        assert any(torch.equal(rotate(made[None], torch.tensor([s]))[0], out) for s in undone)
    assert any(not torch.equal(made, out) for made, out in zip(src.points[:5], back))
