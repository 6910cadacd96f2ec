"""Training runs as worker processes: start, queue beyond CNNVIZ_MAX_JOBS, stop, and notice the dead.

With CNNVIZ_RAY_ADDRESS set, `start` hands each run to Ray instead (ray_jobs.py: Ray queues it); Stop is
the same stop file, and a Ray run's liveness comes from its heartbeat and Ray rather than /proc.

Liveness belongs here: pages ask `watch(run_id)` for a run and get it with a dead worker already
recorded as failed, never checking processes themselves.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from cnnviz.errors import CnnvizError
from cnnviz.runtime import evaluations, ray_jobs, runs, settings, system, warm
from cnnviz.runtime.evaluations import Evaluation
from cnnviz.runtime.run_config import RunConfig
from cnnviz.runtime.run_files import RunFiles
from cnnviz.runtime.runs import Run, RunState

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


def start(config: RunConfig, runs_dir: Path | None = None) -> str:
    """Queue a new run and start it at once when a training slot is free (or submit it to Ray); return its id."""
    root = runs_dir or settings.runs_dir()
    address = settings.ray_address()
    if address:
        return start_on_ray(config, root, address)
    folder = runs.create_run(config, root)
    refresh(root)
    return folder.name


def start_on_ray(config: RunConfig, root: Path, address: str) -> str:
    """Submit a new run to the Ray cluster at `address` at once; Ray's scheduler queues it; return its id."""
    ray_jobs.check_address(address)  # a dead address fails here, before a run folder exists
    with scheduler_lock(root):  # so no refresh() in between takes the new run for a local one
        folder = runs.create_run(config, root)
        ray_jobs.mark_queued(folder, address)
    ray_jobs.submit(folder, address)
    return folder.name


def worker_problem(pid: int | None, run_id: str) -> str | None:
    """Return why `pid` is not this run's live worker (dead, a zombie, a reused pid), or None when it is."""
    if not pid:
        return "no worker pid recorded"
    problem = system.process_problem(pid)
    if problem is not None:
        return problem
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            if run_id.encode() not in cmdline.read() and not warm.is_training(pid, run_id):
                return f"process {pid} is another program now"
    except FileNotFoundError:
        return f"process {pid} is gone"
    except OSError as error:
        return f"process {pid} could not be checked: {error}"
    return None


def is_alive(pid: int | None, run_id: str) -> bool:
    """Return whether `pid` is still this run's worker."""
    return worker_problem(pid, run_id) is None


def watch(run_id: str, runs_dir: Path | None = None) -> Run:
    """Return a run as it is now; a worker found dead (kill -9, out of memory) is recorded as failed first."""
    root = runs_dir or settings.runs_dir()
    run = runs.load_run(run_id, root)
    if run.is_on_ray:
        if run.state.is_active and ray_jobs.needs_asking(run):
            refresh(root)
            run = runs.load_run(run_id, root)
    elif run.state.has_worker and worker_problem(run.pid, run_id) is not None:
        refresh(root)  # records the death (after a second look) and starts what waits
        run = runs.load_run(run_id, root)
    return run


def refresh(runs_dir: Path | None = None) -> None:
    """Mark runs whose worker died (kill -9, out of memory) as failed, then start queued runs."""
    root = runs_dir or settings.runs_dir()
    with scheduler_lock(root):
        mark_dead_workers(root)
        launch_queued(root)


def mark_dead_workers(root: Path) -> None:
    """Fail every running run whose process is gone, keeping the epochs it finished."""
    all_runs = runs.list_runs(root)
    mark_lost_ray_runs(all_runs)
    for run in all_runs:
        if not run.state.has_worker or run.is_on_ray:
            continue
        problem = confirmed_worker_problem(run.folder, run.run_id)
        if problem is not None:
            runs.set_status(
                run.folder,
                RunState.FAILED,
                f"The training process ended without a word (killed, or out of memory). "
                f"The {run.epochs_done} finished epoch(s) are kept.",
                worker_check=problem,
            )


def mark_lost_ray_runs(all_runs: list[Run]) -> None:
    """Fail the Ray runs whose worker went silent and that Ray says are gone (killed, node lost…)."""
    for folder, message in ray_jobs.find_lost_runs(all_runs).items():
        state, _ = runs.read_state(folder)
        if state is not None and state.is_active:  # it may have ended on its own while Ray was asked
            runs.set_status(folder, RunState.FAILED, message, worker_check="asked Ray")


def confirmed_worker_problem(folder: Path, run_id: str) -> str | None:
    """Return why an active run's worker is dead, seen twice a moment apart; None while it lives or has ended."""
    # One look is not proof: a worker starting or ending rewrites status.json from its own process.
    for attempt in range(2):
        if attempt:
            time.sleep(DEAD_WORKER_RECHECK_SECONDS)
        state, status = runs.read_state(folder)
        if state is None or not state.has_worker:
            return None
        problem = worker_problem(status.get("pid"), run_id)
        if problem is None:
            return None
    return problem


