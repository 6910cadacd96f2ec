"""Trainings as a benchmark needs them: a short run trained by the CLI beforehand, runs stopped and waited for."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from benchmarks.harness.server import ROOT
from cnnviz.runtime import jobs, runs
from cnnviz.runtime.runs import Run

CLI_TIMEOUT_SECONDS = 900
STOP_TIMEOUT_SECONDS = 120


def run_cnnviz(*arguments: str) -> subprocess.CompletedProcess:
    """Run `python -m cnnviz ARGUMENTS` from the project root, as a person would; fail with its output's end."""
    command = [sys.executable, "-m", "cnnviz", *arguments]
    # Captured: the progress bars would drown the figures.
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=CLI_TIMEOUT_SECONDS)
    if result.returncode != 0:
        raise RuntimeError(f"cnnviz {' '.join(arguments[:4])}… exited {result.returncode}:\n{result.stderr[-3000:]}")
    return result


def train_with_cli(runs_dir: Path, *arguments: str) -> Path:
    """Train one run with `python -m cnnviz train ARGUMENTS` into runs_dir; return its folder."""
    before = {run.run_id for run in runs.list_runs(runs_dir)}
    run_cnnviz("train", *arguments, "--runs-dir", str(runs_dir))
    (trained,) = [run for run in runs.list_runs(runs_dir) if run.run_id not in before]
    return trained.folder


def wait_for_first_batch(folder: Path, timeout: float = 120) -> None:
    """Wait until the run's worker has written its first batch record (the training is under way)."""
    deadline = time.monotonic() + timeout
    while not runs.load_folder(folder).has_batch_points:
        if time.monotonic() > deadline:
            raise TimeoutError(f"{folder.name} wrote no batch in {timeout:.0f} s")
        time.sleep(0.5)


def has_ended(run_id: str, runs_dir: Path) -> bool:
    """Return whether a run is over and its worker gone (a dead worker is recorded as failed on the way)."""
    run = jobs.watch(run_id, runs_dir)
    return not run.state.is_active and not jobs.is_alive(run.pid, run_id)


def stop_and_wait(run_id: str, runs_dir: Path, timeout: float = STOP_TIMEOUT_SECONDS) -> Run:
    """Stop a run if it is still active and wait until its worker has ended (it stops within a batch)."""
    if jobs.watch(run_id, runs_dir).state.is_active:
        jobs.stop(run_id, runs_dir)
    deadline = time.monotonic() + timeout
    # A worker left running would skew the next measurement.
    while time.monotonic() < deadline and not has_ended(run_id, runs_dir):
        time.sleep(0.5)
    return jobs.watch(run_id, runs_dir)


def stop_every_run(runs_dir: Path, timeout: float = STOP_TIMEOUT_SECONDS) -> None:
    """Stop every active run of the store and wait until they have ended; raise if one has not."""
    for run in runs.list_runs(runs_dir):
        if run.state.is_active:
            stop_and_wait(run.run_id, runs_dir, timeout)
    still_active = [
        (run.run_id, run.state.value, run.message) for run in runs.list_runs(runs_dir) if run.state.is_active
    ]
    if still_active:
        raise TimeoutError(f"runs did not end after Stop: {still_active}")
