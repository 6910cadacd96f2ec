"""The command line: `cnnviz train | runs | stop | evaluate | patterns | export` (or `python -m cnnviz`)."""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from cnnviz.errors import CnnvizError
from cnnviz.runtime import runs, settings
from cnnviz.runtime.runs import RunState


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    """Return the parsed command line."""
    parser = argparse.ArgumentParser(prog="cnnviz", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train", help="train a recipe on a dataset and write a run folder")
    train.add_argument(
        "--recipe", help="a name from cnnviz.learning.recipes.RECIPES (omit with --run-dir to resume a queued run)"
    )
    train.add_argument("--dataset", help="fashion_mnist, lfw_faces, folder, cats_vs_dogs, malaria, caltech101")
    train.add_argument("--dataset-path", help="the folder, for --dataset folder")
    train.add_argument("--epochs", type=int)
    train.add_argument("--batch-size", type=int)
    train.add_argument("--learning-rate", type=float)
    train.add_argument("--optimizer", choices=["rmsprop", "adam", "sgd"])
    train.add_argument("--limit", type=int, help="at most this many training images (a fifth for validation)")
    train.add_argument("--input-size", type=int, help="the network's input side, instead of the recipe's own")
    train.add_argument("--augment", action=argparse.BooleanOptionalAction, default=None)
    train.add_argument("--dropout", action=argparse.BooleanOptionalAction, default=None)
    train.add_argument("--seed", type=int)
    train.add_argument("--weights", help="VGG16: imagenet (default), a local .h5 path, or random")
    train.add_argument("--label", help="a name people tell the run by (default: made from its settings)")
    train.add_argument(
        "--detach",
        action="store_true",
        help="start the run the way the Train page does (a worker of its own, queued if the slots are full) "
        "and print its id at once",
    )
    train.add_argument("--run-dir", type=Path, help="the run folder to write (or to run, when it holds a config)")
    experiment = commands.add_parser(
        "experiment", help="the overfitting lesson: baseline, dropout, augmentation and both, then a table"
    )
    experiment.add_argument("name", choices=["overfitting"])
    experiment.add_argument("--dataset", default="fashion_mnist", help="fashion_mnist (the measured plan)")
    experiment.add_argument("--limit", type=int, help="training images (default: the measured plan's)")
    experiment.add_argument("--epochs", type=int, help="epochs per variant (default: the measured plan's)")
    experiment.add_argument("--seed", type=int, default=0)
    experiment.add_argument("--no-wait", action="store_true", help="queue the four runs and print their ids")
    worker = commands.add_parser("worker", help="a warm worker: import Keras, wait for one run, train it")
    worker.add_argument("--parent", type=int, help="exit when this process (the server) is gone")
    worker.add_argument("--for-queue", action="store_true", help="exit when no run waits in the queue")
    evaluate = commands.add_parser(
        "evaluate", help="predict every image of a run's test split (else validation split); keep each prediction"
    )
    evaluate.add_argument(
        "--run-dir", type=Path, required=True, action="append", help="a run folder (repeat to evaluate several)"
    )
    patterns = commands.add_parser("patterns", help="find what each filter of a layer looks for (gradient ascent)")
    patterns.add_argument("--run-dir", type=Path, required=True, help="the run folder")
    patterns.add_argument("--layer", required=True, help="a convolution's name, e.g. conv1")
    export = commands.add_parser("export", help="write a run as a plain Keras script (no cnnviz needed to run it)")
    export.add_argument("run_id")
    export.add_argument("--out", type=Path, help="the .py file to write (default: <run id>.py here)")
    for command in (
        export,
        train,
        experiment,
        worker,
        commands.add_parser("runs", help="list the runs"),
        stop := commands.add_parser("stop", help="ask a run to stop"),
    ):
        command.add_argument("--runs-dir", type=Path, help="default: CNNVIZ_RUNS_DIR, else ./runs")
    stop.add_argument("run_id")
    return parser.parse_args(argv)


def command_experiment(arguments: argparse.Namespace) -> int:
    """Queue the four variants, wait for them, and print the overfitting table; return 0 unless one failed."""
    from cnnviz.learning import experiment

    plan = experiment.plan_for(arguments.dataset, arguments.limit, arguments.epochs)
    started = time.monotonic()
    experiment_id, run_ids = experiment.start(plan, arguments.runs_dir, arguments.seed)
    print(f"experiment {experiment_id}: {', '.join(run_ids)}", file=sys.stderr)
    if arguments.no_wait:
        print(experiment_id)
        return 0
    finished = experiment.wait(experiment_id, arguments.runs_dir)
    print(format_rows([experiment.summarize(run).as_row() for run in finished]))
    print(f"{len(finished)} runs in {time.monotonic() - started:.0f} s", file=sys.stderr)
    return 1 if any(run.state is RunState.FAILED for run in finished) else 0


def command_export(arguments: argparse.Namespace) -> int:
    """Write a run as a plain Keras script; print where it went."""
    from cnnviz.learning import exporting

    name, script = exporting.export_run(runs.load_run(arguments.run_id, arguments.runs_dir))
    target = arguments.out or Path(name)
    target.write_text(script)
    print(f"wrote {target}: python {target} trains it again with Keras alone")
    return 0


def command_runs(arguments: argparse.Namespace) -> int:
    """Print the runs as a table."""
    rows = [run.as_row() for run in runs.list_runs(arguments.runs_dir)]
    if not rows:
        print(f"no runs in {arguments.runs_dir or settings.runs_dir()}")
        return 0
    print(format_rows(rows))
    return 0


def format_rows(rows: list[dict]) -> str:
    """Return table rows (dicts with the same keys) as aligned text, a header line first."""
    widths = {key: max(len(key), *(len(str(row[key])) for row in rows)) for key in rows[0]}
    lines = [list(widths), *([str(row[key]) for key in widths] for row in rows)]
    return "\n".join("  ".join(cell.ljust(widths[key]) for cell, key in zip(line, widths)).rstrip() for line in lines)


def main(argv: list[str] | None = None) -> int:
    """Run one subcommand; an expected failure prints its message and exits 2."""
    arguments = parse_arguments(argv)
    try:
        if arguments.command in ("train", "worker", "evaluate", "patterns"):
            from cnnviz.worker import commands  # here, not above: `cnnviz runs` and `stop` need no Keras

        if arguments.command == "train":
            return commands.command_train(arguments)
        if arguments.command == "runs":
            return command_runs(arguments)
        if arguments.command == "experiment":
            return command_experiment(arguments)
        if arguments.command == "worker":
            return commands.command_worker(arguments)
        if arguments.command == "evaluate":
            return commands.command_evaluate(arguments)
        if arguments.command == "patterns":
            return commands.command_patterns(arguments)
        if arguments.command == "export":
            return command_export(arguments)
        from cnnviz.runtime import jobs

        print(jobs.stop(arguments.run_id, arguments.runs_dir).value)
        return 0
    except CnnvizError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
