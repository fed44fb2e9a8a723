"""``data.circular``: closed curves aligned to one phase for training and rotated back for samples.

The module's own pieces (rotate, align, the draw of shifts), then a run: the network's points are the
file's series rotated to one phase, samples come out at phases of real series, and settings that make
no sense for closed curves are one-line refusals."""
import numpy as np
import pytest
import torch

import wgangp
from wgangp.data.circular import align, draw_shifts, orient, oriented, rotate, unorient
from wgangp.errors import UserError

TINY = {"data.name": "signals", "data.batch_size": 8, "model.dim": 4, "model.noise_dim": 8, "train.iterations": 2,
        "train.eval_every": 0, "train.eval_samples": 40, "device": "cpu", "model.arch": "dcgan-1d"}


def _shifted_classes(n_per_class=20, length=48, noise=0.05, seed=0):
    """Three class templates (random walks closed into loops), each series one of them started at a random
    point, with noise: ``(x (N, 1, L), labels (N,), true shifts (N,))``."""
    g = torch.Generator().manual_seed(seed)
    walk = torch.randn(3, 1, length, generator=g).cumsum(-1)
    templates = walk - torch.linspace(0, 1, length) * (walk[..., -1:] - walk[..., :1])   # end meets start
    labels = torch.arange(3).repeat_interleave(n_per_class)
    true = torch.randint(length, (len(labels),), generator=g)
    x = rotate(templates[labels], -true) + noise * torch.randn(len(labels), 1, length, generator=g)
    return x, labels, true


def test_rotate_moves_the_start_of_each_series_by_its_own_shift():
    x = torch.arange(10.0).repeat(2, 2, 1)                       # (2, 2, 10): two series of two channels
    out = rotate(x, torch.tensor([3, -1]))
    assert out[0, 0].tolist() == [3, 4, 5, 6, 7, 8, 9, 0, 1, 2] and torch.equal(out[0, 0], out[0, 1])
    assert out[1, 0].tolist() == [9, 0, 1, 2, 3, 4, 5, 6, 7, 8]
    assert torch.equal(rotate(out, -torch.tensor([3, -1])), x)   # a permutation: undone exactly


def test_align_brings_every_series_of_a_class_to_one_phase_and_the_classes_to_one_frame():
    x, labels, true = _shifted_classes()
    shifts = align(x, labels)
    offset = (shifts - true) % x.shape[-1]                       # the common frame's start, per series
    for c in range(3):
        assert offset[labels == c].unique().numel() == 1         # every series of a class: the same phase
    aligned = rotate(x, shifts)
    spread = lambda z: sum(z[labels == c].var(dim=0).sum() for c in range(3))   # noqa: E731
    assert spread(aligned) < 0.05 * spread(x)
    unlabelled = align(x)                                        # no labels: one group, still one phase per class
    assert all(((unlabelled - true) % 48)[labels == c].unique().numel() <= 2 for c in range(3))


def test_drawn_shifts_are_the_real_ones_undone_and_repeat_for_the_same_samples():
    x = torch.randn(50, 1, 16)
    real = [2, 5, 11]
    drawn = draw_shifts(real, 50, x)
    assert set((-drawn).tolist()) <= set(real) and len(set(drawn.tolist())) == 3
    assert torch.equal(drawn, draw_shifts(real, 50, x.clone())) and not torch.equal(drawn, draw_shifts(real, 50, x + 1))


def test_mirror_reverses_the_curves_traced_the_other_way_and_brings_them_to_their_class_phase():
    x, labels, true = _shifted_classes(noise=0.02)
    turned = torch.arange(len(x)) % 3 == 0                       # a third of the curves traced the other way
    x = torch.where(turned[:, None, None], x.flip(-1), x)
    spread = lambda z: sum(z[labels == c].var(dim=0).sum() for c in range(3))   # noqa: E731
    shifts, flips = orient(x, labels, mirror=True)
    for c in range(3):                                           # within a class: reversed exactly where turned
        rows = labels == c
        assert torch.equal(flips[rows], turned[rows]) or torch.equal(flips[rows], ~turned[rows])
    assert spread(oriented(x, shifts, flips)) < 0.05 * spread(x)
    plain = align(x, labels)                                     # rotation alone cannot bring them together
    assert spread(rotate(x, plain)) > 5 * spread(oriented(x, shifts, flips))
    assert not orient(x, labels)[1].any()                        # without mirror nothing is flipped


def test_mirror_turns_a_whole_class_traced_the_other_way_into_the_common_frame():
    x, labels, _ = _shifted_classes(noise=0.0)
    x, labels = x[labels < 2], labels[labels < 2]
    x[labels == 1] = rotate(x[labels == 0].flip(-1), torch.arange(20) * 2)   # class 1: class 0's curves reversed
    shifts, flips = orient(x, labels, mirror=True)
    assert flips[labels == 0].unique().numel() == 1 and flips[labels == 1].unique().numel() == 1
    assert flips[0] != flips[20]                                 # one class turned by the frame step
    out = oriented(x, shifts, flips)
    assert torch.allclose(out, out[:1].expand_as(out), atol=1e-5)  # every curve the same, in one frame


