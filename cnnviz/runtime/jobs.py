"""Training runs as child processes: start, queue beyond CNNVIZ_MAX_JOBS, stop, and notice the dead."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from cnnviz.errors import CnnvizError
from cnnviz.runtime import runs, settings

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEAD_WORKER_RECHECK_SECONDS = 0.5


@contextmanager
def scheduler_lock(root: Path):
    """Hold an exclusive lock on the run store, so two sessions never launch the same queued run."""
    root.mkdir(parents=True, exist_ok=True)
    with open(root / ".scheduler.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def start(config: dict, runs_dir: Path | None = None) -> str:
    """Queue a new run and start it at once when a training slot is free; return its id."""
    root = runs_dir or settings.runs_dir()
    folder = runs.create_run(config, root)
    refresh(root)
    return folder.name


def worker_problem(pid: int | None, run_id: str) -> str | None:
    """Return why `pid` is not this run's live worker (dead, a zombie, a reused pid), or None when it is."""
    if not pid:
        return "no worker pid recorded"
    try:
        os.waitpid(pid, os.WNOHANG)  # reap our own finished child, so it does not linger as a zombie
    except ChildProcessError:
        pass
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            if stat_file.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return f"process {pid} has exited"
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if run_id.encode() not in cmdline.read():
                return f"process {pid} is another program now"
    except FileNotFoundError:
        return f"process {pid} is gone"
    except (OSError, IndexError) as error:
        return f"process {pid} could not be checked: {error}"
    return None


def is_alive(pid: int | None, run_id: str) -> bool:
    """Return whether `pid` is still this run's worker."""
    return worker_problem(pid, run_id) is None


def refresh(runs_dir: Path | None = None) -> None:
    """Mark runs whose worker died (kill -9, out of memory) as failed, then start queued runs."""
    root = runs_dir or settings.runs_dir()
    with scheduler_lock(root):
        mark_dead_workers(root)
        launch_queued(root)


def mark_dead_workers(root: Path) -> None:
    """Fail every running run whose process is gone, keeping the epochs it finished."""
    for summary in runs.list_runs(root):
        if summary.state not in ("running", "stopping"):
            continue
        folder = root / summary.run_id
        problem = confirmed_worker_problem(folder, summary.run_id)
        if problem is not None:
            runs.set_status(
                folder,
                "failed",
                f"The training process ended without a word (killed, or out of memory). "
                f"The {summary.epochs_done} finished epoch(s) are kept.",
                worker_check=problem,
            )


def confirmed_worker_problem(folder: Path, run_id: str) -> str | None:
    """Return why an active run's worker is dead, seen twice a moment apart; None while it lives or has ended."""
    # One look is not proof: a worker starting or ending rewrites status.json from its own process.
    for attempt in range(2):
        if attempt:
            time.sleep(DEAD_WORKER_RECHECK_SECONDS)
        status = runs.read_json(folder / "status.json")
        if status.get("state") not in ("running", "stopping"):
            return None
        problem = worker_problem(status.get("pid"), run_id)
        if problem is None:
            return None
    return problem


def launch_queued(root: Path) -> None:
    """Launch queued runs in the order they were made, up to the job limit."""
    summaries = runs.list_runs(root)
    active = sum(summary.state in ("running", "stopping") for summary in summaries)
    for summary in sorted((s for s in summaries if s.state == "queued"), key=lambda s: s.run_id):
        if active >= settings.max_jobs():
            break
        launch(root / summary.run_id)
        active += 1


def worker_environment() -> dict[str, str]:
    """Return the environment of a worker: this one, with the project importable."""
    path = os.pathsep.join(filter(None, [str(PROJECT_ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path}


def spawn(arguments: list[str], folder: Path) -> int:
    """Start `python -m cnnviz ARGUMENTS` detached, its output in the run's worker.log; return its pid."""
    with open(folder / "worker.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cnnviz", *arguments],
            cwd=PROJECT_ROOT,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            env=worker_environment(),
        )
    return process.pid


def launch(folder: Path) -> int:
    """Start the worker process for a run folder and record its pid."""
    pid = spawn(["train", "--run-dir", str(folder)], folder)
    runs.set_status(folder, "running", "starting the worker", pid=pid)
    return pid


def stop(run_id: str, runs_dir: Path | None = None) -> str:
    """Ask a run to stop (honoured within one batch); a queued run is stopped before it starts."""
    root = runs_dir or settings.runs_dir()
    folder = runs.run_dir(run_id, root)
    with scheduler_lock(root):
        state = runs.read_json(folder / "status.json").get("state")
        if state == "queued":
            runs.set_status(folder, "stopped", "stopped before it started")
            return "stopped"
        if state not in ("running", "stopping"):
            raise CnnvizError(f"Run {run_id} is {state}; only a queued or running run can be stopped.")
        (folder / runs.STOP_FILE).touch()
        runs.set_status(folder, "stopping", "stopping after this batch; the model and history are saved")
        return "stopping"


def evaluate(run_id: str, runs_dir: Path | None = None) -> None:
    """Evaluate a finished run on its test split in a worker process (never in the page's own)."""
    folder = runs.run_dir(run_id, runs_dir)
    if not (folder / "model.keras").is_file():
        raise CnnvizError(f"Run {run_id} has no model.keras yet; evaluate it when it has trained an epoch.")
    runs.write_json(folder / "evaluation.json", {"state": "running"})
    spawn(["evaluate", "--run-dir", str(folder)], folder)
