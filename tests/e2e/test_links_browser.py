"""A lesson's link in a real browser: change the settings, read the URL, open it in a new browser, same picture."""

import io
import re

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.e2e.test_browser import assert_no_exception, open_page
from tests.e2e.test_settings_browser import open_settings
from tests.grid_reader import read_pictures

pytestmark = pytest.mark.e2e

PICTURE = "[data-picture=convolution]"


def picture_of(page: Page) -> tuple[dict, dict, np.ndarray]:
    """Return the step picture's grids and sums as read from its SVG, and a screenshot of it."""
    picture = page.locator(PICTURE).first
    expect(picture).to_be_visible(timeout=30_000)
    page.wait_for_timeout(500)  # the fonts and the layout settle
    grids, sums = read_pictures(picture.evaluate("element => element.parentElement.outerHTML"))
    shot = np.asarray(Image.open(io.BytesIO(picture.screenshot())).convert("RGB"), dtype=int)
    return grids, sums, shot


def test_a_copied_link_opens_the_same_convolution_in_a_new_browser(browser, server_url):
    first = browser.new_context(
        viewport={"width": 1440, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    second = browser.new_context(viewport={"width": 1440, "height": 900})  # no cookies, no session of the first
    try:
        page = first.new_page()
        open_page(page, f"{server_url}/convolution", "Convolution")
        open_settings(page, "Grid, kernel, stride, padding")
        grid = page.get_by_label("Input grid: one row per line")
        grid.fill("3 1 4 1 5 9\n2 6 5 3 5 8\n9 7 9 3 2 3\n8 4 6 2 6 4")
        grid.press("Control+Enter")  # a text area sends its text on Ctrl+Enter or when it loses focus
        expect(page.get_by_text("Output size: 2×4")).to_be_visible(timeout=15_000)
        kernel = page.get_by_label("Kernel: one row per line")
        kernel.fill("-1 0 1\n-2 0 2\n-1 0 1")
        kernel.press("Control+Enter")
        expect(page.get_by_text("(−1)×3")).to_be_visible(timeout=15_000)
        bias = page.get_by_test_id("stPopoverBody").get_by_role("spinbutton", name="Bias", exact=True)
        bias.click()
        bias.press("Control+A")
        bias.type("2")
        bias.press("Tab")  # a number input sends its value when it loses focus
        expect(page.get_by_text("Step 1 of 8")).to_be_visible(timeout=15_000)
        expect(page).to_have_url(re.compile(r"[?&]bias=2(&|$)"), timeout=15_000)
        page.keyboard.press("Escape")
        for step in range(2, 7):  # one step at a time: each waits for the picture the last one drew
            page.get_by_role("slider").first.press("ArrowRight")
            expect(page.get_by_text(f"Step {step} of 8")).to_be_visible(timeout=15_000)
        expect(page).to_have_url(re.compile(r"[?&]step=6(&|$)"), timeout=15_000)
        before = picture_of(page)
        page.get_by_role("button", name="Copy link").click()
        link = page.get_by_test_id("stCode").inner_text().strip()
        assert link == page.url, "the link shown to copy is the page's own address"
        # The code block's copy icon writes it to the clipboard (navigator.clipboard: localhost or https only).
        page.get_by_test_id("stCode").hover()
        page.get_by_role("button", name="Copy to clipboard").click()
        expect(page.get_by_role("button", name="Copied")).to_be_visible(timeout=5_000)
        assert page.evaluate("navigator.clipboard.readText()") == link

        other = second.new_page()
        open_page(other, link, "Convolution")
        assert_no_exception(other)
        after = picture_of(other)
        assert after[0] == before[0], "the grids (numbers, lit window, dashed border) differ"
        assert after[1] == before[1], "the sums differ"
        assert before[0]["output"]["lit"] == [(1, 1)] and "= " in before[1]["convolution-0"]
        assert after[2].shape == before[2].shape
        differing = np.mean(np.abs(after[2] - before[2]).max(axis=2) > 32)
        assert differing < 0.01, f"{differing:.1%} of the picture's pixels differ between the two browsers"
        expect(other.get_by_test_id("stAlertContentError")).to_have_count(0)
    finally:
        first.close()
        second.close()


def test_a_hand_edited_link_falls_back_to_the_defaults_with_one_line(page, server_url):
    open_page(page, f"{server_url}/convolution?lesson=convolution&stride=9&grid=1+2_3", "Convolution")
    error = page.get_by_test_id("stAlertContentError")
    expect(error).to_have_count(1, timeout=15_000)
    expect(error).to_contain_text("grid is '1 2_3': Every row of the grid needs the same number of values")
    expect(page.get_by_text("Output size: 3×3")).to_be_visible()
    assert_no_exception(page)


def test_another_page_reads_only_its_own_settings_from_the_address(page, server_url):
    open_page(page, f"{server_url}/convolution?lesson=convolution&stride=2", "Convolution")
    expect(page.get_by_text("Output size: 2×2")).to_be_visible(timeout=15_000)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Pooling").click()
    expect(page.get_by_role("heading", name="Pooling", level=1)).to_be_visible(timeout=30_000)
    expect(page).to_have_url(re.compile(r"/pooling\?lesson=pooling&"), timeout=15_000)
    assert "kernel=" not in page.url, "Convolution's settings left the address"
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Convolution").click()
    expect(page.get_by_role("heading", name="Convolution", level=1)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Output size: 2×2")).to_be_visible(timeout=15_000)  # kept while visiting Pooling
    expect(page).to_have_url(re.compile(r"[?&]stride=2(&|$)"), timeout=15_000)
    assert_no_exception(page)
