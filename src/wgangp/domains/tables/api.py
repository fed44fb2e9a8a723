"""A table-first Python interface, in the shape tabular users know (SDV, synthcity)::

    synth = wgangp.TableSynthesizer(label="species").fit(df)      # a DataFrame, or a .csv / .parquet path
    synth.evaluation                                                # fidelity, TSTR utility, privacy
    fake = synth.sample(1000, conditions={"island": "Dream"})       # a DataFrame in df's dtypes
    synth.save("penguins-model")                                    # the model only, never the records
    synth = wgangp.TableSynthesizer.load("penguins-model")

It is the ``table`` preset run through :func:`wgangp.train`: the same checks, run directory,
checkpoints and evaluation as ``wgangp train table``.
"""
from __future__ import annotations

import json
import shutil
import tempfile
import uuid
from pathlib import Path

import numpy as np

from wgangp.errors import UserError

SAVED = ("config.json", "checkpoint.pt", "eval.json", "best.pt", "best.json")   # what save() keeps: no data, no logs
MAX_DRAWS = 100                                         # sample(conditions=): draws per wanted record, at most


class TableSynthesizer:
    """Synthetic records of one table (see the module docstring).

    ``label``: the class column (the utility target); ``conditional`` (default: true when a label is
    given) conditions the generator on it. ``overrides``: any other config keys
    (``{"train.iterations": 500}``); ``out``: keep the run there (default: a temporary directory).
    """

    def __init__(self, label: str = "", conditional: bool | None = None, holdout: float = 0.2,
                 categorical: list[str] | tuple = (), drop: list[str] | tuple = (), dp_epsilon: float = 0.0,
                 seed: int = 0, device: str = "cpu", out: str | Path | None = None, overrides: dict | None = None,
                 progress: bool = False):
        self.overrides = {"data.label": label, "model.conditional": bool(label) if conditional is None else conditional,
                          "data.holdout": holdout, "data.categorical": ",".join(categorical), "data.drop": ",".join(drop),
                          "seed": seed, "device": device, **({"train.dp_epsilon": dp_epsilon} if dp_epsilon else {}),
                          **(overrides or {})}
        self.out, self.progress = out, progress
        self.run, self.evaluation, self._tmp = None, {}, None

    def fit(self, data) -> "TableSynthesizer":
        """Train on ``data`` (a pandas DataFrame, or the path of a .csv / .tsv / .parquet file)."""
        from wgangp.api import train
        from wgangp.config import load_config
        from wgangp.data.tabular import FRAMES, MEMORY

        key = None
        if isinstance(data, (str, Path)):
            path = str(data)
        elif hasattr(data, "columns") and hasattr(data, "iloc"):
            key = path = f"{MEMORY}{uuid.uuid4().hex}"
            FRAMES[key] = data
        else:
            raise UserError(f"TableSynthesizer.fit takes a pandas DataFrame or a file path, not {type(data).__name__}")
        try:
            cfg = load_config("table", {**self.overrides, "data.path": path})
            if self.out is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="wgangp-table-")
            out = Path(self.out) if self.out is not None else Path(self._tmp.name) / "run"
            self.run = train(cfg, out, progress=self.progress)
        finally:
            if key is not None:
                FRAMES.pop(key, None)
        result = self.run.run_dir / "eval.json"
        self.evaluation = json.loads(result.read_text()) if result.is_file() else {}
        return self

    def _need_run(self):
        if self.run is None:
            raise UserError("this TableSynthesizer is not trained: call .fit(data) or TableSynthesizer.load(dir) first")
        return self.run

    def sample(self, n: int, conditions: dict | None = None, seed: int = 0):
        """``n`` synthetic records as a DataFrame in the input's dtypes. ``conditions``
        (``{"column": value}``): the label of a conditional run is generated as asked; any other
        categorical / boolean column (or a label of an unconditional run) by keeping the generated
        records that match, up to :data:`MAX_DRAWS` draws per record."""
        from wgangp.data.table_columns import NUMERIC, to_frame
        from wgangp.data.tabular import specs_of
        from wgangp.domains.tables import sample_records

        run = self._need_run()
        if n < 1:
            raise UserError(f"sample needs n >= 1, got {n}")
        state, conditions = run.domain_state, dict(conditions or {})
        classes = None
        if state.get("conditional") and state["label"] in conditions:
            value = str(conditions.pop(state["label"]))
            if value not in state["label_categories"]:
                raise UserError(f"conditions: {value!r} is not a class of '{state['label']}' "
                                f"(classes: {', '.join(state['label_categories'])})")
            classes = [state["label_categories"].index(value)] * n
        columns = {s["name"]: s for s in state.get("specs", [])}
        for col in conditions:
            if col not in columns or columns[col]["kind"] not in ("categorical", "boolean", "class"):
                raise UserError(f"conditions: '{col}' is not a categorical, boolean or label column of the table "
                                f"(those are: {', '.join(c for c, s in columns.items() if s['kind'] not in NUMERIC)})")
        records = _matching(run, n, classes, {c: str(v) for c, v in conditions.items()}, seed, sample_records)
        return to_frame(records, specs_of(state))

    def save(self, path: str | Path, overwrite: bool = False) -> Path:
        """The trained model (config, checkpoint, evaluation) in the folder ``path``; never the records."""
        run = self._need_run()
        path = Path(path)
        if path.exists() and any(path.iterdir()) and not overwrite:
            raise UserError(f"'{path}' exists and is not empty; pick another folder or pass overwrite=True")
        path.mkdir(parents=True, exist_ok=True)
        for name in SAVED:
            if (run.run_dir / name).is_file():
                shutil.copy2(run.run_dir / name, path / name)
        return path

    @classmethod
    def load(cls, path: str | Path, device: str = "cpu", checkpoint: str = "latest") -> "TableSynthesizer":
        """A synthesizer saved by :meth:`save` (or any table run directory); ``checkpoint="best"``:
        the run at its best evaluation (``train.best_metric``, e.g. ``tstr_accuracy`` on the
        held-out records, with ``train.eval_every``)."""
        from wgangp.run import load_run

        run = load_run(path, device=device, checkpoint=checkpoint)
        if run.domain.name != "tables":
            raise UserError(f"'{path}' holds a {run.domain.name} run, not a table model")
        synth = cls(label=run.config.data.label, device=device)
        synth.run = run
        result = Path(path) / "eval.json"
        synth.evaluation = json.loads(result.read_text()) if result.is_file() else {}
        return synth


def _matching(run, n: int, classes, conditions: dict, seed: int, sample_records) -> dict:
    """``n`` generated records whose ``conditions`` columns hold the wanted values (rejection sampling)."""
    if not conditions:
        return sample_records(run, n, seed=seed, classes=classes)
    kept, have, draws = [], 0, 0
    while have < n:
        batch = max(n - have, 256) * 4
        if draws + batch > MAX_DRAWS * n:
            raise UserError(f"conditions {conditions}: only {have} of {n} records matched in {draws} draws; the "
                            "generator rarely makes such records (for the label of a conditional run, use it as "
                            "the condition: it is then generated as asked)")
        recs = sample_records(run, batch, seed=seed + draws, classes=[classes[0]] * batch if classes else None)
        draws += batch
        ok = np.ones(batch, dtype=bool)
        for col, value in conditions.items():                 # booleans: True, "true" and "TRUE" alike
            ok &= np.char.lower(recs[col].astype(str)) == value.lower()
        kept.append({c: x[ok] for c, x in recs.items()})
        have += int(ok.sum())
    return {c: np.concatenate([k[c] for k in kept])[:n] for c in kept[0]}
