"""What the Mistakes page draws: which runs to offer, an evaluation's matrix, a cell's images, one image explained.

The matrix and the galleries need no model (the evaluation kept every prediction); only explaining one
image loads the model, and Keras is imported then, not when the page opens.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np

from cnnviz.errors import CnnvizError
from cnnviz.learning import analysis, confusion
from cnnviz.learning.confusion import Cell, CellImage, Confusion, ConfusionDifference
from cnnviz.runtime import jobs
from cnnviz.runtime.evaluations import Evaluation
from cnnviz.runtime.run_config import Variant
from cnnviz.runtime.runs import Run

THUMBNAIL_SIDE = 96  # gallery images are enlarged pixel by pixel to about this size
EXPLAINED_SIDE = 320  # and the explained image and its heatmaps to about this
DIFFED_VARIANTS = (Variant.BASELINE, Variant.DROPOUT)  # the experiment's baseline against its first fix


@dataclass(frozen=True)
class Thumbnail:
    """One gallery image: its place in the split, the picture, and a caption with the probability it got."""

    image: CellImage
    picture: np.ndarray
    caption: str


@dataclass(frozen=True)
class Explanation:
    """One image large, with Grad-CAM for the class predicted and for the true class (or the runner-up)."""

    picture: np.ndarray
    caption: str
    heatmaps: list[tuple[np.ndarray, str]]


def candidates(all_runs: list[Run]) -> list[Run]:
    """Return the runs that could have a matrix: at least one complete epoch, newest first."""
    return analysis.comparable(all_runs)


def choice_label(run: Run, evaluation: Evaluation | None) -> str:
    """Return how a run reads in the picker: its label, when it was made, and its evaluation."""
    made = datetime.fromtimestamp(run.created).strftime("%d %b %H:%M") if run.created else ""
    if evaluation is None:
        state = "not evaluated"
    elif evaluation.is_finished:
        state = f"{evaluation.split} accuracy {evaluation.accuracy:.1%}"
    else:
        state = evaluation.state.value
    return f"{run.label} · {made} · {state}"


def evaluated_runs(choices: list[Run]) -> list[Run]:
    """Return the runs whose evaluation finished (a dead evaluation worker is noticed and recorded on the way)."""
    return [run for run in choices if (evaluation := jobs.evaluation_of(run)) is not None and evaluation.is_finished]


def default_run(choices: list[Run]) -> Run:
    """Return the run to open on: the newest evaluated one, else the best finished one."""
    evaluated = evaluated_runs(choices)
    if evaluated:
        return max(evaluated, key=lambda run: run.run_id)
    return analysis.best_finished_run(choices)


def default_pair(choices: list[Run]) -> tuple[Run, Run] | None:
    """Return two evaluated runs to diff: the latest experiment's baseline and dropout when both are evaluated,
    else the two newest evaluated runs of one dataset; None when there are not two."""
    evaluated = evaluated_runs(choices)
    experiments = sorted({run.config.experiment for run in evaluated if run.config.experiment}, reverse=True)
    for experiment in experiments:
        variants = {run.config.variant: run for run in evaluated if run.config.experiment == experiment}
        if all(variant in variants for variant in DIFFED_VARIANTS):
            return variants[DIFFED_VARIANTS[0]], variants[DIFFED_VARIANTS[1]]
    newest = sorted(evaluated, key=lambda run: run.run_id, reverse=True)
    for index, first in enumerate(newest):
        for second in newest[index + 1 :]:
            if (
                first.config.dataset == second.config.dataset
                and first.config.dataset_path == second.config.dataset_path
            ):
                return second, first
    return None


def load_confusion(evaluation: Evaluation | None) -> Confusion:
    """Return an evaluation's confusion matrix, or raise a CnnvizError saying what to do first."""
    if evaluation is None:
        raise CnnvizError("This run has not been evaluated yet: press Evaluate to predict every test image.")
    if not evaluation.is_finished:
        raise CnnvizError(evaluation.describe())
    predictions = evaluation.predictions()
    names = list(evaluation.class_names) or [f"class {index}" for index in range(predictions.probabilities.shape[1])]
    if predictions.probabilities.shape[1] != len(names):
        raise CnnvizError("The saved predictions do not match the dataset's classes: evaluate the run again.")
    return Confusion(names, evaluation.split, predictions)


