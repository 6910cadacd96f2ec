"""A warm worker: one process with Keras already imported, waiting to take the next training.

Starting a worker costs seconds before the first batch (Python, TensorFlow, the first graph). The
Train page keeps one idle worker per run store; `jobs.launch` hands a run to it instead of starting
a process, so Start shows a curve point within about a second. The hand-over goes through files in
`<runs>/.warm/` (no sockets, nothing to leak):

    <pid>.idle     the worker waits; renaming it to <pid>.claimed is the atomic claim
    <pid>.job      the run folder it must train (written by whoever claimed it)
    <pid>.leaving  the worker gives up waiting: renaming <pid>.idle to it is its own atomic claim, so a
                   worker never leaves a run it was handed a moment before

A warm worker trains exactly one run and exits (the next one starts clean). It also exits when the
server that started it is gone, or after IDLE_LIMIT_SECONDS without a job. The scheduler also starts
one while runs wait in the queue (`for_queue`): it prepares the network of the next queued run and
exits when nothing waits any more. Whether its run is training is checked as for any worker: the pid
alive, and this file naming the run.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from cnnviz.runtime import runs, settings, system
from cnnviz.runtime.runs import RunConfig

POLL_SECONDS = 0.05
QUEUE_CHECK_SECONDS = 2.0
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


def warm_up(root: Path) -> None:
    """Import what a training needs and trace the network it will most likely train, before any Start."""
    from cnnviz.learning import training

    training.prepare_backend()
    from cnnviz.learning import augment, models  # noqa: F401 - imported now so the run does not wait for it

    # The run that waits longest in the queue, else the Train page's default (the class's first Start).
    next_run = next_queued_config(root)
    if next_run is not None and prepare_network(next_run):
        return
    if not prepare_network(training.default_config("fashion_separable", "fashion_mnist")):
        fit_tiny_network()  # Fashion-MNIST not installed: pay at least for TensorFlow's first graph now


def fit_tiny_network() -> None:
    """Run one step of a tiny network: TensorFlow's first graph costs seconds, whatever the network."""
    import keras
    import numpy as np

    model = keras.Sequential([keras.Input((4, 4, 1)), keras.layers.Conv2D(2, 3), keras.layers.Flatten()])
    model.add(keras.layers.Dense(2, activation="softmax"))
    model.compile("adam", "sparse_categorical_crossentropy")
    model.fit(np.zeros((2, 4, 4, 1), "float32"), np.zeros(2), epochs=1, verbose=0)
    keras.backend.clear_session()


def next_queued_config(root: Path) -> RunConfig | None:
    """Return the settings of the run that waits longest in the queue, if any."""
    from cnnviz.runtime import jobs

    waiting = jobs.queued_runs(runs.list_runs(root))
    return waiting[0].config if waiting else None


def prepare_network(config: RunConfig) -> bool:
    """Build, compile and trace the network a run with these settings trains; return whether it was prepared.

    Only networks built from scratch on a built-in dataset: a folder would be decoded twice, and pretrained
    weights or two-stage fine-tuning are not taken from a prepared model anyway.
    """
    from cnnviz.learning import prepared, recipes, training

    recipe = recipes.get_recipe(config.recipe)
    if config.dataset == "folder" or len(recipe.stages) != 1 or config.weights not in (None, "random"):
        return False
    try:
        dataset = training.load_dataset(config)
        shape = training.choose_input_shape(recipe, dataset)
        options = training.build_options_for(config, recipe, shape, dataset.num_classes)
        prepared.prepare(config, options, recipe.stages[0].learning_rate or config.learning_rate)
    except Exception as error:  # noqa: BLE001 - a network not prepared is only a slower first batch
        reason = f"{type(error).__name__}: {error}"
        print(f"could not prepare {config.recipe} on {config.dataset}: {reason}", file=sys.stderr)
        return False
    return True


def leave(root: Path) -> bool:
    """Stop waiting, unless a job was claimed for this worker a moment ago; return whether it may exit."""
    pid, folder = os.getpid(), warm_dir(root)
    try:
        os.rename(folder / f"{pid}.idle", folder / f"{pid}.leaving")
    except OSError:
        return False  # claimed: its job file is on the way
    return True


def should_leave(root: Path, parent: int | None, for_queue: bool, waited: float) -> bool:
    """Return whether an idle worker has no reason to wait: its server gone, the queue empty, or waited too long."""
    if waited >= IDLE_LIMIT_SECONDS or (parent and not is_alive(parent)):
        return True
    return for_queue and next_queued_config(root) is None


def wait_for_job(root: Path, parent: int | None, for_queue: bool = False) -> Path | None:
    """Mark this worker idle and wait for a run folder; None when nothing needs it any more."""
    pid, folder = os.getpid(), warm_dir(root)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{pid}.idle").write_text("")
    started = last_check = time.monotonic()
    try:
        while True:
            job = job_of(pid, root)
            if job is not None:
                return job
            now = time.monotonic()
            # Parent and queue every QUEUE_CHECK_SECONDS (reading every run's status is not free).
            if now - last_check >= QUEUE_CHECK_SECONDS or (parent and not is_alive(parent)):
                last_check = now
                if should_leave(root, parent, for_queue, now - started) and leave(root):
                    return None
            time.sleep(POLL_SECONDS)
    finally:
        for suffix in ("idle", "claimed", "leaving"):
            (folder / f"{pid}.{suffix}").unlink(missing_ok=True)


def serve(root: Path, parent: int | None = None, for_queue: bool = False) -> int:
    """Run a warm worker: warm up, wait for one run, train it, start what waits, exit; return an exit code."""
    from cnnviz.learning import training
    from cnnviz.runtime import jobs

    warm_up(root)
    folder = wait_for_job(root, parent, for_queue)
    if folder is None:
        return 0
    try:
        status = training.train(folder)
    finally:
        (warm_dir(root) / f"{os.getpid()}.job").unlink(missing_ok=True)
    jobs.refresh(root)  # this worker's slot is free: start the next queued run
    return 1 if status.get("state") == runs.RunState.FAILED.value else 0
