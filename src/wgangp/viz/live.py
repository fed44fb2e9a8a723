"""The live view: a local web page that shows a run while it trains (``wgangp train ... --live``)
or after (``wgangp watch RUN``).

Two halves that meet in the run directory, so a page can watch a run of another process:

* :class:`LiveProbe`, in the training process, called before every iteration: it takes the live
  view's requests (:class:`wgangp.train.controls.Controls`) and, every :data:`INTERVAL` seconds
  while a page is open (:data:`IDLE_INTERVAL` while none is), writes ``RUN/live.json``
  (atomically): the step, the settings that can change, and the
  panels of the run's data kind (``Domain.live_panels``: for 2-D points the critic's value
  surface, real and generated points, the generator's gradient on some of them, the image of a
  grid of noise, and ``||grad D||`` at interpolates). Rows of ``metrics.jsonl`` are what the
  trainer logs anyway.
* :class:`LiveServer`, the standard library's threaded HTTP server (no dependency: a page, three
  static files, one Server-Sent-Events stream and one POST are all it serves) on 127.0.0.1 by
  default. ``/events`` streams the new ``metrics.jsonl`` rows and each new ``live.json``; the page
  (``static/live.html``, drawn with the vendored uPlot and plain canvas) never asks the network
  for anything else. ``POST /api/control`` forwards pause / resume / step / stop / set to the
  training process when it is this one (``--live``); a watched run answers 409.
"""
from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from wgangp.errors import UserError
from wgangp.viz.report import STATIC

LIVE_FILE = "live.json"
INTERVAL = 0.5                   # seconds between two snapshots while a page is open (benchmarks/live_overhead.py)
IDLE_INTERVAL = 5.0              # ... and while none is (the file still serves a 'wgangp watch' of another process)
BUDGET = 0.05                    # at most this share of the wall time goes to snapshots (a slow panel waits longer)
POLL = 0.2                       # seconds between two looks at the run directory per open page
ASSETS = {"uPlot.iife.min.js": "text/javascript", "uPlot.min.css": "text/css", "curves.js": "text/javascript",
          "live.js": "text/javascript", "live.css": "text/css", "report.css": "text/css", "tables.js": "text/javascript",
          "playground.js": "text/javascript"}


def _write_json_atomic(path: Path, obj) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(obj, allow_nan=False, separators=(",", ":")))
    os.replace(tmp, path)


class LiveProbe:
    """The training side (see the module docstring): ``probe(trainer)`` before every iteration."""

    def __init__(self, run, controls=None, log=None, viewers=lambda: 1):
        from wgangp.train.controls import SETTABLE

        self.run, self.controls, self.log, self.viewers = run, controls, log or (lambda row: None), viewers
        self.path = Path(run.run_dir) / LIVE_FILE
        self.cache: dict = {}                  # the domain's fixed inputs (real points, noise), kept across snapshots
        self.last = float("-inf")
        self.cost = 0.0                        # seconds the last snapshot took
        self.keys = list(SETTABLE)
        self.snapshots = 0

    def __call__(self, trainer) -> None:
        """Before each iteration: the requests (a pause waits here, its snapshot written), then a
        snapshot if the last is ``interval`` old."""
        if self.controls is not None:
            waited = []
            self.controls.apply(trainer, self.log, on_wait=lambda: (self.write(trainer), waited.append(1)))
            if waited:
                self.last = float("-inf")      # show the resume at once
        now = time.perf_counter()
        if now - self.last >= max(INTERVAL if self.viewers() else IDLE_INTERVAL, self.cost / BUDGET):
            self.write(trainer)
            self.last = time.perf_counter()
            self.cost = self.last - now

    def write(self, trainer) -> None:
        from wgangp.train.controls import _get

        self.run.step = trainer.step
        panels = self.run.domain.live_panels(self.run, self.cache)
        state = self.controls.state() if self.controls is not None else {"paused": False, "stopped": False}
        _write_json_atomic(self.path, {
            "step": trainer.step, "iterations": trainer.cfg.train.iterations, "time": time.time(),
            "train_seconds": round(trainer.train_seconds, 3), "paused": state["paused"],
            "controllable": self.controls is not None, "settings": {k: _get(trainer.cfg, k) for k in self.keys},
            "panels": panels})
        self.snapshots += 1


