"""Fixtures: the harness's `streamlit run` on a free loopback port and Debian's Chromium driven by Playwright."""

import shutil
from pathlib import Path

import pytest

from benchmarks.harness.chromium import CHROMIUM, launch_chromium
from benchmarks.harness.server import start_server, stop_server


@pytest.fixture(scope="session")
def server_runs_dir(tmp_path_factory) -> Path:
    """The run store the test server uses."""
    return tmp_path_factory.mktemp("runs")


@pytest.fixture(scope="session")
def server_url(server_runs_dir, tmp_path_factory):
    """The app, served for the whole session."""
    process, url = start_server(server_runs_dir, tmp_path_factory.mktemp("datasets"))
    try:
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def playwright():
    """Start Playwright once a session: a second sync_playwright inside the first refuses to start."""
    if not shutil.which(CHROMIUM):
        pytest.fail("Debian's Chromium is missing: run `apt-get install -y chromium` (scripts/test does).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as started:
        yield started


@pytest.fixture(scope="session")
def browser(playwright):
    """Launch Debian's Chromium headless (Playwright cannot download its own browser offline)."""
    chromium = launch_chromium(playwright)
    yield chromium
    chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab the size of a classroom projector."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    yield tab
    context.close()
