"""Filter patterns in the run store: computed by a worker process, cached per layer and model version.

patterns/<layer>.json says where the work is (running with its progress, finished, failed) and which
model file it was made from; patterns/<layer>.npz holds the patterns. A model trained further makes
the cache stale, and the page offers to compute them again.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np

from cnnviz.errors import CnnvizError
from cnnviz.runtime import jobs
from cnnviz.runtime.array_files import write_arrays
from cnnviz.runtime.json_files import read_json, write_json
from cnnviz.runtime.run_files import RunFiles
from cnnviz.runtime.runs import Run

START_GRACE_SECONDS = 120  # a launched worker that has not recorded its pid by then never started


class PatternState(str, Enum):
    """Where one layer's patterns are."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


@dataclass(frozen=True)
class PatternJob:
    """One layer's filter patterns as the store holds them."""

    layer: str
    state: PatternState
    done: int = 0
    total: int = 0
    message: str = ""
    model_version: float | None = None
    pid: int | None = None
    started: float | None = None
    seconds: float | None = None

    @property
    def fraction(self) -> float:
        """Return how much of the work is done, 0..1."""
        return self.done / self.total if self.total else 0.0


def read_job(folder: Path, layer: str) -> PatternJob | None:
    """Return a layer's pattern record, or None when none was asked for."""
    data = read_json(RunFiles(folder).pattern_status(layer))
    try:
        state = PatternState(data.get("state"))
    except ValueError:
        return None
    fields = ("done", "total", "message", "model_version", "pid", "started", "seconds")
    return PatternJob(layer, state, **{name: data[name] for name in fields if name in data})


def write_job(folder: Path, layer: str, state: PatternState, **fields) -> None:
    """Record a layer's pattern state atomically."""
    RunFiles(folder).patterns.mkdir(exist_ok=True)
    write_json(RunFiles(folder).pattern_status(layer), {"state": state.value, "layer": layer, **fields})


def write_patterns(folder: Path, layer: str, arrays: dict[str, np.ndarray]) -> None:
    """Write a layer's patterns atomically (the record saying finished comes after, from the worker)."""
    write_arrays(RunFiles(folder).pattern_images(layer), arrays, compressed=True)


def read_patterns(folder: Path, layer: str) -> dict[str, np.ndarray]:
    """Return a finished layer's arrays, or raise a CnnvizError saying to compute them again."""
    try:
        with np.load(RunFiles(folder).pattern_images(layer), allow_pickle=False) as stored:
            return {name: stored[name] for name in stored.files}
    except (OSError, KeyError, ValueError) as error:
        raise CnnvizError(f"The saved filter patterns could not be read ({error}): compute them again.") from None


def current_job(run: Run, layer: str) -> PatternJob | None:
    """Return the layer's record as it is now: a dead worker's is recorded as failed, a stale result as None."""
    job = read_job(run.folder, layer)
    if job is None:
        return None
    if job.state is PatternState.FINISHED and job.model_version != run.model_version:
        return None  # the model trained further since: these patterns are another network's
    if job.state is PatternState.RUNNING and not worker_alive(job):
        write_job(run.folder, layer, PatternState.FAILED, message="the pattern worker stopped before it finished")
        return read_job(run.folder, layer)
    return job


def worker_alive(job: PatternJob) -> bool:
    """Return whether the job's worker still runs (or was launched a moment ago and has not said its pid)."""
    if job.pid is None:
        return time.time() - (job.started or 0) < START_GRACE_SECONDS
    try:
        with open(f"/proc/{job.pid}/cmdline", "rb") as cmdline:
            return b"patterns" in cmdline.read()
    except OSError:
        return False


def start(run: Run, layer: str) -> None:
    """Compute a layer's filter patterns in a worker process (never in the page's); nothing when one is at it."""
    if run.model_path is None:
        raise CnnvizError(f"Run {run.label} has no trained model yet: train it for an epoch first.")
    job = current_job(run, layer)
    if job is not None and job.state is PatternState.RUNNING:
        return
    write_job(run.folder, layer, PatternState.RUNNING, message="starting the worker", started=time.time())
    # On the run's own backend: a network trained on JAX climbs its gradients on JAX.
    jobs.spawn(["patterns", "--run-dir", str(run.folder), "--layer", layer], run.folder, {"KERAS_BACKEND": run.backend})
