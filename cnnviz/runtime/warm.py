"""A warm worker: one process with Keras already imported, waiting to take the next training.

Starting a worker costs seconds before the first batch (Python, TensorFlow, the first graph). The
Train page keeps one idle worker per run store; `jobs.launch` hands a run to it instead of starting
a process, so Start shows a curve point within about a second. The hand-over goes through files in
`<runs>/.warm/` (no sockets, nothing to leak):

    <pid>.idle     the worker waits; renaming it to <pid>.claimed is the atomic claim
    <pid>.job      the run folder it must train (written by whoever claimed it)

A warm worker trains exactly one run and exits (the next one starts clean). It also exits when the
server that started it is gone, or after IDLE_LIMIT_SECONDS without a job. Whether its run is
training is checked as for any worker: the pid alive, and this file naming the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from cnnviz.errors import CnnvizError
from cnnviz.runtime import runs, settings, system

POLL_SECONDS = 0.05
IDLE_LIMIT_SECONDS = 30 * 60
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


def keep_one_ready(root: Path) -> int | None:
    """Start a warm worker for this run store unless one is already waiting or starting; return its pid."""
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
    with open(folder / "worker.log", "ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "cnnviz", "worker", "--runs-dir", str(root), "--parent", str(os.getpid())],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    system.lower_priority(process.pid, settings.worker_niceness())
    starting.write_text(str(process.pid))
    return process.pid


def warm_up() -> None:
    """Import what a training needs and run one tiny fit, so the first real batch pays for neither."""
    from cnnviz.learning import training

    training.prepare_backend()
    import keras
    import numpy as np

    from cnnviz.data import datasets
    from cnnviz.learning import augment, models  # noqa: F401 - imported now so the run does not wait for it

    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten()])
    model.add(keras.layers.Dense(2, activation="softmax"))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(np.zeros((2, 4, 4, 1), "float32"), np.zeros(2), epochs=1, verbose=0)
    keras.backend.clear_session()
    try:
        datasets.load_fashion_mnist(limit=10)  # the class's first dataset, read once into the cache
    except CnnvizError:
        return  # not installed here: the run will say so
    prepare_default_network()


def prepare_default_network() -> None:
    """Build, compile and trace the network the Train page starts by default (cnnviz.learning.prepared)."""
    from cnnviz.learning import prepared, recipes, training

    config = training.default_config("fashion_separable", "fashion_mnist")
    recipe = recipes.get_recipe(config.recipe)
    options = training.build_options_for(config, recipe, recipe.input_shape, num_classes=10)
    prepared.prepare(config, options, config.learning_rate)


def wait_for_job(root: Path, parent: int | None) -> Path | None:
    """Mark this worker idle and wait for a run folder; None when the server is gone or it waited too long."""
    pid, folder = os.getpid(), warm_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{pid}.idle").write_text("")
    started = time.monotonic()
    try:
        while time.monotonic() - started < IDLE_LIMIT_SECONDS:
            job = job_of(pid, root)
            if job is not None:
                return job
            if parent and not is_alive(parent):
                return None
            time.sleep(POLL_SECONDS)
        return None
    finally:
        for suffix in ("idle", "claimed"):
            (folder / f"{pid}.{suffix}").unlink(missing_ok=True)


def serve(root: Path, parent: int | None = None) -> int:
    """Run a warm worker: warm up, wait for one run, train it, start what waits, exit; return an exit code."""
    from cnnviz.learning import training
    from cnnviz.runtime import jobs

    warm_up()
    folder = wait_for_job(root, parent)
    if folder is None:
        return 0
    try:
        status = training.train(folder)
    finally:
        (warm_dir(root) / f"{os.getpid()}.job").unlink(missing_ok=True)
    jobs.refresh(root)  # this worker's slot is free: start the next queued run
    return 1 if status.get("state") == runs.RunState.FAILED.value else 0
