"""A warm worker: one process with Keras already imported, waiting to take the next training.

Starting a worker costs seconds before the first batch (Python, TensorFlow, the first graph). The
Train page keeps one idle worker per run store; `jobs.launch` hands a run to it instead of starting
a process, so Start shows a curve point within about a second. The hand-over goes through files in
`<runs>/.warm/` (no sockets, nothing to leak):

    <pid>.idle     the worker waits; renaming it to <pid>.claimed is the atomic claim
    <pid>.job      the run folder it must train (written by whoever claimed it)
    <pid>.leaving  the worker gives up waiting: renaming <pid>.idle to it is its own atomic claim, so a
                   worker never leaves a run it was handed a moment before

This module is the launcher's side (find, claim, start); what the worker itself does (warm up, wait,
train one run, exit) is cnnviz/worker/warm_serving.py. A warm worker trains exactly one run and exits
(the next one starts clean). Whether its run is training is checked as for any worker: the pid alive,
and the job file naming the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from cnnviz.runtime import settings, system

COMMAND_WORD = b"worker"


def warm_dir(root: Path) -> Path:
    """Return the folder of the hand-over files."""
    return root / ".warm"


def job_of(pid: int, root: Path) -> Path | None:
    """Return the run folder a warm worker was handed, if any."""
    try:
        return Path((warm_dir(root) / f"{pid}.job").read_text().strip())
    except OSError:
        return None


def runs_dir_of(pid: int) -> Path | None:
    """Return the run store a live warm worker serves (from its command line), or None for any other process."""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            arguments = cmdline.read().split(b"\0")
    except OSError:
        return None
    if COMMAND_WORD not in arguments or b"--runs-dir" not in arguments:
        return None
    return Path(os.fsdecode(arguments[arguments.index(b"--runs-dir") + 1]))


def is_training(pid: int, run_id: str) -> bool:
    """Return whether `pid` is a warm worker that was handed run `run_id`."""
    root = runs_dir_of(pid)
    job = None if root is None else job_of(pid, root)
    return job is not None and job.name == run_id


def is_alive(pid: int) -> bool:
    """Return whether a process exists and is not a zombie."""
    return system.process_problem(pid) is None


def idle_workers(root: Path) -> list[int]:
    """Return the pids of live warm workers waiting for a job; forget the markers of dead ones."""
    folder = warm_dir(root)
    found = []
    for marker in folder.glob("*.idle") if folder.is_dir() else []:
        pid = int(marker.stem) if marker.stem.isdigit() else 0
        if pid and is_alive(pid) and runs_dir_of(pid) is not None:
            found.append(pid)
        else:
            marker.unlink(missing_ok=True)
    return found


def hand_over(folder: Path, root: Path, on_claimed=None) -> int | None:
    """Give a queued run to an idle warm worker; return its pid, or None when none is waiting.

    `on_claimed(pid)` runs after the claim and before the worker can see its job, so whatever it
    records (the run's status) comes before the worker's own first status, never after it.
    """
    for pid in idle_workers(root):
        try:
            os.rename(warm_dir(root) / f"{pid}.idle", warm_dir(root) / f"{pid}.claimed")
        except OSError:
            continue  # claimed by someone else a moment ago
        if on_claimed is not None:
            on_claimed(pid)
        temporary = warm_dir(root) / f".{pid}.job.tmp"
        temporary.write_text(str(folder))
        os.replace(temporary, warm_dir(root) / f"{pid}.job")
        return pid
    return None


def keep_one_ready(root: Path, for_queue: bool = False) -> int | None:
    """Start a warm worker for this run store unless one is already waiting or starting; return its pid.

    The Train page's worker lives as long as the server that started it; one started `for_queue` lives
    as long as runs wait in the queue (its starter may be a worker about to exit).
    """
    folder = warm_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    if idle_workers(root):
        return None
    starting = folder / "starting"
    try:
        pid = int(starting.read_text())
        if is_alive(pid) and runs_dir_of(pid) is not None and not (folder / f"{pid}.job").exists():
            return None  # still importing Keras
    except (OSError, ValueError):
        pass
    command = [sys.executable, "-m", "cnnviz", "worker", "--runs-dir", str(root)]
    command += ["--for-queue"] if for_queue else ["--parent", str(os.getpid())]
    with open(folder / "worker.log", "ab") as log:
        process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    system.lower_priority(process.pid, settings.worker_niceness())
    starting.write_text(str(process.pid))
    return process.pid
