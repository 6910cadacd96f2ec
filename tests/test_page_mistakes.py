"""Mistakes through AppTest, on a real overfitting experiment evaluated by the CLI."""

import time

import numpy as np
import pytest

from cnnviz.learning import mistakes
from cnnviz.learning.confusion import Cell
from cnnviz.runtime import evaluations, runs
from tests.apptest_helpers import assert_no_errors, open_page, plotly_specs

keras = pytest.importorskip("keras")


@pytest.fixture
def runs_dir(experiment_runs, monkeypatch):
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(experiment_runs[0]))
    return experiment_runs


def selection(point: int) -> dict:
    """Return the selection event Streamlit records when a plotly point is clicked."""
    return {"selection": {"points": [{"point_index": point}], "point_indices": [point], "box": [], "lasso": []}}


def test_the_matrix_opens_with_its_counts_its_sentence_and_the_commonest_mistake(runs_dir):
    root, by_variant = runs_dir
    app = open_page("app_pages/mistakes.py", timeout=120)
    assert_no_errors(app)
    newest = max((by_variant["baseline"], by_variant["dropout"]), key=lambda run: run.run_id)
    assert app.selectbox(key="mistakes_run").value == newest.run_id
    matrix = mistakes.load_confusion(runs.load_run(newest.run_id, root).evaluation())
    specs = plotly_specs(app)
    heatmap = specs[0]["data"][0]
    assert sum(int(text.replace(",", "")) for row in heatmap["text"] for text in row) == 1000 == matrix.images
    sentence = [element.proto.body for element in app.get("html") if "It confuses" in element.proto.body][0]
    assert matrix.describe() in sentence and "test accuracy" in sentence.lower()
    assert app.selectbox(key="mistakes_cell").value == matrix.cells_by_interest()[0]
    gallery = specs[1]["layout"]["images"]
    assert len(gallery) == min(24, int(matrix.matrix[matrix.cells_by_interest()[0].true].max()), len(gallery))
    assert any("Precision and recall" in expander.label for expander in app.expander)


def test_a_click_on_a_cell_then_on_an_image_explains_it(runs_dir):
    root, by_variant = runs_dir
    app = open_page("app_pages/mistakes.py", timeout=120)
    matrix = mistakes.load_confusion(runs.load_run(app.selectbox(key="mistakes_run").value, root).evaluation())
    counts = matrix.matrix
    true = int(np.argmax(counts.diagonal()))
    app.session_state["mistakes_matrix"] = selection(true * 10 + true)  # a diagonal cell: its surest right answers
    app.run()
    assert app.selectbox(key="mistakes_cell").value == Cell(true, true)
    shown = matrix.cell_images(Cell(true, true))
    assert len(plotly_specs(app)[1]["layout"]["images"]) == len(shown)
    app.session_state["mistakes_gallery"] = selection(0)
    app.run()
    assert_no_errors(app)
    texts = [element.proto.body for element in app.get("html")]
    sure = shown[0].predicted_probability
    called = f"test image #{shown[0].index}: called {matrix.class_names[true]} ({sure:.1%}), right"
    assert any(called in text for text in texts), texts
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert any(caption.startswith(f"predicted: {matrix.class_names[true]} (") for caption in captions), captions
    assert any(caption.startswith("runner-up: ") for caption in captions), captions


def test_an_unevaluated_run_offers_evaluate_and_the_matrix_appears_when_it_ends(runs_dir):
    root, by_variant = runs_dir
    run = by_variant["both"]
    app = open_page("app_pages/mistakes.py", timeout=120)
    app.selectbox(key="mistakes_run").set_value(run.run_id).run()
    assert any("has not been evaluated yet" in info.value for info in app.info)
    app.button(key="mistakes_evaluate").click().run()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and len(plotly_specs(app)) < 2:
        time.sleep(1)
        app.run()
    assert_no_errors(app)
    assert runs.load_run(run.run_id, root).evaluation().is_finished and len(plotly_specs(app)) >= 2


def test_a_failed_evaluation_is_a_message_and_the_page_keeps_working(runs_dir):
    root, by_variant = runs_dir
    run = by_variant["augmentation"]
    evaluations.write_failed(run.folder, "The model file could not be loaded (broken).")
    app = open_page("app_pages/mistakes.py", timeout=120)
    app.selectbox(key="mistakes_run").set_value(run.run_id).run()
    assert not app.exception
    assert [error.value for error in app.error] == ["The model file could not be loaded (broken)."]
    app.selectbox(key="mistakes_run").set_value(by_variant["baseline"].run_id).run()
    assert_no_errors(app)
