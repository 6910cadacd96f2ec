"""The warm worker's own side: import Keras, trace the likely network, wait for one run, train it, exit.

It exits when the server that started it is gone, or after IDLE_LIMIT_SECONDS without a job. One started
`for_queue` (by the scheduler, while runs wait for a slot) prepares the network of the next queued run and
exits when nothing waits any more. The hand-over files it waits on are described in cnnviz/runtime/warm.py.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from cnnviz.learning import prepared, recipes, training
from cnnviz.runtime import jobs, runs
from cnnviz.runtime.run_config import RunConfig
from cnnviz.runtime.warm import is_alive, job_of, warm_dir

POLL_SECONDS = 0.05
QUEUE_CHECK_SECONDS = 2.0
IDLE_LIMIT_SECONDS = 30 * 60


def warm_up(root: Path) -> None:
    """Import what a training needs and trace the network it will most likely train, before any Start."""
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
    waiting = runs.queued_runs(runs.list_runs(root))
    return waiting[0].config if waiting else None


def prepare_network(config: RunConfig) -> bool:
    """Build, compile and trace the network a run with these settings trains; return whether it was prepared.

    Only networks built from scratch on a built-in dataset: a folder would be decoded twice, and pretrained
    weights or two-stage fine-tuning are not taken from a prepared model anyway.
    """
    recipe = recipes.get_recipe(config.recipe)
    if config.source.is_folder or len(recipe.stages) != 1 or config.weights_to_load is not None:
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
        # Claimed: the claimer renamed idle to claimed and its job file is on the way. With neither marker
        # the run store itself is gone (a deleted folder), and no one can hand this worker a job any more.
        return not (folder / f"{pid}.claimed").exists() and job_of(pid, root) is None
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
    warm_up(root)
    folder = wait_for_job(root, parent, for_queue)
    if folder is None:
        return 0
    try:
        run = training.train(folder)
    finally:
        (warm_dir(root) / f"{os.getpid()}.job").unlink(missing_ok=True)
    jobs.refresh(root)  # this worker's slot is free: start the next queued run
    return 1 if run.state is runs.RunState.FAILED else 0
