"""Reading training curves: where overfitting starts, how far it went, and what to do next."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from datetime import datetime

from cnnviz.data import datasets
from cnnviz.learning import recipes
from cnnviz.runtime import runs
from cnnviz.runtime.records import BatchRecord, EpochRecord
from cnnviz.runtime.run_config import Variant
from cnnviz.runtime.runs import Run, RunState

OVERFITTING_RISE = 0.10  # validation loss 10% above its minimum counts as rising, not noise
GAP_WORTH_NAMING = 0.10  # ten accuracy points between training and validation
BOOK = "Deep Learning with Python, chapter 5"
PLATEAU_PATIENCE = 3  # epochs without a new validation-loss minimum before "flat" is said (Keras's patience idea)


@dataclass(frozen=True)
class Curves:
    """The runs Compare overlays: each run's complete epochs under a unique short name, its variant, and what the
    names all share (said once, in the chart's subtitle)."""

    histories: dict[str, list[EpochRecord]]
    variants: dict[str, Variant | None]
    shared: str


@dataclass(frozen=True)
class OverfittingReport:
    """The numbers that tell overfitting from a history (None where the history lacks them), and a verdict."""

    epochs: int
    best_val_accuracy: float | None = None
    best_val_accuracy_epoch: int | None = None
    min_val_loss: float | None = None
    min_val_loss_epoch: int | None = None
    val_loss_rise: float | None = None  # the last epoch's validation loss over its minimum, minus 1
    final_gap: float | None = None  # training minus validation accuracy at the last epoch
    verdict: str = ""
    chance_note: str | None = None  # the loss of a network that still guesses, when the run shows it


def overfitting_report(history: dict[str, list[float]], num_classes: int | None = None) -> OverfittingReport:
    """Return the numbers that tell overfitting from a Keras History.history, and a verdict in words."""
    loss, val_loss = history.get("loss") or [], history.get("val_loss") or []
    accuracy, val_accuracy = history.get("accuracy") or [], history.get("val_accuracy") or []
    report = OverfittingReport(epochs=len(loss))
    if val_accuracy:
        best = max(range(len(val_accuracy)), key=lambda i: val_accuracy[i])
        report = replace(report, best_val_accuracy=val_accuracy[best], best_val_accuracy_epoch=best + 1)
    if val_loss:
        lowest = min(range(len(val_loss)), key=lambda i: val_loss[i])
        rise = (val_loss[-1] - val_loss[lowest]) / max(val_loss[lowest], 1e-12)
        report = replace(report, min_val_loss=val_loss[lowest], min_val_loss_epoch=lowest + 1, val_loss_rise=rise)
    if accuracy and val_accuracy:
        report = replace(report, final_gap=accuracy[-1] - val_accuracy[-1])
    return replace(report, verdict=verdict(report, loss), chance_note=describe_chance_loss(loss, num_classes))


def describe_chance_loss(loss: list[float], num_classes: int | None) -> str | None:
    """Say what a first-epochs loss of ln(classes) means (2.3026 = ln 10: every class equally likely)."""
    if not num_classes or num_classes < 2 or not loss:
        return None
    chance = math.log(num_classes)
    guessing = 0
    while guessing < len(loss) and loss[guessing] is not None and abs(loss[guessing] - chance) < 0.005 * chance:
        guessing += 1
    if guessing == 0:
        return None
    epochs = "epoch 1" if guessing == 1 else f"epochs 1-{guessing}"
    return (
        f"A loss of {chance:.4f} in {epochs} is ln {num_classes}: the network gives all {num_classes} classes the same "
        "probability, the loss of a guess, so it had not started to learn yet (the Fashion-MNIST tutorial's run sat "
        "at 2.3026 for its first epochs too). If it stays there, lower the learning rate."
    )


def verdict(report: OverfittingReport, loss: list[float]) -> str:
    """Return what the numbers say, in plain words, with the next step."""
    if report.epochs < 2 or report.min_val_loss_epoch is None:
        return "Too few epochs with validation to tell yet: train at least two."
    lowest, rise, gap = report.min_val_loss_epoch, report.val_loss_rise, report.final_gap or 0.0
    training_kept_falling = loss[-1] < loss[lowest - 1]
    if rise > OVERFITTING_RISE and training_kept_falling:
        return (
            f"Validation loss bottomed at epoch {lowest} and is {rise:.0%} higher now while training loss kept "
            "falling: overfitting. Augmentation and dropout are the next step."
        )
    if lowest == report.epochs:
        return (
            "Validation loss is still falling at the last epoch: the network is still learning. "
            "More epochs should help."
        )
    if report.epochs - lowest < PLATEAU_PATIENCE:
        return (
            f"Validation loss was lowest at epoch {lowest} of {report.epochs}, too recently to call it flat: "
            f"the network is still improving. A few more epochs will tell (a plateau is {PLATEAU_PATIENCE} epochs "
            "without a new low)."
        )
    if gap > GAP_WORTH_NAMING:
        return (
            f"Training accuracy ends {gap:.0%} above validation accuracy: the network fits its training images "
            "better than new ones. Watch for overfitting; more data or augmentation narrows the gap."
        )
    if report.best_val_accuracy is not None and report.best_val_accuracy < 0.6:
        return "Training and validation accuracy are both low: the network underfits. Train longer or go bigger."
    return (
        f"Validation loss has been flat since epoch {lowest}: more epochs are unlikely to help; "
        "a better network or more data would."
    )


def book_reference(recipe: str) -> float | None:
    """Return the book's reported accuracy for a recipe (a reference, not a promise)."""
    chosen = recipes.RECIPES.get(recipe)
    return None if chosen is None else chosen.book_accuracy


@dataclass(frozen=True)
class ReferenceLine:
    """A published accuracy drawn on Compare's chart: what it is, its value, and where it comes from."""

    label: str
    value: float
    source: str


def reference_lines(selected: list[Run]) -> list[ReferenceLine]:
    """Return the book's and each tutorial's reported accuracies for the selected runs' recipes."""
    return [line for name in dict.fromkeys(run.config.recipe for run in selected) for line in reference_lines_of(name)]


def reference_lines_of(recipe_name: str) -> list[ReferenceLine]:
    """Return one recipe's published figures: the book's validation accuracy, then its own tutorial's."""
    recipe = recipes.RECIPES.get(recipe_name)
    if recipe is None:
        return []
    found = [ReferenceLine(f"book, {recipe.title}", recipe.book_accuracy, BOOK)] if recipe.book_accuracy else []
    return found + [
        ReferenceLine(
            f"tutorial, {recipe.title}: {figure.split} {figure.when}", figure.accuracy, figure.source or recipe.source
        )
        for figure in recipe.reported
    ]


def describe_references(recipe_name: str) -> str:
    """Return a recipe's published figures in one cell of the comparison table, each with its source."""
    return "; ".join(f"{line.value:.2%} ({line.source})" for line in reference_lines_of(recipe_name))


def report_of(run: Run) -> OverfittingReport:
    """Return the overfitting report of a run's complete epochs."""
    return overfitting_report(runs.as_keras_history(run.epochs), len(run.class_names or []) or None)


def comparison_row(run: Run) -> dict:
    """Return one run's line of the comparison table (complete epochs only)."""
    report = report_of(run)
    evaluation = run.evaluation()
    seconds = [record.seconds for record in run.epochs if record.seconds is not None]

    def percent(value: float | None) -> str:
        return "" if value is None else f"{value:.1%}"

    def points(value: float | None) -> str:  # a difference of two accuracies is in percentage points, not percent
        return "" if value is None else f"{value * 100:+.1f} pts"

    return {
        "run": run.label,
        "recipe": run.config.recipe,
        "state": run.state.value,
        "best val accuracy": percent(report.best_val_accuracy),
        "at epoch": report.best_val_accuracy_epoch,
        "min val loss at epoch": report.min_val_loss_epoch,
        "final train−val gap": points(report.final_gap),
        "val loss rise since min": percent(report.val_loss_rise),
        "published": describe_references(run.config.recipe),
        "test accuracy": "" if evaluation is None or evaluation.accuracy is None else f"{evaluation.accuracy:.1%}",
        "parameters": run.parameters,
        "epochs": report.epochs,
        "seconds/epoch": round(sum(seconds) / len(seconds), 1) if seconds else None,
        "device": run.device,
    }


def comparison_table(selected: list[Run]) -> list[dict]:
    """Return the overfitting table of the selected runs, one row each."""
    return [comparison_row(run) for run in selected]


def verdicts(selected: list[Run]) -> list[tuple[str, str]]:
    """Return each selected run's label with its verdict in words."""
    reports = [(run.label, report_of(run)) for run in selected]
    return [(label, " ".join(filter(None, (report.verdict, report.chance_note)))) for label, report in reports]


def shorten_labels(labels: list[str]) -> tuple[list[str], str]:
    """Return the labels without the ' · ' parts they all share, and the shared parts (for a chart's title).

    Eight runs of one experiment all say 'Fashion-MNIST · 1,000 images': a legend says it once.
    """
    parts = [label.split(" · ") for label in labels]
    shared = [part for part in parts[0] if all(part in others for others in parts)] if len(labels) > 1 else []
    short = [" · ".join(part for part in each if part not in shared) or label for each, label in zip(parts, labels)]
    return short, " · ".join(shared)


def curves_of(chosen: list[Run]) -> Curves:
    """Return the chosen runs' epochs for Compare's charts, named by the part of their labels that differs."""
    short, shared = shorten_labels([run.label for run in chosen])
    histories, variants = {}, {}
    for name, run in zip(short, chosen):
        if name in histories:  # two runs of the same settings (an experiment run twice): tell them by their start
            name = f"{name} ({datetime.fromtimestamp(run.created):%H:%M:%S})"
        histories[name], variants[name] = run.epochs, run.config.variant
    return Curves(histories, variants, shared)


def estimate_duration(recipe: str, dataset: str, epochs: int, limit: int | None, past_runs: list[Run]) -> str:
    """Return how long a run should take here, from the epochs earlier runs of the same network and data took."""
    wanted = datasets.training_images(dataset, limit)
    for run in sorted(past_runs, key=lambda each: each.run_id, reverse=True):
        seconds = [record.seconds for record in run.epochs if record.seconds]
        images = datasets.training_images(run.config.dataset, run.config.limit)
        if run.config.recipe != recipe or run.config.dataset != dataset or not seconds or not images or not wanted:
            continue
        per_epoch = sorted(seconds)[len(seconds) // 2] * wanted / images
        total = per_epoch * epochs
        minutes, rest = divmod(int(round(total)), 60)
        shown = f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"
        return (
            f"About {shown} on this machine: {epochs} epoch{'s' if epochs != 1 else ''} × {wanted:,} images at "
            f"{per_epoch:.0f} s an epoch, the speed an earlier run of it had here."
        )
    return "No run of this network on this data has trained here yet: the time left shows once the first batches run."


def choice_labels(choices: list[Run]) -> dict[str, str]:
    """Return each run's name in a picker: the part of its label the others do not share, its state and epochs
    ("dropout (finished, 28 epochs)"), with when it was made where two would read the same."""
    short, _ = shorten_labels([run.label for run in choices]) if len(choices) > 1 else ([r.label for r in choices], "")
    names = [f"{name} ({run.state.value}, {run.epochs_done} epochs)" for name, run in zip(short, choices)]
    repeated = {name for name in names if names.count(name) > 1}
    return {
        run.run_id: f"{name[:-1]}, {datetime.fromtimestamp(run.created):%d %b %H:%M:%S})" if name in repeated else name
        for name, run in zip(names, choices)
    }


def comparable(all_runs: list[Run]) -> list[Run]:
    """Return the runs that have at least one complete epoch to compare."""
    return [run for run in all_runs if run.epochs_done > 0]


def default_selection(all_runs: list[Run]) -> list[str]:
    """Return the latest experiment's runs, else the finished runs of the newest finished run's recipe and data."""
    usable = comparable(all_runs)
    experiments = [run for run in usable if run.config.experiment]
    if experiments:
        latest = max(experiments, key=lambda run: run.run_id).config.experiment
        return [run.run_id for run in usable if run.config.experiment == latest]
    finished = [run for run in usable if run.state is RunState.FINISHED]
    if not finished:
        return [usable[0].run_id] if usable else []
    newest = max(finished, key=lambda run: run.run_id)
    same = (newest.config.recipe, newest.config.dataset)
    return [run.run_id for run in finished if (run.config.recipe, run.config.dataset) == same]


def best_finished_run(candidates: list[Run]) -> Run:
    """Return the finished run with the best validation accuracy (complete epochs), else the newest candidate."""
    finished = [run for run in candidates if run.state is RunState.FINISHED and run.best_val_accuracy is not None]
    if not finished:
        return max(candidates, key=lambda run: run.run_id)
    return max(finished, key=lambda run: (run.best_val_accuracy, run.run_id))


def window_means(batches: list[BatchRecord], metrics: tuple[str, ...] = ("loss", "accuracy")) -> list[BatchRecord]:
    """Return batch records with each metric as the mean over the batches since the previous record.

    Keras logs a running mean that restarts every epoch, so a curve of it jumps at each epoch boundary
    (early, noisy batches weigh in again). From two running means m1 over b1 batches and m2 over b2,
    the b2 − b1 batches between them averaged (m2·b2 − m1·b1) / (b2 − b1): exact for equal batches.
    """
    windowed, previous = [], None
    for record in batches:
        same_epoch = previous is not None and previous.epoch == record.epoch and previous.batch < record.batch
        means = {}
        for metric in metrics:
            now, before = record.metric(metric), None if previous is None else previous.metric(metric)
            if now is None or not same_epoch or before is None:
                continue
            means[metric] = (now * record.batch - before * previous.batch) / (record.batch - previous.batch)
        windowed.append(replace(record, **means))
        previous = record
    return windowed


def smooth(values: list[float], factor: float) -> list[float]:
    """Return an exponential moving average (TensorBoard's smoothing); factor 0 leaves values as they are."""
    smoothed, last = [], None
    for value in values:
        last = value if last is None or value is None else factor * last + (1 - factor) * value
        smoothed.append(last)
    return smoothed


def histories_csv(selected: list[Run]) -> str:
    """Return every selected run's epoch history as one CSV, a run and label column first."""
    records = [
        {"run": run.run_id, "label": run.label, **record.to_json()} for run in selected for record in run.history
    ]
    return runs.history_csv(records)
