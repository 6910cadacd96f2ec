"""Mistakes in a real browser: click a confusion-matrix cell, see its images, click one, see two Grad-CAMs."""

import re

import numpy as np
import pytest
from playwright.sync_api import expect

from cnnviz.learning import mistakes
from cnnviz.learning.confusion import Cell
from cnnviz.runtime import runs
from tests.apptest_helpers import run_cnnviz
from tests.e2e.test_browser import assert_no_exception, open_page, settled_box

pytestmark = pytest.mark.e2e

MATRIX_POINTS = "[data-testid='stPlotlyChart'] >> nth=0 >> .scatterlayer .trace >> nth=0 >> path.point"
GALLERY_POINTS = "[data-testid='stPlotlyChart'] >> nth=1 >> .scatterlayer .trace >> nth=0 >> path.point"


def click_point(page, point) -> None:
    """Click a plotly point as a person does: hover first (plotly finds the point on hover), then click."""
    box = point.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)


@pytest.fixture(scope="module")
def evaluated_run(server_runs_dir):
    """A real fashion_separable run on 1,000 images (no dropout: past chance in two epochs), evaluated by the CLI."""
    trained = run_cnnviz(
        "train", "--recipe", "fashion_separable", "--dataset", "fashion_mnist", "--epochs", "2", "--limit", "1000",
        "--no-dropout",
        "--runs-dir", str(server_runs_dir),
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-2000:]
    run = max(runs.list_runs(server_runs_dir), key=lambda each: each.run_id)
    evaluated = run_cnnviz("evaluate", "--run-dir", str(run.folder))
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    return runs.load_run(run.run_id, server_runs_dir)


def test_click_a_cell_then_an_image_to_see_where_it_looked(page, server_url, evaluated_run):
    matrix = mistakes.load_confusion(evaluated_run.evaluation())
    counts = matrix.matrix.copy()
    default = matrix.cells_by_interest()[0]
    counts[default.true, default.predicted] = 0
    np.fill_diagonal(counts, 0)
    true, predicted = np.unravel_index(int(np.argmax(counts)), counts.shape)  # another mistake than the default
    if counts[true, predicted] == 0:
        true = predicted = 0  # a model that makes one kind of mistake only: a diagonal cell works too
    wanted = Cell(int(true), int(predicted))

    open_page(page, f"{server_url}/mistakes", "Mistakes")
    expect(page.get_by_text(re.compile(r"It confuses .+ with .+ most"))).to_be_visible()
    click_point(page, page.locator(MATRIX_POINTS).nth(wanted.true * 10 + wanted.predicted))
    expect(page.get_by_role("combobox", name="Cell")).to_have_value(matrix.describe_cell(wanted), timeout=30_000)

    click_point(page, page.locator(GALLERY_POINTS).first)
    first_image = matrix.cell_images(wanted)[0]
    expect(page.get_by_text(f"test image #{first_image.index}: called")).to_be_visible(timeout=60_000)
    expect(page.get_by_text(re.compile(r"^predicted: .+ where it looked for it"))).to_be_visible()
    expect(page.get_by_text(re.compile(r"^(true|runner-up): .+ where it looked for it"))).to_be_visible()
    assert_no_exception(page)


def test_the_matrix_is_on_a_projectors_first_screen(browser, server_url, evaluated_run):
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        open_page(page, f"{server_url}/mistakes", "Mistakes")
        matrix = page.locator("[data-testid='stPlotlyChart']").first
        box = settled_box(matrix, page)  # once the widgets above it are drawn: a skeleton has another height
        assert box["y"] >= 0 and box["y"] + box["height"] <= 900, (
            f"the matrix spans y {box['y']:.0f}-{box['y'] + box['height']:.0f}"
        )
        for name in ("T-shirt/top", "Ankle boot"):  # the class names, on the chart
            expect(matrix.get_by_text(name).first).to_be_visible()
        expect(matrix.get_by_text("share of the true class")).to_be_visible()  # the colour scale
    finally:
        context.close()