class _Handler(BaseHTTPRequestHandler):
    server: "LiveServer"

    def log_message(self, *args) -> None:           # no line per request on the training terminal
        pass

    def _send(self, code: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        path = self.path.split("?")[0]
        if path in ("/", "/index.html"):
            self._send(200, (STATIC / "live.html").read_bytes(), "text/html; charset=utf-8")
        elif path.startswith("/static/") and path[8:] in ASSETS:
            self._send(200, (STATIC / path[8:]).read_bytes(), ASSETS[path[8:]] + "; charset=utf-8")
        elif path == "/api/state":
            self._send(200, json.dumps(self.server.state()).encode())
        elif path == "/playground":
            self._send(200, (STATIC / "live.html").read_bytes(), "text/html; charset=utf-8")
        elif path == "/events":
            self._stream()
        else:
            self._send(404, b'{"error": "not found"}')

    def do_POST(self) -> None:
        if self.path.split("?")[0] == "/api/start" and self.server.playground is not None:
            return self._start()
        if self.path.split("?")[0] != "/api/control":
            return self._send(404, b'{"error": "not found"}')
        try:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
            if self.server.controls is None:
                return self._send(409, json.dumps({"error": "this page watches a run of another process (wgangp "
                                                   "watch); controls need 'wgangp train ... --live'"}).encode())
            answer = self.server.controls.request(str(body.get("action")), body.get("key"), body.get("value"))
            self._send(200, json.dumps(answer).encode())
        except (UserError, ValueError, AttributeError) as e:
            self._send(400, json.dumps({"error": str(e)}).encode())

    def _start(self) -> None:
        from wgangp.viz.playground import read_form

        try:
            self._send(200, json.dumps(self.server.playground.start(read_form(self))).encode())
        except UserError as e:
            self._send(400, json.dumps({"error": str(e)}).encode())

    def _stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        offset, seen, run_dir = 0, None, self.server.run_dir
        self.server.count(+1)
        try:
            while not self.server.closing:
                if self.server.run_dir != run_dir:        # the playground started another run
                    offset, seen, run_dir = 0, None, self.server.run_dir
                    self._event("reset", {"run": run_dir.name})
                rows, offset = self.server.new_rows(offset)
                if rows:
                    self._event("rows", rows)
                live = self.server.read_live(seen, parse=False)
                if live is not None:
                    seen = live[0]
                    self._event("snapshot", live[1])
                if not rows and live is None:
                    self.wfile.write(b": idle\n\n")
                    self.wfile.flush()
                time.sleep(POLL)
        except (BrokenPipeError, ConnectionResetError):
            return                                  # the page was closed
        finally:
            self.server.count(-1)

    def _event(self, name: str, data) -> None:
        """One event; ``data`` as JSON text already (a snapshot file: one line) or a value to dump."""
        text = data if isinstance(data, str) else json.dumps(data)
        self.wfile.write(f"event: {name}\ndata: {text}\n\n".encode())
        self.wfile.flush()


class LiveServer(ThreadingHTTPServer):
    """Serves the live page of ``run_dir`` (see the module docstring); ``start()`` in a daemon thread."""

    daemon_threads = True

    def __init__(self, run_dir: Path, controls=None, host: str = "127.0.0.1", port: int = 0):
        try:
            super().__init__((host, port), _Handler)
        except OSError as e:
            raise UserError(f"cannot serve the live view on {host}:{port} ({e.strerror or e}); pick another --port "
                            "(0: any free one)") from None
        self.run_dir, self.controls, self.closing = Path(run_dir), controls, False
        self.thread: threading.Thread | None = None
        self.viewers = 0                            # open event streams (pages)
        self._count_lock = threading.Lock()
        self.playground = None                      # wgangp playground: its Playground (starts runs)

    def switch(self, run_dir: Path, controls) -> None:
        """Serve another run directory (the playground's next run); open pages are told to reset."""
        self.run_dir, self.controls = Path(run_dir), controls

    def count(self, delta: int) -> None:
        with self._count_lock:
            self.viewers += delta

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host}:{port}/"

    def start(self) -> "LiveServer":
        self.thread = threading.Thread(target=self.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True,
                                       name="wgangp-live")
        self.thread.start()
        return self

    def close(self) -> None:
        self.closing = True
        self.shutdown()
        self.server_close()

    def new_rows(self, offset: int) -> tuple[list[dict], int]:
        """Complete ``metrics.jsonl`` lines after byte ``offset`` (a torn last line waits)."""
        path = self.run_dir / "metrics.jsonl"
        try:
            with path.open("rb") as f:
                if path.stat().st_size < offset:     # truncated (a rollback, a resume): start again
                    offset = 0
                f.seek(offset)
                chunk = f.read()
        except FileNotFoundError:
            return [], 0
        end = chunk.rfind(b"\n") + 1
        rows = []
        for line in chunk[:end].splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return rows, offset + end

    def read_live(self, seen, parse: bool = True) -> tuple[int, dict | str] | None:
        """``(mtime, snapshot)`` of ``live.json`` if it changed since ``seen`` (``parse=False``: its
        text, one line, as the event stream sends it)."""
        path = self.run_dir / LIVE_FILE
        try:
            stamp = path.stat().st_mtime_ns
            if stamp == seen:
                return None
            text = path.read_text()
            return stamp, json.loads(text) if parse else text.strip()
        except (FileNotFoundError, json.JSONDecodeError):
            return None

    def state(self) -> dict:
        live = self.read_live(None)
        return {"run": self.run_dir.resolve().name, "controllable": self.controls is not None,
                "snapshot": live[1] if live else None,
                **(self.playground.state() if self.playground is not None else {"playground": False})}


