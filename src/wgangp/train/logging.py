"""Run logging: ``metrics.jsonl`` (one JSON object a line), TensorBoard events, a tqdm bar."""
from __future__ import annotations

import json
from pathlib import Path

from tqdm import tqdm


class RunLogger:
    """Writes rows to ``metrics.jsonl`` and TensorBoard; drives the progress bar."""

    def __init__(self, run_dir: Path, total: int, initial: int, progress: bool = True):
        from torch.utils.tensorboard import SummaryWriter

        self.path = Path(run_dir) / "metrics.jsonl"
        self.tb = SummaryWriter(str(Path(run_dir) / "tb"), purge_step=initial if initial else None)
        self.bar = tqdm(total=total, initial=initial, disable=not progress, unit="it", dynamic_ncols=True,
                        desc="train", mininterval=0.5)

    def log(self, row: dict) -> None:
        """Append ``row`` (must hold ``step`` and ``kind``) and mirror its numbers to TensorBoard."""
        with self.path.open("a") as f:
            f.write(json.dumps(row) + "\n")
        for k, v in row.items():
            if k not in ("step", "kind") and isinstance(v, (int, float)) and not isinstance(v, bool):
                self.tb.add_scalar(f"{row['kind']}/{k}", v, row["step"])
        if row["kind"] == "train":
            self.bar.set_postfix(W=f"{row['w_estimate']:.4f}", refresh=False)
        elif row["kind"] == "eval" and row.get("modes_captured") is not None:
            self.bar.write(f"step {row['step']}: modes {row['modes_captured']}/{row['n_modes']}, "
                           f"high quality {row['high_quality']:.1%}, W1 {row['w1']:.4f}")

    def image(self, tag: str, grid, step: int) -> None:
        """A ``(3, H, W)`` image in [0, 1] to TensorBoard."""
        self.tb.add_image(tag, grid, step)

    def histograms(self, tag: str, module, step: int) -> None:
        """Every parameter of ``module`` as a TensorBoard histogram under ``tag/<name>``."""
        for name, p in module.named_parameters():
            self.tb.add_histogram(f"{tag}/{name}", p.detach().float().cpu(), step)

    def rewind(self, step: int, event: dict) -> None:
        """Back to ``step`` (a rollback): rows logged after it are dropped, ``event`` is logged, and
        TensorBoard and the bar restart there."""
        self.tb.close()
        truncate_metrics(self.path.parent, step)
        from torch.utils.tensorboard import SummaryWriter

        self.tb = SummaryWriter(str(self.path.parent / "tb"), purge_step=step)
        self.bar.n = step
        self.bar.refresh()
        self.log(event)
        self.bar.write(f"rollback {event.get('rollback')}: iteration {event.get('from_step')} diverged; back to "
                       f"{step} (learning rates x{event.get('lr_scale'):g})")

    def advance(self, n: int = 1) -> None:
        self.bar.update(n)

    def close(self) -> None:
        self.bar.close()
        self.tb.close()


def read_metrics(run_dir: Path) -> list[dict]:
    """All rows of a run's ``metrics.jsonl`` (a torn last line, from a kill, is skipped)."""
    path = Path(run_dir) / "metrics.jsonl"
    rows = []
    if path.is_file():
        for line in path.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                continue
    return rows


def truncate_metrics(run_dir: Path, step: int) -> None:
    """Drop rows logged after ``step`` (they belong to iterations a resume will redo)."""
    path = Path(run_dir) / "metrics.jsonl"
    if path.is_file():
        rows = [r for r in read_metrics(run_dir) if r.get("step", 0) <= step]
        tmp = path.with_suffix(".jsonl.tmp")
        tmp.write_text("".join(json.dumps(r) + "\n" for r in rows))
        tmp.replace(path)
