"""Open every page in a real browser, press Play, and fail on any exception shown."""

import os
import re
import shutil
import urllib.request

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from cnnviz.data import images
from tests.e2e.conftest import ROOT, start_server, stop_server

pytestmark = pytest.mark.e2e

PAGES = {
    "": "cnnviz: convolutional neural networks, by doing",
    "convolution": "Convolution",
    "pooling": "Pooling",
    "layers": "Layers",
    "augmentation": "Augmentation",
    "datasets": "Datasets",
    "train": "Train",
    "compare": "Compare",
    "predict": "Predict",
}


def open_page(page: Page, url: str, title: str) -> None:
    """Go to a page and wait until its script has finished running."""
    page.goto(url)
    expect(page.get_by_role("heading", name=title, level=1)).to_be_visible(timeout=60_000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=60_000)


def assert_no_exception(page: Page) -> None:
    """Fail if Streamlit drew an exception box anywhere on the page."""
    expect(page.get_by_test_id("stException")).to_have_count(0)


@pytest.mark.parametrize("path", list(PAGES))
def test_every_page_opens_without_exception(page, server_url, path):
    open_page(page, f"{server_url}/{path}", PAGES[path])
    assert_no_exception(page)


def test_play_animates_the_convolution_steps(page, server_url, tmp_path):
    open_page(page, f"{server_url}/convolution", "Convolution")
    expect(page.get_by_text("Step 1 of 9")).to_be_visible()
    page.get_by_role("button", name="▶ Play").click()
    # The fragment ticks every 0.8 s: within a few seconds it must have moved well past step 2.
    expect(page.get_by_text(re.compile(r"Step [4-9] of 9"))).to_be_visible(timeout=15_000)
    expect(page.get_by_role("button", name="⏸ Pause")).to_be_visible()
    expect(page.get_by_text("Step 9 of 9")).to_be_visible(timeout=20_000)
    expect(page.get_by_role("button", name="▶ Play")).to_be_visible(timeout=10_000)
    expect(page.get_by_text("= 95")).to_be_visible()
    assert_no_exception(page)
    screenshot = tmp_path / "convolution.png"
    page.screenshot(path=str(screenshot), full_page=True)
    if os.environ.get("CNNVIZ_UPDATE_SCREENSHOTS") == "1":
        shutil.copy(screenshot, ROOT / "assets" / "convolution.png")


def test_a_bad_grid_cell_is_a_message_not_a_crash(page, server_url):
    open_page(page, f"{server_url}/convolution", "Convolution")
    grid = page.get_by_label("Input grid: one row per line")
    grid.fill("1 2 3\n4 oops 6\n7 8 9")
    grid.press("Control+Enter")
    expect(page.get_by_text("is 'oops', which is not a number")).to_be_visible(timeout=20_000)
    expect(page.get_by_text("Step 1 of 9")).to_be_visible()
    assert_no_exception(page)


def test_augmentation_upload_in_the_browser(page, server_url, tmp_path):
    open_page(page, f"{server_url}/augmentation", "Augmentation")
    expect(page.get_by_text("original: 300×451")).to_be_visible(timeout=60_000)
    not_an_image = tmp_path / "homework.png"
    not_an_image.write_text("this is my homework, not a picture")
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(not_an_image))
    expect(page.get_by_text("homework.png: This file is not an image cnnviz can read")).to_be_visible(timeout=30_000)
    expect(page.get_by_text("original: 300×451")).to_be_visible()
    assert_no_exception(page)
    photo = tmp_path / "rocket.jpg"
    Image.fromarray(images.load_sample_photo("rocket")).save(photo)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(photo))
    expect(page.get_by_text("original: 400×600")).to_be_visible(timeout=30_000)  # shrunk to 600 px
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
