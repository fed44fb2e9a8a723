"""``wgangp playground``: GAN Lab's experience with the paper's losses, trained by the real trainer.

The live page (:mod:`wgangp.viz.live`) plus a form: a toy distribution (8 Gaussians, 25 Gaussians,
Swiss roll) or points drawn on the plane, the loss (``wgan-gp``, ``wgan-gp-one-sided``,
``wgan-clip``, ``gan``), the networks' width and depth, the learning rate and n_critic. "Train"
stops the current run (checkpointed) and starts a new one -- ``wgangp.api.train`` on the CPU in a
thread of this process, from the ``toy-25gaussians-fast`` preset with those keys changed -- in a
fresh folder under the playground's directory; the page then follows it and its controls steer it.
"""
from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from wgangp.domains.points.drawn import choice, form_keys
from wgangp.errors import UserError

BASE = "toy-25gaussians-fast"
LOSSES = ("wgan-gp", "wgan-gp-one-sided", "wgan-clip", "gan")


def config_of(form: dict, run_dir: Path):
    """The run config the page's form asks for (checked; a bad field is a UserError naming it)."""
    from wgangp.config import load_config

    loss = str(form.get("loss", "wgan-gp"))
    if loss not in LOSSES:
        raise UserError(f"loss: one of {', '.join(LOSSES)}, got {loss!r}")
    over = {"loss.name": loss, "model.hidden": form.get("hidden", 128), "model.depth": form.get("depth", 3),
            "optim.lr": form.get("lr", 2e-3), "train.n_critic": form.get("n_critic", 5),
            "train.iterations": form.get("iterations", 6000), "train.eval_every": 500, "train.eval_samples": 2000,
            "seed": form.get("seed", 0), "device": "cpu"}
    if loss == "wgan-clip":
        over.update({"optim.name": "rmsprop", "optim.lr": form.get("lr", 5e-5)})
    if loss == "gan":
        over["loss.gp_weight"] = 0.0
    over.update(form_keys(form, run_dir))
    try:
        return load_config(BASE, over)
    except UserError as e:
        raise UserError(f"the form: {e}") from None


class Playground:
    """The runs a playground page starts, one at a time, in ``root/run-NNN``."""

    def __init__(self, root: Path, server):
        self.root, self.server = Path(root), server
        self.thread: threading.Thread | None = None
        self.count, self.error = 0, None
        self.started = time.time()

    def start(self, form: dict) -> dict:
        """Stop the current run and start the one ``form`` asks for; the page follows it."""
        run_dir = self.root / f"run-{self.count + 1:03d}"
        cfg = config_of(form, run_dir)                   # refused before anything stops or starts
        self.stop()
        self.count += 1
        self.error, self.started = None, time.time()
        self.server.switch(run_dir, None)
        self.thread = threading.Thread(target=self._train, args=(cfg, run_dir), daemon=True, name="wgangp-playground")
        self.thread.start()
        return {"started": run_dir.name, "data": choice(form), "loss": cfg.loss.name}

    def _train(self, cfg, run_dir: Path) -> None:
        from wgangp import api

        try:
            api.train(cfg, run_dir, progress=False, live={"server": self.server})
        except Exception as e:                            # shown on the page; the playground keeps serving
            self.error = f"{type(e).__name__}: {e}"

    def stop(self) -> None:
        if self.thread is not None and self.thread.is_alive():
            if self.server.controls is not None:
                self.server.controls.request("stop")
            self.thread.join(timeout=120)

    def state(self) -> dict:
        return {"playground": True, "runs": self.count, "error": self.error,
                "running": bool(self.thread and self.thread.is_alive()), "seconds": round(time.time() - self.started, 1)}


def read_form(handler) -> dict:
    body = handler.rfile.read(int(handler.headers.get("Content-Length") or 0)) or b"{}"
    try:
        form = json.loads(body)
    except ValueError:
        raise UserError("the form: not JSON") from None
    if not isinstance(form, dict):
        raise UserError("the form: a JSON object")
    return form