class LiveView:
    """What ``train(..., live=...)`` holds while it trains: the probe (an ``on_step`` callback) and the server."""

    def __init__(self, probe: LiveProbe, server: LiveServer):
        self.probe, self.server = probe, server


def open_live(run_dir: Path, options: dict) -> LiveServer:
    """The live view's server for a run about to train (``options``: host, port, paused), started
    before the run directory is touched: a busy port is an error that leaves nothing behind."""
    import sys

    unknown = set(options) - {"host", "port", "paused", "server"}
    if unknown:
        raise UserError(f"live options: unknown {sorted(unknown)}; known: host, port, paused, server")
    if options.get("server") is not None:          # a server that outlives the run (the playground's)
        return options["server"]
    return serve(run_dir, None, str(options.get("host", "127.0.0.1")), int(options.get("port", 0)),
                 say=lambda m: print(m, file=sys.stderr, flush=True))


def start_live(run, trainer, logger, options: dict, server: LiveServer) -> LiveView:
    """The live view of a run this process trains: controls and probe, handed to ``server``
    (:func:`open_live`). Settings that cannot change in this run are refused with the reason."""
    from wgangp.train.controls import Controls

    if trainer.captured is not None:
        raise UserError("--live steers the run between iterations, and train.cuda_graphs=true replays one captured "
                        "iteration; drop one of them")
    frozen = {"train.n_critic": "a DP run's privacy budget was planned for its number of critic steps"} \
        if trainer.private is not None else {}
    controls = Controls(start_paused=bool(options.get("paused", False)), frozen=frozen)
    server.controls = controls
    probe = LiveProbe(run, controls, log=logger.log, viewers=lambda: server.viewers)
    probe.write(trainer)                              # the page has something to draw before the first iteration
    return LiveView(probe, server)


def serve(run_dir: Path, controls=None, host: str = "127.0.0.1", port: int = 0, say=print) -> LiveServer:
    """Start a :class:`LiveServer` and say where (a warning when it listens beyond this machine)."""
    server = LiveServer(run_dir, controls, host, port).start()
    if host not in ("127.0.0.1", "localhost", "::1"):
        say(f"wgangp: warning: the live view listens on {host}: anyone who can reach this machine can see the run"
            + (" and steer it" if controls is not None else ""))
    say(f"wgangp: live view at {server.url}")
    return server


def until_interrupted(*closers) -> int:
    """Sleep until Ctrl-C (or another exception), then call ``closers`` in order (``wgangp watch``,
    ``wgangp playground``)."""
    try:
        while True:
            time.sleep(3600)
    finally:
        for close in closers:
            close()