def difference(first: Run, second: Run) -> ConfusionDifference:
    """Return what `second` fixed and broke of `first`'s mistakes, from their saved predictions."""
    first_matrix, second_matrix = (load_confusion(jobs.evaluation_of(run)) for run in (first, second))
    (first_label, second_label), _ = analysis.shorten_labels([first.label, second.label])
    return confusion.compare(first_matrix, second_matrix, first_label, second_label)


def evaluated_split(run: Run, evaluation: Evaluation):
    """Return the split the evaluation predicted, loaded as the worker loaded it (the same images, same order)."""
    from cnnviz.learning import evaluating, training

    split = evaluating.evaluated_split(training.load_dataset(run.config))
    if split.name != evaluation.split or len(split) != evaluation.images:
        raise CnnvizError(
            f"The dataset has changed since this evaluation ({len(split):,} {split.name} images now, "
            f"{evaluation.images:,} then): evaluate the run again to see its images."
        )
    return split


def thumbnails(split, confusion: Confusion, cell: Cell) -> list[Thumbnail]:
    """Return a cell's gallery: each image enlarged pixel by pixel, captioned with the probability it got."""
    chosen = confusion.cell_images(cell)
    if not chosen:
        return []
    pictures = to_uint8(split.load([image.index for image in chosen]))
    return [
        Thumbnail(
            image,
            enlarge(picture[..., 0] if picture.shape[-1] == 1 else picture, THUMBNAIL_SIDE),
            f"{image.predicted_probability:.0%}",
        )
        for image, picture in zip(chosen, pictures)
    ]


def to_uint8(batch: np.ndarray) -> np.ndarray:
    """Return float 0..255 images as uint8."""
    return np.clip(np.asarray(batch), 0, 255).astype(np.uint8)


def load_model(run: Run, evaluation: Evaluation):
    """Load the model the evaluation used, refusing one that changed since (its answers would differ)."""
    from cnnviz.learning import explain

    if evaluation.model_is_newer:
        raise CnnvizError("The model has been saved again since this evaluation: evaluate again to explain its images.")
    return explain.load_run_model(run)


def explain_image(model, split, confusion: Confusion, index: int) -> Explanation:
    """Return one evaluated image large, with Grad-CAM of the class it predicted and of the true class.

    For a right answer the second heatmap explains the runner-up: what the model nearly said instead.
    """
    from cnnviz.learning import explain

    names, cell = confusion.class_names, confusion.cell_of(index)
    probabilities = confusion.predictions.probabilities[index]
    second = cell.true if not cell.is_correct else int(np.argsort(-probabilities, kind="stable")[1])
    picture = to_uint8(split.load([index]))[0]
    batch = explain.prepare_image(picture, model.input_shape[1:])
    seen = batch[0].astype(np.uint8)
    heatmaps = []
    for class_index, role in ((cell.predicted, "predicted"), (second, "true" if not cell.is_correct else "runner-up")):
        heatmap = explain.grad_cam(model, batch, class_index)
        caption = f"{role}: {names[class_index]} ({probabilities[class_index]:.1%}), where it looked for it"
        if heatmap.max() == 0:
            caption += " — nowhere: no region raised this class's score"
        heatmaps.append((enlarge(explain.overlay(seen, heatmap)), caption))
    verdict = "right" if cell.is_correct else f"wrong: it is {names[cell.true]}"
    caption = (
        f"{confusion.split} image #{index}: called {names[cell.predicted]} "
        f"({probabilities[cell.predicted]:.1%}), {verdict}"
    )
    return Explanation(enlarge(seen[..., 0] if seen.shape[-1] == 1 else seen), caption, heatmaps)


def enlarge(picture: np.ndarray, side: int = EXPLAINED_SIDE) -> np.ndarray:
    """Return a small image enlarged pixel by pixel to about `side` pixels, so the browser does not blur it."""
    factor = max(1, side // max(picture.shape[:2]))
    return np.repeat(np.repeat(picture, factor, axis=0), factor, axis=1)
