"""``wgangp report RUN -o report.html``: one self-contained HTML file of a run.

Everything is inline -- uPlot (MIT, vendored in ``viz/static``) for the curves, its stylesheet,
the data as JSON, the run's pictures as ``data:`` URIs -- so the file opens offline and no request
leaves the page. Its parts: the config, the final metrics, every logged series of
``metrics.jsonl`` (training rows, evaluations, diagnostics) as interactive curves, the events (a
rollback, a change made from the live view) and the pictures the run's data kind wrote
(critic surfaces, sample grids, weight histograms, ...).
"""
from __future__ import annotations

import base64
import html
import json
from pathlib import Path

from wgangp.errors import UserError

STATIC = Path(__file__).with_name("static")
CURVE_KINDS = ("train", "eval", "diag")           # metrics.jsonl rows drawn as curves; the other kinds are events
MAX_CURVES = 40                                   # per kind: a run with hundreds of series keeps a readable page
PICTURES = (".png", ".jpg", ".jpeg", ".svg")


def static_text(name: str) -> str:
    """A vendored front-end file (``uPlot.iife.min.js``, ``uPlot.min.css``, ``live.js`` ...)."""
    return (STATIC / name).read_text(encoding="utf-8")


def series(rows: list[dict]) -> dict[str, dict]:
    """``{kind: {"step": [...], key: [...]}}`` for the curve kinds: every numeric key of the rows
    of that kind, ``None`` where a row lacks it (uPlot leaves a gap)."""
    out = {}
    for kind in CURVE_KINDS:
        mine = [r for r in rows if r.get("kind") == kind and isinstance(r.get("step"), (int, float))]
        keys = []
        for r in mine:
            keys += [k for k, v in r.items() if k not in keys and k not in ("kind", "step")
                     and isinstance(v, (int, float)) and not isinstance(v, bool)]
        if mine and keys:
            out[kind] = {"step": [r["step"] for r in mine],
                         **{k: [_finite(r.get(k)) for r in mine] for k in keys[:MAX_CURVES]}}
    return out


def _finite(v):
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        return None
    return v if v == v and abs(v) != float("inf") else None


def events(rows: list[dict]) -> list[dict]:
    """The rows that are not curves (rollbacks, live-view changes), in order."""
    return [r for r in rows if r.get("kind") not in CURVE_KINDS]


def _data_uri(path: Path) -> str:
    mime = {".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".svg": "image/svg+xml"}[path.suffix.lower()]
    return f"data:{mime};base64,{base64.b64encode(path.read_bytes()).decode()}"


def _table(d: dict) -> str:
    cells = "".join(f"<tr><th>{html.escape(str(k))}</th><td>{html.escape(_fmt(v))}</td></tr>" for k, v in d.items())
    return f"<table>{cells}</table>"


def _fmt(v) -> str:
    if isinstance(v, float):
        return f"{v:.6g}"
    return json.dumps(v) if isinstance(v, (list, dict)) else str(v)


def render(run_dir: Path) -> str:
    """The report's HTML (see the module docstring) for the run directory ``run_dir``."""
    from wgangp.train.logging import read_metrics

    run_dir = Path(run_dir)
    config_path = run_dir / "config.json"
    if not config_path.is_file():
        raise UserError(f"'{run_dir}' is not a run directory (no config.json); pass the folder of a `wgangp train` run")
    try:
        config = json.loads(config_path.read_text())
        result = json.loads((run_dir / "eval.json").read_text()) if (run_dir / "eval.json").is_file() else {}
    except json.JSONDecodeError as e:
        raise UserError(f"'{run_dir}': a corrupt JSON file ({e}); the report needs config.json (and eval.json if any)")
    rows = read_metrics(run_dir)
    pictures = sorted(p for p in run_dir.iterdir() if p.suffix.lower() in PICTURES and p.is_file())
    figs = "".join(f'<figure><img alt="{html.escape(p.name)}" src="{_data_uri(p)}"><figcaption>'
                   f"{html.escape(p.name)}</figcaption></figure>" for p in pictures)
    data = {"series": series(rows), "events": events(rows)}
    config_html = "".join(f"<h3>{html.escape(k)}</h3>{_table(v) if isinstance(v, dict) else html.escape(_fmt(v))}"
                          for k, v in config.items())
    title = f"wgangp run {run_dir.resolve().name}"
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title><link rel="icon" href="data:,">
<style>{static_text("uPlot.min.css")}
{static_text("report.css")}</style></head>
<body><h1>{html.escape(title)}</h1>
<p id="summary">data {html.escape(str(config.get("data", {}).get("name", "?")))}, {len(rows)} logged rows,
{len(pictures)} pictures{", final metrics below" if result else ", no final evaluation (eval.json) yet"}</p>
<h2>Curves</h2><div id="curves"></div>
<h2>Metrics</h2>{_table(result) if result else "<p>no eval.json: the run has not finished, or was stopped early</p>"}
<h2>Events</h2><div id="events"></div>
<h2>Pictures</h2><div id="pictures">{figs or "<p>none</p>"}</div>
<h2>Config</h2>{config_html}
<script id="run-data" type="application/json">{_json_for_script(data)}</script>
<script>{static_text("uPlot.iife.min.js")}</script>
<script>{static_text("curves.js")}</script>
<script>wgangpCurves.renderAll(JSON.parse(document.getElementById("run-data").textContent), document.getElementById("curves"),
  document.getElementById("events"));</script>
</body></html>
"""


def _json_for_script(obj) -> str:
    """JSON that cannot end the ``<script>`` element it sits in."""
    return json.dumps(obj, allow_nan=False).replace("</", "<\\/")


def write_report(run_dir: Path, out: Path | None = None, overwrite: bool = True) -> Path:
    """Write :func:`render` to ``out`` (default ``RUN/report.html``) atomically; ``overwrite=False``
    refuses an existing file."""
    from wgangp.export import atomic_write

    out = Path(out) if out is not None else Path(run_dir) / "report.html"
    if out.exists() and not overwrite:
        raise UserError(f"'{out}' exists; pick another -o or add --force to replace it")
    page = render(run_dir).encode("utf-8")
    atomic_write(out, lambda f: f.write(page))
    return out
