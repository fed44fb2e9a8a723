"""The playground's point data, owned by the points domain: toy sets by name, or drawn points."""
import numpy as np
import pytest

from wgangp.data.toy import TOYS, load_points
from wgangp.domains.points.drawn import CHOICES, COPIES, DEFAULT, MIN_DRAWN, data_keys, form_keys
from wgangp.errors import UserError


def test_every_toy_set_is_a_playground_choice_named_as_the_trainer_names_it(tmp_path):
    assert set(TOYS) < set(CHOICES)
    for name in TOYS:
        assert data_keys(name, None, tmp_path / "run") == {"data.name": name}


def test_drawn_points_become_a_point_file_the_points_reader_loads_as_a_cloud_around_them(tmp_path):
    ring = [[np.cos(a), np.sin(a)] for a in np.linspace(0, 2 * np.pi, 10, endpoint=False)]
    keys = data_keys("drawn", ring, tmp_path / "run-001")
    assert keys["data.name"] == "points"
    cloud = load_points(keys["data.path"]).numpy()
    assert cloud.shape == (10 * COPIES, 2)
    nearest = np.linalg.norm(cloud[:, None] - np.asarray(ring)[None], axis=-1).min(axis=1)
    assert nearest.max() < 0.4 and nearest.mean() > 0.01          # near the drawn points, not on them


@pytest.mark.parametrize("choice, points, message", [
    ("moons", None, "data: one of"),
    ("drawn", [[0, 0]] * (MIN_DRAWN - 1), f"at least {MIN_DRAWN} points"),
    ("drawn", "not points", "[x, y] pairs"),
    ("drawn", [[0, float("nan")]] * MIN_DRAWN, f"at least {MIN_DRAWN} points"),
])
def test_a_bad_choice_or_drawing_is_one_line_and_writes_nothing(tmp_path, choice, points, message):
    with pytest.raises(UserError, match=message.replace("[", r"\[").replace("]", r"\]")):
        data_keys(choice, points, tmp_path / "run")
    assert not list(tmp_path.iterdir())


def test_a_form_without_a_data_field_trains_the_default_and_a_drawn_form_brings_its_points(tmp_path):
    assert form_keys({}, tmp_path / "run") == {"data.name": DEFAULT}
    ring = [[float(np.cos(a)), float(np.sin(a))] for a in np.linspace(0, 6, 12)]
    keys = form_keys({"data": "drawn", "points": ring}, tmp_path / "run-002")
    assert keys["data.name"] == "points" and np.load(keys["data.path"]).shape == (12 * COPIES, 2)
