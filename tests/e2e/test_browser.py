"""Open every page in a real browser, type a bad grid, upload, and fail on any exception shown.

Play on Convolution is tested in test_first_screen_browser.py.
"""

import re
import urllib.request

import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from cnnviz.data import images
from cnnviz.learning import recipes
from cnnviz.lesson import architecture
from tests.e2e.browser import start_server, stop_server

pytestmark = pytest.mark.e2e

PAGES = {
    "": "cnnviz: convolutional neural networks, by doing",
    "convolution": "Convolution",
    "pooling": "Pooling",
    "layers": "Layers",
    "augmentation": "Augmentation",
    "datasets": "Datasets",
    "your_data": "Your data",
    "train": "Train",
    "compare": "Compare",
    "mistakes": "Mistakes",
    "predict": "Predict",
    "network": "Network",
}


# The rendered size of an SVG text: its font-size times the picture's scale (the SVG is fitted to its box).
SVG_FONT_SIZE = """element => {
    const svg = element.ownerSVGElement, box = svg.getBoundingClientRect(), view = svg.viewBox.baseVal;
    return parseFloat(element.getAttribute('font-size')) * Math.min(box.width / view.width, box.height / view.height);
}"""


def open_page(page: Page, url: str, title: str) -> None:
    """Go to a page and wait until its script has finished running."""
    page.goto(url)
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)


# No element still a skeleton (its code loading in a fresh browser), every chart drawn by plotly.js, every image
# loaded: until then a placeholder of another height above the idea (Network's epoch strip) can hold it 90 px low,
# and on a slow machine for longer than the quarter second that counts as settled.
DRAWN = """() => !document.querySelector("[data-testid='stMain'] [data-testid='stSkeleton']")
    && [...document.querySelectorAll("[data-testid='stPlotlyChart']")].every(chart => chart.querySelector('.main-svg'))
    && [...document.querySelectorAll("[data-testid='stMain'] img")].every(image => image.complete)"""


def settled_box(element: Locator, page: Page) -> dict:
    """Return the element's box once every picture has been drawn and it has stopped moving."""
    expect(element).to_be_visible(timeout=60_000)
    page.wait_for_function(DRAWN, timeout=60_000)
    box = element.bounding_box()
    for _ in range(20):
        page.wait_for_timeout(250)
        again = element.bounding_box()
        if again == box:
            return box
        box = again
    return box


def assert_no_exception(page: Page) -> None:
    """Fail if Streamlit drew an exception box anywhere on the page."""
    expect(page.get_by_test_id("stException")).to_have_count(0)


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_opens_without_exception(page, server_url, path):
    open_page(page, f"{server_url}/{path}", PAGES[path])
    assert_no_exception(page)


def test_a_bad_grid_cell_is_a_message_not_a_crash(page, server_url):
    open_page(page, f"{server_url}/convolution", "Convolution")
    # The grid and kernel inputs live in a popover, so the picture keeps the first screen.
    page.get_by_role("button", name=re.compile("Grid, kernel, stride, padding")).click()
    grid = page.get_by_label("Input grid: one row per line")
    grid.fill("1 2 3\n4 oops 6\n7 8 9")
    grid.press("Control+Enter")
    expect(page.get_by_text("is 'oops', which is not a number")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Step 1 of 9")).to_be_visible()
    assert_no_exception(page)


def test_augmentation_upload_in_the_browser(page, server_url, tmp_path):
    open_page(page, f"{server_url}/augmentation", "Augmentation")
    expect(page.get_by_text("original: 451×300")).to_be_visible(timeout=60_000)
    not_an_image = tmp_path / "homework.png"
    not_an_image.write_text("this is my homework, not a picture")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(not_an_image))
    message = re.compile(r"homework\.png: .*This file is not an image cnnviz can read")
    expect(page.get_by_text(message)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("original: 451×300")).to_be_visible()
    assert_no_exception(page)
    photo = tmp_path / "rocket.jpg"
    Image.fromarray(images.load_sample_photo("rocket")).save(photo)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(photo))
    expect(page.get_by_text("your photo: 640×427, shown at 400×267")).to_be_visible(timeout=30_000)
    assert_no_exception(page)
    with urllib.request.urlopen(f"{server_url}/_stcore/health", timeout=10) as response:
        assert response.read().decode().strip() == "ok", "the server still answers after the bad upload"


def test_a_first_visit_straight_to_a_page_still_gets_the_apps_navigation(page, tmp_path):
    # A bookmarked /convolution on a fresh server must run app.py's navigation, not a legacy page list.
    process, url = start_server(tmp_path / "runs", tmp_path / "datasets")
    try:
        open_page(page, f"{url}/convolution", "Convolution")
        navigation = page.get_by_test_id("stSidebarNav")
        expect(navigation.get_by_role("link", name="Home")).to_be_visible()
        expect(navigation.get_by_role("link", name="app", exact=True)).to_have_count(0)
        expect(page.get_by_text("Keras 3.15")).to_be_visible()  # the sidebar badge app.py draws
    finally:
        stop_server(process)


@pytest.mark.parametrize("name", ["catsdogs_baseline", "vgg16_frozen_augment", "malaria_batchnorm"])
def test_layers_diagram_beside_the_whole_table_on_a_projector(browser, server_url, name):
    table_data = architecture.load_tables()[name]
    context = browser.new_context(viewport={"width": 1440, "height": 900})
    try:
        page = context.new_page()
        open_page(page, f"{server_url}/layers", "Layers")
        if name != "catsdogs_baseline":
            page.get_by_test_id("stSelectbox").click()
            page.get_by_role("option", name=recipes.RECIPES[name].title).click()
        diagram = page.locator("[data-grid=shapes]")
        expect(diagram.locator("[data-layer]")).to_have_count(len(architecture.shape_boxes(table_data)))
        box = diagram.bounding_box()
        assert 0 <= box["y"] and box["y"] + box["height"] <= 900 and box["x"] + box["width"] <= 1440, box
        table = page.get_by_test_id("stTable").first
        # The header and every layer, down to the last Dense: no inner scroll hides any.
        expect(table.get_by_role("row")).to_have_count(len(table_data.rows) + 1)
        expect(table.get_by_role("cell", name="prediction", exact=True)).to_be_visible()
        for label in diagram.locator("text").all():
            size = label.evaluate(SVG_FONT_SIZE)
            assert size >= 20, f"{label.text_content()} drawn at {size:.1f} px"
        for layer in diagram.locator("[data-layer]").all():
            name_text, shape_text = (text.bounding_box() for text in layer.locator("text").all())
            overlap = f"{layer.get_attribute('data-layer')}: its name runs into its shape"
            assert name_text["x"] + name_text["width"] < shape_text["x"], overlap
        assert_no_exception(page)
    finally:
        context.close()
