"""The settings popovers in a real browser: Play before ever opening them, and a visit to another page."""

import pytest
from playwright.sync_api import expect

from tests.e2e.test_browser import assert_no_exception, open_page

pytestmark = pytest.mark.e2e

COUNTING_GRID = "1 2 3 4 5\n6 7 8 9 10\n11 12 13 14 15\n16 17 18 19 20\n21 22 23 24 25"


def open_settings(page, label: str) -> None:
    """Open a page's settings popover (its button's label starts with `label`)."""
    page.get_by_role("button", name=label).click()
    expect(page.get_by_test_id("stPopoverBody")).to_be_visible(timeout=10_000)


def test_play_before_opening_the_settings_keeps_the_grid_and_the_kernel(page, server_url):
    open_page(page, f"{server_url}/convolution", "Convolution")
    page.get_by_role("button", name="Play").click()
    expect(page.get_by_role("button", name="Pause")).to_be_visible(timeout=10_000)
    page.wait_for_timeout(2_000)  # a few steps of the animation
    page.get_by_role("button", name="Pause").click()
    open_settings(page, "Grid, kernel, stride, padding")
    expect(page.get_by_label("Input grid: one row per line")).to_have_value(COUNTING_GRID)
    expect(page.get_by_label("Kernel: one row per line")).to_have_value("1 0 1\n0 1 0\n1 0 1")
    page.get_by_role("spinbutton", name="Stride", exact=True).fill("2")
    page.get_by_role("spinbutton", name="Stride", exact=True).press("Enter")
    expect(page.get_by_text("Output size: 2×2")).to_be_visible(timeout=10_000)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    assert_no_exception(page)


def test_play_before_opening_the_pooling_settings_keeps_the_feature_map(page, server_url):
    open_page(page, f"{server_url}/pooling", "Pooling")
    page.get_by_role("button", name="Play").click()
    page.wait_for_timeout(2_000)
    page.get_by_role("button", name="Pause").click()
    open_settings(page, "Feature map, pool size, stride")
    expect(page.get_by_label("Feature map: one row per line")).to_have_value("1 3 2 9\n5 6 1 7\n4 2 8 0\n3 1 4 6")
    page.get_by_role("spinbutton", name="Pool size", exact=True).fill("3")
    page.get_by_role("spinbutton", name="Pool size", exact=True).press("Enter")
    page.wait_for_timeout(1_500)
    expect(page.get_by_test_id("stAlertContentError")).to_have_count(0)
    assert_no_exception(page)


def test_the_stride_survives_a_visit_to_another_page(page, server_url):
    open_page(page, f"{server_url}/convolution", "Convolution")
    open_settings(page, "Grid, kernel, stride, padding")
    page.get_by_role("spinbutton", name="Stride", exact=True).fill("2")
    page.get_by_role("spinbutton", name="Stride", exact=True).press("Enter")
    expect(page.get_by_text("Output size: 2×2")).to_be_visible(timeout=10_000)
    page.keyboard.press("Escape")
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Layers").click()
    expect(page.get_by_role("heading", name="Layers", level=1)).to_be_visible(timeout=30_000)
    page.get_by_test_id("stSidebarNav").get_by_role("link", name="Convolution").click()
    expect(page.get_by_role("heading", name="Convolution", level=1)).to_be_visible(timeout=30_000)
    expect(page.get_by_text("Output size: 2×2")).to_be_visible(timeout=10_000)
    open_settings(page, "Grid, kernel, stride, padding")
    expect(page.get_by_role("spinbutton", name="Stride", exact=True)).to_have_value("2")
    assert_no_exception(page)
