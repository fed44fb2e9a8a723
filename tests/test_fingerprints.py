"""Training stays bit-identical to what the recorded fingerprints say (experiments/fingerprints.py,
benchmarks/results/fingerprints-before.json: recorded before the #12 restructuring, on torch 2.14.1's
CPU build). A change that alters the maths, the order of random draws or the initialisation fails
here; a deliberate change re-records the file and says so."""
import importlib.util
import json
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parents[1]
RECORDED = {r["family"]: r for r in json.loads((ROOT / "benchmarks/results/fingerprints-before.json").read_text())}
_spec = importlib.util.spec_from_file_location("fingerprints", ROOT / "experiments" / "fingerprints.py")
fingerprints = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fingerprints)
CHEAP = ["toy-8gaussians-fast", "toy-25gaussians-fast (EMA)", "toy-8gaussians-wgan-clip", "toy-8gaussians-gan",
         "toy-8gaussians-cond", "signals-sines-cond", "table-breast-cancer"]


@pytest.mark.skipif(not torch.__version__.startswith("2.14.1"), reason="fingerprints were recorded on torch 2.14.1")
@pytest.mark.parametrize("family", CHEAP)
def test_training_is_bit_identical_to_the_recorded_fingerprint(tmp_path, family):
    threads = torch.get_num_threads()
    try:
        preset, overrides = fingerprints.families(tmp_path)[family]
        assert fingerprints.fingerprint(family, preset, overrides, tmp_path) == RECORDED[family]
    finally:
        torch.set_num_threads(threads)
