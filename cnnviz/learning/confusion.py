"""Where a model goes wrong: the confusion matrix of an evaluation, its cells' images, and two runs diffed.

Counting only (numpy): opening a matrix loads no model and imports no Keras.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from cnnviz.errors import CnnvizError
from cnnviz.runtime.evaluations import Predictions

CELL_IMAGES = 24  # a cell's gallery: enough to see a pattern, few enough to load in well under a second


@dataclass(frozen=True)
class Cell:
    """One cell of the matrix: images of class `true` that the model called `predicted`."""

    true: int
    predicted: int

    @property
    def is_correct(self) -> bool:
        """Return whether the cell is on the diagonal (right answers)."""
        return self.true == self.predicted


@dataclass(frozen=True)
class CellImage:
    """One image of a cell: its position in the evaluated split and the probabilities it was given."""

    index: int
    predicted_probability: float
    true_probability: float
    runner_up: int  # the class with the second-highest probability (what a right answer nearly was)


@dataclass(frozen=True)
class ConfusedPair:
    """A mistake the model makes often: `count` of the `of_true` images of class `true` called `predicted`."""

    cell: Cell
    count: int
    of_true: int


@dataclass(frozen=True)
class Confusion:
    """An evaluation's confusion matrix (rows: the true class, columns: the predicted one) and its images."""

    class_names: list[str]
    split: str
    predictions: Predictions

    @cached_property
    def matrix(self) -> np.ndarray:
        """Return the counts: matrix[true, predicted] (counted once; the sentence and the picker read it often)."""
        size = len(self.class_names)
        flat = self.predictions.true_classes * size + self.predictions.predicted_classes
        return np.bincount(flat, minlength=size * size).reshape(size, size)

    @property
    def images(self) -> int:
        """Return how many images were evaluated (the matrix's sum)."""
        return len(self.predictions)

    @property
    def accuracy(self) -> float:
        """Return the share of right answers."""
        return float(np.trace(self.matrix) / max(self.images, 1))

    def precision(self) -> np.ndarray:
        """Return, per class, the share of the images called that class that were that class (NaN if none were)."""
        matrix = self.matrix
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diag(matrix) / matrix.sum(axis=0)

    def recall(self) -> np.ndarray:
        """Return, per class, the share of that class's images the model got right (NaN for an absent class)."""
        matrix = self.matrix
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.diag(matrix) / matrix.sum(axis=1)

    def per_class_rows(self) -> list[dict]:
        """Return one table row per class: images, right answers, precision and recall."""
        matrix, precision, recall = self.matrix, self.precision(), self.recall()
        return [
            {
                "class": name,
                "images": int(matrix[index].sum()),
                "right": int(matrix[index, index]),
                "precision": "" if np.isnan(precision[index]) else f"{precision[index]:.1%}",
                "recall": "" if np.isnan(recall[index]) else f"{recall[index]:.1%}",
            }
            for index, name in enumerate(self.class_names)
        ]

    def confused_pairs(self, count: int = 3) -> list[ConfusedPair]:
        """Return the most frequent mistakes, most first (ties in class order)."""
        matrix = self.matrix
        mistakes = [
            ConfusedPair(Cell(true, predicted), int(matrix[true, predicted]), int(matrix[true].sum()))
            for true in range(len(matrix))
            for predicted in range(len(matrix))
            if true != predicted and matrix[true, predicted] > 0
        ]
        return sorted(mistakes, key=lambda pair: -pair.count)[:count]

    def cells_by_interest(self) -> list[Cell]:
        """Return every cell for a picker: the mistakes commonest first, then the diagonal, then the empty cells."""
        size = len(self.class_names)
        mistakes = [pair.cell for pair in self.confused_pairs(count=size * size)]
        diagonal = [Cell(index, index) for index in range(size)]
        rest = [Cell(t, p) for t in range(size) for p in range(size) if t != p and Cell(t, p) not in mistakes]
        return mistakes + diagonal + rest

    def describe_cell(self, cell: Cell) -> str:
        """Return a cell in words: '112 of 1,000 Shirt images called T-shirt/top'."""
        matrix = self.matrix
        true_name, predicted_name = self.class_names[cell.true], self.class_names[cell.predicted]
        count, of_true = int(matrix[cell.true, cell.predicted]), int(matrix[cell.true].sum())
        if cell.is_correct:
            return f"{count:,} of {of_true:,} {true_name} images called {true_name}: right"
        return f"{count:,} of {of_true:,} {true_name} images called {predicted_name}"

    def describe(self) -> str:
        """Return the model's commonest mistakes in a sentence, for under the matrix."""
        pairs = self.confused_pairs()
        if not pairs:
            return f"It gets all {self.images:,} {self.split} images right."
        names = self.class_names
        first, rest = pairs[0], pairs[1:]
        sentence = (
            f"It confuses {names[first.cell.true]} with {names[first.cell.predicted]} most "
            f"({first.count:,} of {first.of_true:,} {names[first.cell.true]} images)"
        )
        if rest:
            sentence += "; then " + "; then ".join(
                f"{names[pair.cell.true]} with {names[pair.cell.predicted]} ({pair.count:,} of {pair.of_true:,})"
                for pair in rest
            )
        return sentence + "."

    def cell_images(self, cell: Cell, limit: int = CELL_IMAGES) -> list[CellImage]:
        """Return up to `limit` images of a cell: the most confident mistakes first; on the diagonal, the most
        confident right answers and then the least confident ones (those nearest to a mistake)."""
        true, predicted = self.predictions.true_classes, self.predictions.predicted_classes
        indices = np.flatnonzero((true == cell.true) & (predicted == cell.predicted))
        probabilities = self.predictions.probabilities
        confidence = probabilities[indices, cell.predicted]
        order = indices[np.argsort(-confidence, kind="stable")]
        if cell.is_correct and len(order) > limit:
            order = np.concatenate([order[: limit // 2], order[len(order) - (limit - limit // 2) :]])
        chosen = order[:limit]
        runner_up = np.argsort(-probabilities[chosen], axis=1, kind="stable")[:, 1]
        return [
            CellImage(
                int(index),
                float(probabilities[index, cell.predicted]),
                float(probabilities[index, cell.true]),
                int(second),
            )
            for index, second in zip(chosen, runner_up)
        ]

    def cell_of(self, index: int) -> Cell:
        """Return the cell an image fell in."""
        return Cell(int(self.predictions.true_classes[index]), int(self.predictions.predicted_classes[index]))


@dataclass(frozen=True)
class ConfusionDifference:
    """Two evaluations of the same images: what the second run fixed and what it broke, cell by cell."""

    first: Confusion
    second: Confusion
    first_label: str
    second_label: str

    @property
    def matrix(self) -> np.ndarray:
        """Return second − first: below zero off the diagonal is fewer mistakes of that kind."""
        return self.second.matrix - self.first.matrix

    def fixed(self) -> np.ndarray:
        """Return, per cell, how many images the first run put there and the second answered right."""
        return self.count_moves(self.first, self.second)

    def broken(self) -> np.ndarray:
        """Return, per cell, how many images the second run put there that the first answered right."""
        return self.count_moves(self.second, self.first)

    @staticmethod
    def count_moves(wrong: Confusion, right: Confusion) -> np.ndarray:
        """Return, per cell of `wrong`, the images in it that `right` classified correctly."""
        truth = wrong.predictions.true_classes
        moved = (wrong.predictions.predicted_classes != truth) & (right.predictions.predicted_classes == truth)
        size = len(wrong.class_names)
        flat = truth[moved] * size + wrong.predictions.predicted_classes[moved]
        return np.bincount(flat, minlength=size * size).reshape(size, size)

    def describe(self) -> str:
        """Return the difference in a sentence: the mistake fixed most often and the commonest new one."""
        names, fixed, broken = self.first.class_names, self.fixed(), self.broken()
        mistakes_first = self.first.images - int(np.trace(self.first.matrix))
        mistakes_second = self.second.images - int(np.trace(self.second.matrix))
        parts = []
        if fixed.max() > 0:
            true, predicted = np.unravel_index(int(np.argmax(fixed)), fixed.shape)
            parts.append(f"fixed {int(fixed.max()):,} {names[true]}→{names[predicted]} mistakes")
        if broken.max() > 0:
            true, predicted = np.unravel_index(int(np.argmax(broken)), broken.shape)
            parts.append(f"made {int(broken.max()):,} new {names[true]}→{names[predicted]} ones")
        change = " and ".join(parts) if parts else "made exactly the same mistakes"
        return (
            f"Against {self.first_label}, {self.second_label} {change}: {mistakes_second:,} mistakes in all "
            f"against {mistakes_first:,} ({fixed.sum():,} fixed, {broken.sum():,} new)."
        )


def compare(first: Confusion, second: Confusion, first_label: str, second_label: str) -> ConfusionDifference:
    """Return the difference of two evaluations, or raise a CnnvizError when they did not see the same images."""
    if first.class_names != second.class_names or first.split != second.split:
        raise CnnvizError("These two runs were evaluated on different classes or splits: pick two runs of one dataset.")
    if not np.array_equal(first.predictions.true_classes, second.predictions.true_classes):
        raise CnnvizError(
            "These two runs were evaluated on different images (another dataset size?): pick two runs evaluated on "
            "the same split."
        )
    return ConfusionDifference(first, second, first_label, second_label)
