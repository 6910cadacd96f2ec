"""Reading training curves: where overfitting starts, how far it went, and what to do next."""

from __future__ import annotations

from pathlib import Path

from cnnviz.learning import models
from cnnviz.runtime import runs

OVERFITTING_RISE = 0.10  # validation loss 10% above its minimum counts as rising, not noise
GAP_WORTH_NAMING = 0.10  # ten accuracy points between training and validation


def overfitting_report(history: dict[str, list[float]]) -> dict:
    """Return the numbers that tell overfitting from a Keras History.history, and a verdict in words."""
    loss, val_loss = history.get("loss") or [], history.get("val_loss") or []
    accuracy, val_accuracy = history.get("accuracy") or [], history.get("val_accuracy") or []
    epochs = len(loss)
    report: dict = {"epochs": epochs}
    if val_accuracy:
        best = max(range(len(val_accuracy)), key=lambda i: val_accuracy[i])
        report |= {"best_val_accuracy": val_accuracy[best], "best_val_accuracy_epoch": best + 1}
    if val_loss:
        lowest = min(range(len(val_loss)), key=lambda i: val_loss[i])
        report |= {
            "min_val_loss": val_loss[lowest],
            "min_val_loss_epoch": lowest + 1,
            "val_loss_rise": (val_loss[-1] - val_loss[lowest]) / max(val_loss[lowest], 1e-12),
        }
    if accuracy and val_accuracy:
        report["final_gap"] = accuracy[-1] - val_accuracy[-1]
    report["verdict"] = verdict(report, loss)
    return report


def verdict(report: dict, loss: list[float]) -> str:
    """Return what the numbers say, in plain words, with the next step."""
    if report["epochs"] < 2 or "min_val_loss_epoch" not in report:
        return "Too few epochs with validation to tell yet: train at least two."
    lowest, rise, gap = report["min_val_loss_epoch"], report["val_loss_rise"], report.get("final_gap", 0.0)
    training_kept_falling = loss[-1] < loss[lowest - 1]
    if rise > OVERFITTING_RISE and training_kept_falling:
        return (
            f"Validation loss bottomed at epoch {lowest} and is {rise:.0%} higher now while training loss kept "
            "falling: overfitting. Augmentation and dropout are the next step."
        )
    if lowest == report["epochs"]:
        return (
            "Validation loss is still falling at the last epoch: the network is still learning. "
            "More epochs should help."
        )
    if gap > GAP_WORTH_NAMING:
        return (
            f"Training accuracy ends {gap:.0%} above validation accuracy: the network fits its training images "
            "better than new ones. Watch for overfitting; more data or augmentation narrows the gap."
        )
    if report.get("best_val_accuracy", 1) < 0.6:
        return "Training and validation accuracy are both low: the network underfits. Train longer or go bigger."
    return (
        f"Validation loss has been flat since epoch {lowest}: more epochs are unlikely to help; "
        "a better network or more data would."
    )


def book_reference(recipe: str) -> float | None:
    """Return the book's reported accuracy for a recipe (a reference, not a promise)."""
    chosen = models.RECIPES.get(recipe)
    return None if chosen is None else chosen.book_accuracy


def run_row(folder: Path) -> dict:
    """Return one run's line of the comparison table."""
    config, status = runs.read_json(folder / "config.json"), runs.read_json(folder / "status.json")
    records = runs.history_rows(folder)
    report = overfitting_report(runs.as_keras_history(records))
    evaluation = runs.read_json(folder / "evaluation.json")
    seconds = [record["seconds"] for record in records if "seconds" in record]

    def percent(key: str) -> str:
        return "" if key not in report else f"{report[key]:.1%}"

    return {
        "run": folder.name,
        "recipe": config.get("recipe"),
        "dataset": config.get("dataset"),
        "best val accuracy": percent("best_val_accuracy"),
        "at epoch": report.get("best_val_accuracy_epoch"),
        "min val loss at epoch": report.get("min_val_loss_epoch"),
        "final train−val gap": percent("final_gap"),
        "val loss rise since min": percent("val_loss_rise"),
        "test accuracy": "" if "accuracy" not in evaluation else f"{evaluation['accuracy']:.1%}",
        "parameters": status.get("parameters"),
        "epochs": report["epochs"],
        "seconds/epoch": round(sum(seconds) / len(seconds), 1) if seconds else None,
        "device": status.get("device"),
        "verdict": report["verdict"],
    }


def default_selection(summaries: list[runs.RunSummary]) -> list[str]:
    """Return the latest finished run of each recipe on the dataset of the newest finished run."""
    finished = [summary for summary in summaries if summary.state == "finished"]
    if not finished:
        return []
    dataset = max(finished, key=lambda summary: summary.run_id).dataset
    latest: dict[str, str] = {}
    for summary in sorted(finished, key=lambda summary: summary.run_id):
        if summary.dataset == dataset:
            latest[summary.recipe] = summary.run_id
    return sorted(latest.values(), reverse=True)


def smooth(values: list[float], factor: float) -> list[float]:
    """Return an exponential moving average (TensorBoard's smoothing); factor 0 leaves values as they are."""
    smoothed, last = [], None
    for value in values:
        last = value if last is None or value is None else factor * last + (1 - factor) * value
        smoothed.append(last)
    return smoothed


def histories_csv(folders: list[Path]) -> str:
    """Return every selected run's epoch history as one CSV, a run column first."""
    records = [{"run": folder.name, **record} for folder in folders for record in runs.history_rows(folder)]
    return runs.history_csv(records)
