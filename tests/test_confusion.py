"""The confusion matrix, its sentences, its cells' images and two runs diffed, on predictions counted by hand."""

import numpy as np
import pytest

from cnnviz.errors import CnnvizError
from cnnviz.learning import confusion
from cnnviz.learning.confusion import Cell, Confusion
from cnnviz.pictures import matrices
from cnnviz.runtime.evaluations import Predictions

NAMES = ["cat", "dog", "fox"]


def make_confusion(true: list[int], predicted: list[int], confidence: list[float] | None = None) -> Confusion:
    """Return a Confusion whose predicted class gets `confidence` and the rest share what is left."""
    confidence = confidence or [0.8] * len(true)
    probabilities = np.full((len(true), 3), 0.0, dtype=np.float32)
    for row, (guess, sure) in enumerate(zip(predicted, confidence)):
        probabilities[row] = (1 - sure) / 2
        probabilities[row, guess] = sure
    return Confusion(NAMES, "test", Predictions(np.array(true), np.array(predicted), probabilities))


# 4 cats: 2 right, 2 called dog; 3 dogs: 2 right, 1 called fox; 3 foxes: all right.
TRUE = [0, 0, 0, 0, 1, 1, 1, 2, 2, 2]
PREDICTED = [0, 0, 1, 1, 1, 1, 2, 2, 2, 2]


def test_the_matrix_counts_each_pair_and_sums_to_the_images():
    matrix = make_confusion(TRUE, PREDICTED).matrix
    assert matrix.tolist() == [[2, 2, 0], [0, 2, 1], [0, 0, 3]]
    assert matrix.sum() == 10


def test_precision_and_recall_by_hand():
    found = make_confusion(TRUE, PREDICTED)
    assert found.recall() == pytest.approx([2 / 4, 2 / 3, 3 / 3])
    assert found.precision() == pytest.approx([2 / 2, 2 / 4, 3 / 4])
    assert found.accuracy == pytest.approx(0.7)
    rows = found.per_class_rows()
    assert rows[0] == {"class": "cat", "images": 4, "right": 2, "precision": "100.0%", "recall": "50.0%"}


def test_the_sentence_names_the_commonest_mistakes_first():
    found = make_confusion(TRUE, PREDICTED)
    assert [(pair.cell, pair.count, pair.of_true) for pair in found.confused_pairs()] == [
        (Cell(0, 1), 2, 4),
        (Cell(1, 2), 1, 3),
    ]
    assert found.describe() == "It confuses cat with dog most (2 of 4 cat images); then dog with fox (1 of 3)."
    assert found.describe_cell(Cell(0, 1)) == "2 of 4 cat images called dog"
    assert found.describe_cell(Cell(2, 2)) == "3 of 3 fox images called fox: right"
    assert make_confusion([0, 1], [0, 1]).describe() == "It gets all 2 test images right."


def test_the_picker_lists_mistakes_then_the_diagonal_then_empty_cells():
    cells = make_confusion(TRUE, PREDICTED).cells_by_interest()
    assert cells[:5] == [Cell(0, 1), Cell(1, 2), Cell(0, 0), Cell(1, 1), Cell(2, 2)]
    assert len(cells) == 9 and len(set(cells)) == 9


def test_a_cell_shows_its_most_confident_mistakes_first():
    found = make_confusion([0, 0, 0, 1], [1, 1, 1, 1], confidence=[0.5, 0.9, 0.7, 0.99])
    chosen = found.cell_images(Cell(0, 1))
    assert [image.index for image in chosen] == [1, 2, 0]
    assert chosen[0].predicted_probability == pytest.approx(0.9)
    assert chosen[0].true_probability == pytest.approx(0.05)


def test_the_diagonal_shows_the_most_and_the_least_confident_right_answers():
    confidence = [0.40 + index / 100 for index in range(30)]  # image 29 the surest, image 0 the least sure
    found = make_confusion([0] * 30, [0] * 30, confidence)
    shown = [image.index for image in found.cell_images(Cell(0, 0), limit=6)]
    assert shown == [29, 28, 27, 2, 1, 0]


def test_two_runs_diffed_image_by_image():
    first = make_confusion(TRUE, PREDICTED)
    # The second run fixes both cat→dog mistakes, keeps dog→fox, and calls one fox a cat.
    second = make_confusion(TRUE, [0, 0, 0, 0, 1, 1, 2, 0, 2, 2])
    difference = confusion.compare(first, second, "baseline", "dropout")
    assert difference.matrix.tolist() == [[2, -2, 0], [0, 0, 0], [1, 0, -1]]
    assert difference.fixed()[0, 1] == 2 and difference.fixed().sum() == 2
    assert difference.broken()[2, 0] == 1 and difference.broken().sum() == 1
    assert difference.describe() == (
        "Against baseline, dropout fixed 2 cat→dog mistakes and made 1 new fox→cat ones: "
        "2 mistakes in all against 3 (2 fixed, 1 new)."
    )


def test_runs_evaluated_on_other_images_are_not_diffed():
    with pytest.raises(CnnvizError, match="different images"):
        confusion.compare(make_confusion([0, 1], [0, 1]), make_confusion([1, 0], [1, 0]), "a", "b")


def test_the_figure_shows_every_count_and_a_click_maps_back_to_its_cell():
    found = make_confusion(TRUE, PREDICTED)
    figure = matrices.confusion_figure(found, selected=Cell(0, 1))
    heatmap, points = figure.data
    assert np.asarray(heatmap.text).ravel().tolist() == ["2", "2", "0", "0", "2", "1", "0", "0", "3"]
    assert heatmap.zmax == 1
    assert len(points.x) == 9 and (points.x[5], points.y[5]) == (2, 1)
    event = {"selection": {"points": [{"point_index": 5}]}}
    assert matrices.clicked_cell(event, 3) == Cell(1, 2)
    assert matrices.clicked_cell(None, 3) is None
    assert figure.layout.shapes[0].x0 == 0.5 and figure.layout.shapes[0].y0 == -0.5  # the ring round (0, 1)