def launch_queued(root: Path) -> None:
    """Launch queued runs in the order they were made, up to the job limit; warm a worker for the next one."""
    all_runs = [run for run in runs.list_runs(root) if not run.is_on_ray]  # Ray queues its own
    active = sum(run.state.has_worker for run in all_runs)
    waiting = runs.queued_runs(all_runs)
    while waiting and active < settings.max_jobs():
        launch(waiting.pop(0).folder)
        active += 1
    if waiting and settings.warm_worker_enabled():
        # A run that waits for a slot would start cold, seconds each (BENCHMARKS.md, "Measurements behind the
        # code"): a worker that imports Keras and traces its network meanwhile takes it the moment the slot frees.
        warm.keep_one_ready(root, for_queue=True)


def spawn(arguments: list[str], folder: Path, environment: dict[str, str] | None = None) -> int:
    """Start `python -m cnnviz ARGUMENTS` detached (with `environment` added), its output in the run's worker.log;
    return its pid."""
    with open(RunFiles(folder).worker_log, "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cnnviz", *arguments],  # the installed package, as the CLI runs it
            env={**os.environ, **(environment or {})},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    system.lower_priority(process.pid, settings.worker_niceness())
    return process.pid


def launch(folder: Path) -> int:
    """Give a run to the warm worker when one waits, else start a worker process for it; record its pid."""

    def record_hand_over(pid: int) -> None:
        runs.set_status(folder, RunState.RUNNING, "handed to the warm worker", pid=pid)

    pid = warm.hand_over(folder, folder.parent, record_hand_over)
    if pid is None:
        pid = spawn(["train", "--run-dir", str(folder)], folder)
        runs.set_status(folder, RunState.RUNNING, "starting the worker", pid=pid)
    return pid


def keep_warm_worker(runs_dir: Path | None = None) -> int | None:
    """Keep one worker with Keras imported waiting for the next Start (the Train page calls this); return a new pid."""
    if not settings.warm_worker_enabled() or settings.ray_address():
        return None  # on Ray the trainings run on the cluster's nodes, not beside this server
    root = runs_dir or settings.runs_dir()
    if sum(run.state.has_worker for run in runs.list_runs(root)) >= settings.max_jobs():
        # The next Start would wait in the queue anyway, and importing TensorFlow beside a training's
        # first batches would slow them: a replacement is started once a slot is free again.
        return None
    return warm.keep_one_ready(root)


def stop(run_id: str, runs_dir: Path | None = None) -> RunState:
    """Ask a run to stop (honoured within one batch); a queued run is stopped before it starts."""
    root = runs_dir or settings.runs_dir()
    folder = runs.run_dir(run_id, root)
    with scheduler_lock(root):
        state, _ = runs.read_state(folder)
        if state is RunState.QUEUED:
            runs.request_stop(folder)  # a Ray worker starting this very moment sees it and stops
            runs.set_status(folder, RunState.STOPPED, "stopped before it started")
            return RunState.STOPPED
        if state is None or not state.has_worker:
            shown = "unreadable" if state is None else state.value
            raise CnnvizError(f"Run {run_id} is {shown}; only a queued or running run can be stopped.")
        runs.request_stop(folder)
        runs.set_status(folder, RunState.STOPPING, "stopping after this batch; the model and history are saved")
        return RunState.STOPPING


def evaluate(run_ids: list[str], runs_dir: Path | None = None) -> None:
    """Evaluate runs on their test splits, one after another in one worker process (never in the page's own)."""
    chosen = [runs.load_run(run_id, runs_dir) for run_id in run_ids]
    for run in chosen:
        if run.state.is_active:
            raise CnnvizError(
                f"Run {run.label} is still {run.state.value}; evaluate it once it has finished or stopped."
            )
        if run.model_path is None or run.epochs_done == 0:
            raise CnnvizError(
                f"Run {run.label} has no complete epoch, so there is no trained model to evaluate: train it first."
            )
    waiting = [run for run in chosen if not is_evaluating(run)]
    if not waiting:
        return
    for run in waiting:
        evaluations.write_running(run.folder, "starting the evaluation worker")
    arguments = [part for run in waiting for part in ("--run-dir", str(run.folder))]
    spawn(["evaluate", *arguments], waiting[0].folder)


def is_evaluating(run: Run) -> bool:
    """Return whether a live worker is evaluating the run now."""
    evaluation = evaluation_of(run)
    return evaluation is not None and evaluation.is_running


def evaluation_of(run: Run) -> Evaluation | None:
    """Return a run's evaluation as it is now; one whose worker died (kill -9) is recorded as failed first."""
    evaluation = run.evaluation()
    if evaluation is None or not evaluation.is_running:
        return evaluation
    if evaluation.pid is None:
        started = evaluation.started or 0
        if time.time() - started < evaluations.START_GRACE_SECONDS:
            return evaluation  # launched a moment ago: the worker records its pid as it starts
        problem = "the evaluation worker never started"
    else:
        problem = evaluation_worker_problem(evaluation.pid)
        if problem is None:
            return evaluation
    return evaluations.write_failed(
        run.folder,
        f"The evaluation stopped before it finished ({problem}: killed, or out of memory); nothing partial is "
        "kept. Evaluate again.",
    )


def evaluation_worker_problem(pid: int) -> str | None:
    """Return why `pid` is not a live evaluation worker, or None when it is one."""
    problem = system.process_problem(pid)
    if problem is not None:
        return problem
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as cmdline:
            return None if b"evaluate" in cmdline.read() else f"process {pid} is another program now"
    except OSError:
        return f"process {pid} is gone"
