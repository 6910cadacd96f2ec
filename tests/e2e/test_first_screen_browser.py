"""The lesson's picture on a projector's first screen: Convolution and Pooling at 1440×900 and at 150% zoom."""

import os
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.browser import ROOT
from tests.e2e.test_browser import SVG_FONT_SIZE, settled_box

pytestmark = pytest.mark.e2e

# A projector, and the same projector zoomed to 150% (CSS pixels); the smallest cell at 1440×900.
SIZES = [pytest.param(1440, 900, 48, 20, id="1440x900"), pytest.param(960, 600, 0, 0, id="960x600")]
CONVOLUTION_PARTS = ["[data-grid=input]", "[data-grid=kernel]", "[data-grid=output]", "[data-arithmetic=convolution]"]
POOLING_PARTS = [
    "[data-grid=input]",
    "[data-grid=pooled-max]",
    "[data-grid=pooled-average]",
    "[data-arithmetic=pooling]",
]


@pytest.fixture
def open_at(browser, server_url):
    """Open a page of the app in a fresh tab of the given viewport size; close the tabs afterwards."""
    contexts = []

    def open_page(path: str, title: str, width: int, height: int) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height})
        contexts.append(context)
        tab = context.new_page()
        tab.goto(f"{server_url}/{path}")
        expect(tab.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=60_000)
        expect(tab.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)
        expect(tab.get_by_test_id("stException")).to_have_count(0)
        return tab

    yield open_page
    for context in contexts:
        context.close()


def assert_on_first_screen(page: Page, selector: str, width: int, height: int) -> dict:
    """Fail unless the element is drawn wholly inside the viewport, without scrolling; return its box."""
    box = settled_box(page.locator(selector).first, page)
    assert box is not None, selector
    assert box["y"] >= 0 and box["y"] + box["height"] <= height, (
        f"{selector} spans y {box['y']:.0f}–{box['y'] + box['height']:.0f} on a {height} px screen"
    )
    assert box["x"] >= 0 and box["x"] + box["width"] <= width, f"{selector} is cut off on the right"
    return box


@pytest.mark.parametrize(("width", "height", "smallest_cell", "smallest_text"), SIZES)
def test_convolution_grids_and_sum_are_on_the_first_screen(open_at, width, height, smallest_cell, smallest_text):
    page = open_at("convolution", "Convolution", width, height)
    for selector in CONVOLUTION_PARTS:
        assert_on_first_screen(page, selector, width, height)
    expect(page.locator("[data-grid=input] [data-cell]")).to_have_count(25)
    for cell in page.locator("[data-grid=input] [data-cell] > rect:first-of-type").all():
        box = cell.bounding_box()
        assert min(box["width"], box["height"]) >= smallest_cell, f"a {box['width']:.0f} px cell"
    value_sizes = [text.evaluate(SVG_FONT_SIZE) for text in page.locator("[data-grid=input] text.value").all()]
    assert min(value_sizes) >= smallest_text, f"cell numbers drawn at {min(value_sizes):.1f} px"
    sum_size = page.locator("[data-arithmetic=convolution-0]").evaluate("e => parseFloat(getComputedStyle(e).fontSize)")
    assert sum_size >= smallest_text, f"the sum is drawn at {sum_size} px"
    expect(page.locator("[data-arithmetic=convolution-0]")).to_have_text(
        "1×1 + 0×2 + 1×3 + 0×6 + 1×7 + 0×8 + 1×11 + 0×12 + 1×13 = 35"
    )
    expect(page.locator("svg[data-picture=convolution] polygon[data-link]")).to_have_count(
        1
    )  # the window's beam to its output cell
    assert page.locator("[data-grid=input] [data-cell='0,0'] title").text_content() == "row 1, column 1: 1"
    if width == 1440:
        screenshot = ROOT / "assets" / "convolution.png"
        if os.environ.get("CNNVIZ_UPDATE_SCREENSHOTS") == "1":
            # The page without the sidebar, down to the size formula under the picture: Home and the README show it.
            main = page.get_by_test_id("stMain").bounding_box()
            bottom = page.locator("[data-formula=output-size]").bounding_box()
            clip = {"x": main["x"], "y": 0, "width": main["width"], "height": bottom["y"] + bottom["height"] + 16}
            page.screenshot(path=str(screenshot), clip=clip)


@pytest.mark.parametrize(("width", "height", "smallest_cell", "smallest_text"), SIZES)
def test_pooling_input_and_both_outputs_are_on_the_first_screen(open_at, width, height, smallest_cell, smallest_text):
    page = open_at("pooling", "Pooling", width, height)
    for selector in POOLING_PARTS:
        assert_on_first_screen(page, selector, width, height)
    expect(page.locator("[data-grid=input] [data-winner]")).to_have_count(1)


def test_play_animates_the_convolution_steps_with_material_icons(open_at):
    page = open_at("convolution", "Convolution", 1440, 900)
    expect(page.get_by_text("Step 1 of 9")).to_be_visible()
    page.get_by_role("button", name=re.compile("Play")).click()
    # The fragment ticks every 0.8 s: within a few seconds it must have moved well past step 2.
    expect(page.get_by_text(re.compile(r"Step [4-9] of 9"))).to_be_visible(timeout=15_000)
    expect(page.get_by_role("button", name=re.compile("Pause"))).to_be_visible()
    expect(page.get_by_text("Step 9 of 9")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("button", name=re.compile("Play"))).to_be_visible(timeout=10_000)
    expect(page.locator("[data-arithmetic=convolution-0]")).to_contain_text("= 95")
    expect(page.get_by_test_id("stException")).to_have_count(0)