def test_unorient_puts_generated_curves_at_a_real_phase_and_direction():
    y = torch.randn(40, 1, 16)
    shifts, flips = [3, 7], [False, True]
    back = unorient(y, shifts, flips)
    for row, made in zip(back, y):                              # each is a real series' frame undone
        undone = [rotate(made[None], torch.tensor([-3]))[0], rotate(made[None], torch.tensor([-7]))[0].flip(-1)]
        assert any(torch.equal(row, u) for u in undone)
    assert torch.equal(back, unorient(y.clone(), shifts, flips))
    assert any(torch.equal(b, rotate(m[None], torch.tensor([-7]))[0].flip(-1)) for b, m in zip(back, y))
    assert torch.equal(oriented(unorient(y[:1], [3], [True]), torch.tensor([3]), torch.tensor([True])), y[:1])


@pytest.fixture(scope="module")
def loops(tmp_path_factory):
    root = tmp_path_factory.mktemp("loops")
    x, labels, _ = _shifted_classes(n_per_class=12, length=48)
    np.savez(root / "loops.npz", x_train=x.numpy(), y_train=labels.numpy())
    run = wgangp.train("signals-sines-cond", root / "r", {**TINY, "data.path": str(root / "loops.npz"),
                                                             "data.circular": True}, progress=False)
    return run, x, labels


def test_a_circular_run_trains_on_aligned_series_and_samples_at_real_phases(loops):
    run, x, labels = loops
    assert any("data.circular: every series is rotated to one phase" in n for n in
               run.domain.resolve(wgangp.load_config("signals-sines-cond", {**TINY, "data.path": run.config.data.path,
                                                                            "data.circular": True})))
    shifts = torch.tensor(run.domain_state["circular"]["shifts"])
    source = run.reference_source()
    scaled = x / x.abs().amax()
    assert torch.allclose(source.series, scaled) and torch.equal(shifts, align(scaled, labels))
    assert torch.allclose(source.points, rotate(scaled, shifts))   # what the critic sees: one phase
    back = run.domain.to_data_units(source.points, run.domain_state)   # the aligned series as samples come out
    real = set(shifts.tolist())                                      # each comes out at some real series' phase
    for row, point in zip(back, source.points * x.abs().amax()):
        assert any(torch.allclose(row, rotate(point[None], torch.tensor([-s]))[0], atol=1e-5) for s in real)
    assert not torch.allclose(back, source.points * x.abs().amax())   # not left at the common phase
    assert run.sample(5, seed=1).shape == (5, 1, 48) and run.to_data_units(run.sample(5, seed=1)).shape == (5, 1, 48)


def test_a_mirrored_run_trains_on_curves_turned_one_way_and_keeps_the_flips_it_samples_with(tmp_path):
    x, labels, _ = _shifted_classes(n_per_class=12, length=48)
    x = torch.where((torch.arange(len(x)) % 2 == 0)[:, None, None], x.flip(-1), x)
    np.savez(tmp_path / "turned.npz", x_train=x.numpy(), y_train=labels.numpy())
    run = wgangp.train("signals-sines-cond", tmp_path / "r", {**TINY, "data.path": str(tmp_path / "turned.npz"),
                                                              "data.circular": True, "data.mirror": True}, progress=False)
    entry = run.domain_state["circular"]
    shifts, flips = torch.tensor(entry["shifts"]), torch.tensor(entry["flips"])
    source = run.reference_source()
    assert flips.any() and not flips.all()
    assert torch.allclose(source.points, oriented(source.series, shifts, flips))   # what the critic sees
    assert run.to_data_units(run.sample(6, seed=1)).shape == (6, 1, 48)


def test_settings_that_do_not_fit_closed_curves_are_refused_in_one_line(loops, tmp_path):
    run, x, _ = loops
    path = run.config.data.path
    with pytest.raises(UserError, match="data.circular rotates the series themselves: it applies with "
                                        "data.representation=waveform"):
        wgangp.load_config("signals-sines-cond", {**TINY, "data.path": path, "data.circular": True,
                                                  "data.representation": "spectrogram", "model.arch": "dcgan"})
    np.savez(tmp_path / "short.npz", x_train=x[:, :, :40].numpy(), y_train=np.zeros(len(x), np.int64))
    with pytest.raises(UserError, match=r"data.circular rotates whole series; these were zero-padded from 40 to 48 "
                                        r"samples: add data.resample=true"):
        wgangp.train("signals-sines-cond", tmp_path / "p", {**TINY, "data.path": str(tmp_path / "short.npz"),
                                                              "data.circular": True}, progress=False)
    with pytest.raises(UserError, match="data.circular=True applies to signals data"):
        wgangp.load_config("toy-8gaussians", {"data.circular": True})
    with pytest.raises(UserError, match="data.mirror reverses closed curves traced the other way: it applies with "
                                        "data.circular=true"):
        wgangp.load_config("signals-sines-cond", {**TINY, "data.path": path, "data.mirror": True})
    with pytest.raises(UserError, match=r"trained in one direction \(data.mirror\) and this run's are not"):
        wgangp.train("signals-sines-cond", tmp_path / "m", {**TINY, "data.path": path, "data.circular": True,
                                                              "data.mirror": True, "train.init_from": str(run.run_dir)},
                     progress=False)
    with pytest.raises(UserError, match=r"trained at one phase \(data.circular\) and this run's are not"):
        wgangp.train("signals-sines-cond", tmp_path / "t", {**TINY, "data.path": path,
                                                              "train.init_from": str(run.run_dir)}, progress=False)
