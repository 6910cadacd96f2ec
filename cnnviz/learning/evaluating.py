"""Evaluating a run in a worker process: every image of its test split (or validation split) predicted once.

`python -m cnnviz evaluate` runs this; the pages start it through jobs.evaluate, never in their own process.
The figures come from the predictions themselves, so the accuracy, the loss and the confusion matrix
are one set of numbers (the tests check them against Keras's own `model.evaluate`).
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from cnnviz.errors import CnnvizError
from cnnviz.runtime import evaluations, runs
from cnnviz.runtime.evaluations import Evaluation, ModelFile, Predictions
from cnnviz.runtime.runs import Run

KERAS_EPSILON = 1e-7  # keras.config.epsilon(): probabilities are clipped to [ε, 1 − ε] before the log


def evaluate_all(folders: list[Path]) -> list[Evaluation]:
    """Evaluate each run in turn in this one process (Keras is imported once); return their evaluations."""
    for folder in folders:
        evaluations.write_running(folder, "waiting for its turn in the evaluation worker", pid=os.getpid())
    return [evaluate(folder) for folder in folders]


def evaluate(folder: Path) -> Evaluation:
    """Predict every image of a run's test split with its final model; record the figures and predictions."""
    from cnnviz.learning import training

    training.prepare_backend()
    evaluations.write_running(folder, pid=os.getpid())
    try:
        run = runs.load_folder(folder)
        check_can_evaluate(run)
        model_path = ModelFile.FINAL.path_in(run.folder)
        modified = model_path.stat().st_mtime  # before loading: a model saved meanwhile makes this one stale
        model = load_model(run)
        dataset = training.load_dataset(run.config)
        split = evaluated_split(dataset)
        probabilities = predict_split(model, split, run.config.batch_size)
        predictions = Predictions(
            split.labels.astype(np.int32), probabilities.argmax(axis=1).astype(np.int32), probabilities
        )
        loss = crossentropy(predictions.true_classes, probabilities, binary=model.output_shape[-1] == 1)
        return evaluations.write_finished(
            folder, predictions, loss, split.name, dataset.class_names, ModelFile.FINAL, modified
        )
    except CnnvizError as error:
        return evaluations.write_failed(folder, str(error))
    except Exception as error:  # noqa: BLE001 - the page must get a readable message, not nothing
        return evaluations.write_failed(folder, f"Evaluation crashed: {type(error).__name__}: {error}")


def check_can_evaluate(run: Run) -> None:
    """Raise a CnnvizError saying why a run cannot be evaluated now (still training, no complete epoch)."""
    if run.state.is_active:
        raise CnnvizError(
            f"Run {run.label} is still {run.state.value}; evaluate it once it has finished or been stopped."
        )
    if run.epochs_done == 0 or run.model_path is None:
        raise CnnvizError(
            f"Run {run.label} has no complete epoch, so its model is the untrained one: train it for an epoch first."
        )


def load_model(run: Run):
    """Load the run's final model as one that takes images (VGG16's saved base in front when it has one)."""
    from cnnviz.learning import explain

    return explain.load_run_model(run)


def evaluated_split(dataset):
    """Return the split an evaluation uses: the test split, else the validation split (and it says so)."""
    return dataset.held_out


def predict_split(model, split, batch_size: int) -> np.ndarray:
    """Return the model's class probabilities for every image of the split, in its order ((n, 2) for a sigmoid)."""
    from cnnviz.learning import training

    shape = tuple(model.input_shape[1:])
    feed = training.fit_inputs(split, shape, training.validation_batch_size(batch_size, shape), False, 0)
    arguments = {key: value for key, value in feed.as_fit_arguments().items() if key != "y"}
    output = np.asarray(model.predict(**arguments, verbose=0), dtype=np.float32)
    return np.concatenate([1 - output, output], axis=1) if output.shape[-1] == 1 else output


def crossentropy(true_classes: np.ndarray, probabilities: np.ndarray, binary: bool) -> float:
    """Return the mean loss the recipes compile with, computed from the probabilities as Keras computes it."""
    if len(true_classes) == 0:
        return 0.0
    if binary:
        positive = np.clip(probabilities[:, 1].astype(np.float64), KERAS_EPSILON, 1 - KERAS_EPSILON)
        labels = true_classes.astype(np.float64)
        return float(-np.mean(labels * np.log(positive) + (1 - labels) * np.log(1 - positive)))
    normalised = probabilities / probabilities.sum(axis=1, keepdims=True)
    chosen = np.clip(normalised[np.arange(len(true_classes)), true_classes], KERAS_EPSILON, 1 - KERAS_EPSILON)
    return float(-np.mean(np.log(chosen.astype(np.float64))))
