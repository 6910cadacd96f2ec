"""Where a run is: its state in the store (queued to finished) and a running training's progress.

Kept apart from runs.py, which reads and writes the store; `runs.RunState` and `runs.Progress` still name them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum


class RunState(str, Enum):
    """Where a run is in its life: queued → running (→ stopping) → finished, stopped or failed."""

    QUEUED = "queued"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FINISHED = "finished"
    FAILED = "failed"

    @property
    def is_active(self) -> bool:
        """Return whether the run may still change (queued, or a worker is on it)."""
        return self in (RunState.QUEUED, RunState.RUNNING, RunState.STOPPING)

    @property
    def has_worker(self) -> bool:
        """Return whether a worker process should be alive for the run."""
        return self in (RunState.RUNNING, RunState.STOPPING)


@dataclass(frozen=True)
class Progress:
    """Where a running training is: epoch and batch, speed and time left (from the latest batch record)."""

    epoch: int
    epochs: int
    batch: int
    batches: int
    images_per_second: float
    eta_seconds: float

    @property
    def fraction(self) -> float:
        """Return the share of the whole run done, 0..1."""
        return min(1.0, (self.epoch - 1 + self.batch / max(self.batches, 1)) / max(self.epochs, 1))

    def describe(self) -> str:
        """Return the progress as one line: epoch, batch, images/s and ETA."""
        minutes, seconds = divmod(int(self.eta_seconds), 60)
        return (
            f"epoch {self.epoch}/{self.epochs} · batch {self.batch}/{self.batches} · "
            f"{self.images_per_second:,.0f} images/s · ETA {minutes}:{seconds:02d}"
        )
