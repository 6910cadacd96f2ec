"""A run's evaluation in the run store: evaluation.json (the figures) and predictions.npz (every image's answer).

The worker writes the predictions first and the finished record last, each atomically, so a reader
sees either a whole evaluation or none: an evaluation killed half way is never a partial matrix.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

import numpy as np

from cnnviz.errors import CnnvizError
from cnnviz.runtime.array_files import write_arrays
from cnnviz.runtime.json_files import read_json, write_json
from cnnviz.runtime.run_files import RunFiles

START_GRACE_SECONDS = 120  # a launched evaluation that has not recorded its process by then never started


class EvaluationState(str, Enum):
    """Where an evaluation is: a worker at it, finished with its figures, or failed with a message."""

    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"


class ModelFile(str, Enum):
    """Which of a run's saved models an evaluation used."""

    FINAL = "model.keras"  # the model after the last complete epoch, the one Predict uses
    BEST = "best.keras"  # the model of the best validation epoch

    def path_in(self, folder: Path) -> Path:
        """Return this model's file in a run folder."""
        files = RunFiles(folder)
        return files.model if self is ModelFile.FINAL else files.best_model


@dataclass(frozen=True)
class Predictions:
    """Every evaluated image's true class, predicted class and probabilities, in the split's order."""

    true_classes: np.ndarray  # (n,) int
    predicted_classes: np.ndarray  # (n,) int
    probabilities: np.ndarray  # (n, classes) float32

    def __len__(self) -> int:
        return len(self.true_classes)


@dataclass(frozen=True)
class Evaluation:
    """A run's evaluation on its test split (its validation split when it has none), as the store holds it."""

    state: EvaluationState
    message: str = ""
    accuracy: float | None = None
    loss: float | None = None
    images: int | None = None
    split: str = "test"
    model_file: ModelFile | None = None
    model_modified: float | None = None
    model_is_newer: bool = False  # the model file changed after this evaluation: its figures are stale
    has_predictions: bool = False
    class_names: tuple[str, ...] = ()
    finished: float | None = None
    pid: int | None = None
    started: float | None = None
    folder: Path | None = None

    @property
    def version(self) -> str:
        """Return what tells this evaluation from a later one of the same run (a cache key)."""
        return f"{self.state.value}@{self.finished or self.started}:{self.model_modified}"

    @property
    def is_running(self) -> bool:
        """Return whether the evaluation worker is still at it."""
        return self.state is EvaluationState.RUNNING

    @property
    def is_finished(self) -> bool:
        """Return whether the evaluation ended with its figures."""
        return self.state is EvaluationState.FINISHED

    def describe(self) -> str:
        """Return the evaluation in a sentence."""
        if self.is_finished:
            stale = " (the model has changed since: evaluate again)" if self.model_is_newer else ""
            return f"{self.split} accuracy {self.accuracy:.1%} on {self.images:,} images (loss {self.loss:.4f}){stale}"
        return "evaluating in a worker process…" if self.is_running else self.message

    def predictions(self) -> Predictions:
        """Return every image's answer, or raise a CnnvizError saying how to get them."""
        if not self.is_finished:
            raise CnnvizError(f"This evaluation has not finished ({self.describe()}).")
        if not self.has_predictions or self.folder is None:
            raise CnnvizError(
                "This evaluation was made before cnnviz kept every image's prediction: evaluate the run again."
            )
        return read_predictions(self.folder)


def read_evaluation(folder: Path) -> Evaluation | None:
    """Return a run folder's evaluation, or None when none was asked for (old records open too)."""
    data = read_json(RunFiles(folder).evaluation)
    try:
        state = EvaluationState(data.get("state"))
    except ValueError:
        return None
    model_file = ModelFile(data["model_file"]) if data.get("model_file") in ModelFile._value2member_map_ else None
    modified = data.get("model_modified")
    return Evaluation(
        state=state,
        message=data.get("message", ""),
        accuracy=data.get("accuracy"),
        loss=data.get("loss"),
        images=data.get("images"),
        split=data.get("split", "test"),
        model_file=model_file,
        model_modified=modified,
        model_is_newer=model_file is not None
        and modified is not None
        and modified_time(model_file.path_in(folder)) != modified,
        has_predictions=(RunFiles(folder).predictions).is_file(),
        class_names=tuple(data.get("class_names") or ()),
        finished=data.get("finished"),
        pid=data.get("pid"),
        started=data.get("started"),
        folder=folder,
    )


def modified_time(path: Path) -> float | None:
    """Return a file's modification time, or None when it is missing."""
    try:
        return path.stat().st_mtime
    except OSError:
        return None


def write_running(folder: Path, message: str = "evaluating in a worker process", pid: int | None = None) -> None:
    """Record that an evaluation started (the worker adds its pid), dropping any earlier predictions."""
    (RunFiles(folder).predictions).unlink(missing_ok=True)
    record = {"state": EvaluationState.RUNNING.value, "message": message, "started": time.time()}
    write_json(RunFiles(folder).evaluation, record | ({"pid": pid} if pid else {}))


def write_failed(folder: Path, message: str) -> Evaluation:
    """Record a failed evaluation with the message a student reads."""
    (RunFiles(folder).predictions).unlink(missing_ok=True)
    write_json(RunFiles(folder).evaluation, {"state": EvaluationState.FAILED.value, "message": message})
    return read_evaluation(folder)


def write_finished(
    folder: Path,
    predictions: Predictions,
    loss: float,
    split: str,
    class_names: list[str],
    model_file: ModelFile,
    model_modified: float,
) -> Evaluation:
    """Record a finished evaluation: the predictions file first, then the figures that point to it."""
    write_predictions(folder, predictions)
    accuracy = float(np.mean(predictions.true_classes == predictions.predicted_classes)) if len(predictions) else 0.0
    record = {
        "state": EvaluationState.FINISHED.value,
        "accuracy": accuracy,
        "loss": float(loss),
        "images": len(predictions),
        "split": split,
        "class_names": list(class_names),
        "model_file": model_file.value,
        "model_modified": model_modified,
        "finished": time.time(),
    }
    write_json(RunFiles(folder).evaluation, record)
    return read_evaluation(folder)


def write_predictions(folder: Path, predictions: Predictions) -> None:
    """Write predictions.npz atomically (compressed: 10,000 × 10 probabilities take about 400 kB)."""
    arrays = {
        "true_classes": predictions.true_classes.astype(np.int32),
        "predicted_classes": predictions.predicted_classes.astype(np.int32),
        "probabilities": predictions.probabilities.astype(np.float32),
    }
    write_arrays(RunFiles(folder).predictions, arrays, compressed=True)


def read_predictions(folder: Path) -> Predictions:
    """Return the predictions a finished evaluation wrote, or raise a CnnvizError when the file is unreadable."""
    try:
        with np.load(RunFiles(folder).predictions, allow_pickle=False) as stored:
            return Predictions(stored["true_classes"], stored["predicted_classes"], stored["probabilities"])
    except (OSError, KeyError, ValueError) as error:
        raise CnnvizError(f"The saved predictions could not be read ({error}): evaluate the run again.") from None
