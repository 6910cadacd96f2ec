"""Network in a real browser: click a map of the whole network, then one of its numbers, and read how it was made."""

import pytest
from playwright.sync_api import expect

from cnnviz.learning import analysis, explain, network_view
from cnnviz.runtime import runs
from tests.apptest_helpers import run_cnnviz
from tests.e2e.test_browser import assert_no_exception, open_page
from tests.e2e.test_mistakes_browser import click_point

pytestmark = pytest.mark.e2e

# The charts by their keys' classes: the epoch slider's small curves come before the overview when epochs were kept.
OVERVIEW_POINTS = "[class*='st-key-network_overview'] .scatterlayer .trace >> nth=0 >> path.point"
MAP_POINTS = "[class*='st-key-network_cells'] .scatterlayer .trace >> nth=0 >> path.point"


@pytest.fixture(scope="module")
def shown_run(server_runs_dir) -> runs.Run:
    """A real fashion_separable run of two epochs in the server's store; return the run the page opens on."""
    trained = run_cnnviz(
        "train", "--recipe", "fashion_separable", "--dataset", "fashion_mnist", "--epochs", "2", "--limit", "1000",
        "--runs-dir", str(server_runs_dir),
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-2000:]
    return analysis.best_finished_run(runs.trained_runs(server_runs_dir))  # the page's default, as it picks it


def test_click_a_map_then_a_number_to_read_its_arithmetic(page, server_url, shown_run):
    model = explain.load_run_model(shown_run)
    batch = explain.held_out_images(shown_run).load([0]).astype("float32")
    view = network_view.network_view(model, batch)
    layer_index = view.names.index("conv3")
    channel = view.layer("conv3").strongest_channels(3)[0]  # the first map of its column
    row, column = 2, 3
    value = float(explain.activations(model, batch, "conv3")[row, column, channel])

    open_page(page, f"{server_url}/network", "Network")
    expect(page.locator(OVERVIEW_POINTS)).to_have_count(3 * len(view.names), timeout=60_000)
    click_point(page, page.locator(OVERVIEW_POINTS).nth(3 * layer_index))
    expect(page.get_by_text(f"conv3, map {channel + 1}", exact=False).first).to_be_visible(timeout=30_000)
    expect(page.locator(MAP_POINTS)).to_have_count(7 * 7, timeout=30_000)
    cell = page.locator(MAP_POINTS).nth(row * 7 + column)
    cell.scroll_into_view_if_needed()  # the enlarged map sits under the overview: below a small window's fold
    page.wait_for_timeout(500)
    click_point(page, cell)
    shown = f"Row {row + 1}, column {column + 1}: {value:.4f}"
    expect(page.get_by_text(shown, exact=False)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("its slice of the kernel", exact=False)).to_be_visible()
    expect(page.get_by_text(f"→ {value:.4f}".replace("-", "−"), exact=False).last).to_be_visible()
    assert_no_exception(page)
