"""Steering a run while it trains: pause, resume, one step at a time, and new learning rates,
``n_critic`` or lambda (``wgangp train ... --live``).

Requests arrive from another thread (the live view's server) through :meth:`Controls.request`,
which checks them and answers at once; the training thread takes them at the next iteration
boundary (:meth:`Controls.apply`), so a change never lands inside an iteration. Every change is an
event ``{"kind": "control", "step", "key", "value", "was"}``: logged to ``metrics.jsonl``, kept
in the checkpoint (``Trainer.controls``) and applied again by ``--resume``
(:func:`reapply`), so a run steered by hand can be read back and continued as it was.
"""
from __future__ import annotations

import queue
import threading
import time

from wgangp.errors import UserError

# the keys that may change while a run trains, and their type and allowed range
SETTABLE = {"optim.lr": (float, 0.0, 1.0), "optim.lr_g": (float, 0.0, 1.0),
            "train.n_critic": (int, 1, 100), "loss.gp_weight": (float, 0.0, 1e4)}
ACTIONS = ("pause", "resume", "step", "set", "stop")
WAIT = 0.05                    # seconds between looks at the queue while paused


def check(key: str, value) -> float | int:
    """``value`` as the type of ``key`` and inside its range, or a UserError that says which."""
    if key not in SETTABLE:
        raise UserError(f"'{key}' cannot change while training; these can: {', '.join(SETTABLE)}")
    kind, low, high = SETTABLE[key]
    try:
        v = kind(value)
        if kind is int and float(value) != v:
            raise ValueError
    except (TypeError, ValueError):
        raise UserError(f"{key} takes {'an integer' if kind is int else 'a number'}, got {value!r}") from None
    if not low <= v <= high or v != v:
        raise UserError(f"{key} must be in [{low:g}, {high:g}], got {v!r}")
    return v


def _get(cfg, key: str):
    section, name = key.split(".")
    return getattr(getattr(cfg, section), name)


def set_value(trainer, key: str, value) -> None:
    """Put ``value`` into the trainer's config and, for a learning rate, into its optimiser now."""
    from wgangp.train.optim import set_lr

    section, name = key.split(".")
    setattr(getattr(trainer.cfg, section), name, value)
    if section == "optim":
        trainer.cfg_lrs = (trainer.cfg.optim.lr_g or trainer.cfg.optim.lr, trainer.cfg.optim.lr)
        for opt, lr in zip((trainer.opt_g, trainer.opt_d), trainer.base_lrs):
            set_lr(opt, lr)


def configured(config: dict, events: list[dict]) -> dict:
    """``config`` (a ``Config.to_dict()``) with each steered key back at its value before the
    first change: what the run was configured with, as ``config.json`` holds it."""
    out = {k: dict(v) if isinstance(v, dict) else v for k, v in config.items()}
    for e in reversed(events):
        section, name = e["key"].split(".")
        out[section][name] = e["was"]
    return out


def reapply(trainer, events: list[dict]) -> None:
    """Apply the changes ``events`` made (a resumed run continues with its steered settings)."""
    for e in events:
        set_value(trainer, e["key"], check(e["key"], e["value"]))


class Controls:
    """The queue between the live view and the training loop (see the module docstring)."""

    def __init__(self, start_paused: bool = False, frozen: dict[str, str] | None = None):
        self._q: queue.Queue = queue.Queue()
        self._lock = threading.Lock()
        self.frozen = dict(frozen or {})   # keys this run cannot change, with the reason
        self._go_once = False
        self.paused = start_paused
        self.step = 0                      # the trainer's step, as last seen (for the page)
        self.stopped = False

    def request(self, action: str, key: str | None = None, value=None) -> dict:
        """From any thread: queue ``action`` (``set`` with ``key`` and ``value``); a bad request is
        a UserError, raised here, before anything reaches the trainer."""
        if action not in ACTIONS:
            raise UserError(f"unknown action {action!r}; one of {', '.join(ACTIONS)}")
        if action == "set":
            if key in self.frozen:
                raise UserError(f"{key} cannot change in this run: {self.frozen[key]}")
            value = check(str(key), value)
        self._q.put((action, key, value))
        return {"queued": action, **({"key": key, "value": value} if action == "set" else {})}

    def state(self) -> dict:
        with self._lock:
            return {"paused": self.paused, "step": self.step, "stopped": self.stopped}

    def apply(self, trainer, log, on_wait=None) -> None:
        """In the training thread, before an iteration: take the queued requests; while paused,
        wait here (a ``step`` lets one iteration through, a signal or ``stop`` ends the wait).
        ``on_wait()`` runs when the wait begins and after each change made during it (the live
        view's snapshot: the page shows the paused state and the new settings at once)."""
        taken, waited = self._take(trainer, log, block=False), False
        while True:
            with self._lock:
                self.step = trainer.step
                if self._go_once:
                    self._go_once = False
                    return
                if not self.paused or self.stopped or trainer._stop_signal is not None:
                    return
            if on_wait is not None and (not waited or taken):
                on_wait()
            waited = True
            taken = self._take(trainer, log, block=True)

    def _take(self, trainer, log, block: bool) -> int:
        try:
            items = [self._q.get(timeout=WAIT)] if block else []
        except queue.Empty:
            items = []
        while True:
            try:
                items.append(self._q.get_nowait())
            except queue.Empty:
                break
        for action, key, value in items:
            self._one(trainer, log, action, key, value)
        return len(items)

    def _one(self, trainer, log, action: str, key, value) -> None:
        with self._lock:
            if action == "pause":
                self.paused = True
            elif action == "resume":
                self.paused = False
            elif action == "step":
                self.paused, self._go_once = True, True
            elif action == "stop":
                self.stopped = True
                trainer.request_stop()
        if action == "set":
            was = _get(trainer.cfg, key)
            set_value(trainer, key, value)
            event = {"kind": "control", "step": trainer.step, "key": key, "value": value, "was": was,
                     "time": round(time.time(), 3)}
            trainer.controls.append(event)
            log(event)


def read_events(run_dir) -> list[dict]:
    """The control events of a run (its ``metrics.jsonl``), in order: what ``--replay`` applies."""
    from wgangp.train.logging import read_metrics

    events = [r for r in read_metrics(run_dir) if r.get("kind") == "control"]
    for e in events:
        check(str(e.get("key")), e.get("value"))
    return events


class Replay:
    """``on_step``: apply a steered run's changes at the iterations they were made (before the
    iteration that followed each), so a fresh run with the same config and seed is the same run."""

    def __init__(self, events: list[dict], log=None):
        self.events, self.log, self.next = list(events), log or (lambda row: None), 0

    def __call__(self, trainer) -> None:
        while self.next < len(self.events) and self.events[self.next]["step"] <= trainer.step:
            e = self.events[self.next]
            self.next += 1
            if e["step"] < trainer.step or any(c["time"] == e.get("time") and c["key"] == e["key"]
                                               for c in trainer.controls):
                continue                               # before this resume's step: already in the checkpoint
            was = _get(trainer.cfg, e["key"])
            set_value(trainer, e["key"], check(e["key"], e["value"]))
            event = {**e, "was": was, "replayed": True}
            trainer.controls.append(event)
            self.log(event)
