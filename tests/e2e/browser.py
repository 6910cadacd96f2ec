"""A real `streamlit run` and Debian's Chromium, for the browser tests and the benchmarks alike."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


class ServerDidNotStart(RuntimeError):
    """The app did not answer its health check."""


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
            raise ServerDidNotStart(f"streamlit exited early:\n{process.stdout.read()}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            time.sleep(0.3)
    raise ServerDidNotStart(f"streamlit did not answer /_stcore/health within {timeout} s")


def start_server(
    runs_dir: Path, datasets_dir: Path, extra_arguments: tuple[str, ...] = (), environment: dict | None = None
) -> tuple[subprocess.Popen, str]:
    """Start the app exactly as the README does on a free port (with any extra flags); return it and its URL."""
    port = find_free_port()
    environment = os.environ | (environment or {})
    environment |= {"CNNVIZ_RUNS_DIR": str(runs_dir), "CNNVIZ_DATASETS_DIR": str(datasets_dir)}
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
            *extra_arguments,
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
