"""A real `streamlit run` on a free loopback port and Debian's Chromium driven by Playwright."""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]


def find_free_port() -> int:
    """Return a loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, timeout: float = 90) -> None:
    """Wait for Streamlit's health endpoint to answer `ok`, or fail with the server's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"streamlit exited early:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            time.sleep(0.3)
    pytest.fail(f"streamlit did not answer /_stcore/health within {timeout} s")


@pytest.fixture(scope="session")
def server_runs_dir(tmp_path_factory) -> Path:
    """The run store the test server uses."""
    return tmp_path_factory.mktemp("runs")


def start_server(runs_dir: Path, datasets_dir: Path) -> tuple[subprocess.Popen, str]:
    """Start the app exactly as the README does on a free port; return the process and its URL."""
    port = find_free_port()
    environment = os.environ | {"CNNVIZ_RUNS_DIR": str(runs_dir), "CNNVIZ_DATASETS_DIR": str(datasets_dir)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            "app.py",
            "--server.headless",
            "true",
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(port),
        ],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url, process)
    return process, url


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server started by start_server."""
    process.terminate()
    process.wait(timeout=20)


@pytest.fixture(scope="session")
def server_url(server_runs_dir, tmp_path_factory):
    """The app, served for the whole session."""
    process, url = start_server(server_runs_dir, tmp_path_factory.mktemp("datasets"))
    try:
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def browser():
    """Launch Debian's Chromium headless (Playwright cannot download its own browser offline)."""
    if not shutil.which(CHROMIUM):
        pytest.fail("Debian's Chromium is missing: run `apt-get install -y chromium` (scripts/test does).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    """A fresh browser tab the size of a classroom projector."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    yield tab
    context.close()
