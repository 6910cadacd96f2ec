"""The commands that run inside a worker process: train one run, evaluate runs, serve as a warm worker.

cnnviz/__main__.py parses the command line and calls these; the Train page's launcher runs the same
commands (`python -m cnnviz train --run-dir …`), so a run trains the same way from a terminal or a click.
"""

from __future__ import annotations

import argparse
import sys

from cnnviz.errors import CnnvizError
from cnnviz.learning import evaluating, filter_patterns, streaming, training
from cnnviz.runtime import jobs, runs, settings
from cnnviz.runtime.run_files import RunFiles
from cnnviz.runtime.runs import RunState
from cnnviz.worker import warm_serving


def command_train(arguments: argparse.Namespace) -> int:
    """Train in this process with a progress bar (or detached, through the job launcher); return 0 unless it failed."""
    if arguments.recipe is None:
        if arguments.run_dir is None or not RunFiles(arguments.run_dir).config.is_file():
            raise CnnvizError("Give --recipe and --dataset, or --run-dir of a run that holds a config.json.")
        folder = arguments.run_dir
    else:
        if arguments.dataset is None:
            raise CnnvizError("Give --dataset too (e.g. --dataset fashion_mnist).")
        config = training.default_config(
            arguments.recipe,
            arguments.dataset,
            dataset_path=arguments.dataset_path,
            epochs=arguments.epochs,
            batch_size=arguments.batch_size,
            learning_rate=arguments.learning_rate,
            optimizer=arguments.optimizer,
            limit=arguments.limit,
            input_size=arguments.input_size,
            augment=arguments.augment,
            dropout=arguments.dropout,
            seed=arguments.seed,
            weights=arguments.weights,
            label=arguments.label,
        )
        if arguments.detach:
            print(jobs.start(config, arguments.runs_dir))
            return 0
        if arguments.run_dir is not None:
            arguments.run_dir.mkdir(parents=True, exist_ok=True)
            runs.write_config(arguments.run_dir, config)
            runs.set_status(arguments.run_dir, RunState.QUEUED, "starting")
            folder = arguments.run_dir
        else:
            folder = runs.create_run(config, arguments.runs_dir)
        print(f"run {folder.name} in {folder}", file=sys.stderr)
    run = training.train(folder, progress=streaming.ProgressLine())
    print(f"\n{run.state.value}: {run.message}", file=sys.stderr)
    if arguments.recipe is None:
        jobs.refresh(folder.parent)  # this worker's slot is free: start the next queued run
    return 1 if run.state is RunState.FAILED else 0


def command_evaluate(arguments: argparse.Namespace) -> int:
    """Evaluate each run folder on its test split (else validation split); return 0 unless one failed."""
    results = evaluating.evaluate_all([folder.resolve() for folder in arguments.run_dir])
    for folder, result in zip(arguments.run_dir, results):
        print(f"{folder.name}: {result.describe()}")
    return 0 if all(result.is_finished for result in results) else 1


def command_patterns(arguments: argparse.Namespace) -> int:
    """Compute one layer's filter patterns for a run folder; return 0 unless it failed."""
    filter_patterns.store_patterns(arguments.run_dir.resolve(), arguments.layer)
    print(f"{arguments.layer}: filter patterns written to {RunFiles(arguments.run_dir).patterns}")
    return 0


def command_worker(arguments: argparse.Namespace) -> int:
    """Serve as a warm worker for a run store: wait for one run, train it, exit."""
    root = (arguments.runs_dir or settings.runs_dir()).resolve()
    return warm_serving.serve(root, arguments.parent, arguments.for_queue)
