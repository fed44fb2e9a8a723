"""Training stays bit-identical to what the recorded fingerprints say (experiments/fingerprints.py,
benchmarks/results/fingerprints-before.json: recorded before the #12 restructuring, on torch 2.14.1's
CPU build, on a CPU whose kind was not recorded; benchmarks/results/fingerprints-cpu-KIND.json: the
same code recorded on a CPU of that kind, as the kernels' bits differ between AVX2, AVX512 and AMX
machines). A change that alters the maths, the order of random draws or the initialisation fails
here; a deliberate change re-records the files and says so. On a CPU kind with a recording the test
is strict; elsewhere it passes on a match with the first recording and otherwise skips, naming the
kind and the command that records it."""
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
KIND = fingerprints.cpu_kind()
_OWN = ROOT / f"benchmarks/results/fingerprints-cpu-{KIND}.json"
OWN = {r["family"]: r for r in json.loads(_OWN.read_text())} if _OWN.is_file() else {}
CHEAP = ["toy-8gaussians-fast", "toy-25gaussians-fast (EMA)", "toy-8gaussians-wgan-clip", "toy-8gaussians-gan",
         "toy-8gaussians-cond", "signals-sines-cond", "table-breast-cancer"]


@pytest.mark.skipif(not torch.__version__.startswith("2.14.1"), reason="fingerprints were recorded on torch 2.14.1")
@pytest.mark.parametrize("family", CHEAP)
def test_training_is_bit_identical_to_the_recorded_fingerprint(tmp_path, family):
    threads = torch.get_num_threads()
    try:
        preset, overrides = fingerprints.families(tmp_path)[family]
        got = fingerprints.fingerprint(family, preset, overrides, tmp_path)
        if OWN:
            assert {**got, "cpu": KIND} == OWN[family]
        elif got != RECORDED[family]:
            pytest.skip(f"no fingerprints recorded for this CPU kind ({KIND}) and the first recording's differ; "
                        f"record them: python experiments/fingerprints.py --out {_OWN.relative_to(ROOT)}")
    finally:
        torch.set_num_threads(threads)
