"""A real `streamlit run app.py` on a free loopback port, on a given run store, for benchmarks and browser tests."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEALTH_TIMEOUT_SECONDS = 90
STOP_TIMEOUT_SECONDS = 20


class ServerDidNotStart(RuntimeError):
    """The app did not answer its health check."""


class ServerProcess(subprocess.Popen):
    """A streamlit server whose output a thread keeps reading into `output` (a full pipe would block its logging)."""

    def __init__(self, command: list[str], environment: dict[str, str], root: Path = ROOT) -> None:
        super().__init__(
            command, cwd=root, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.output: list[str] = []
        self.reader = threading.Thread(target=self.read_output, daemon=True)
        self.reader.start()

    def read_output(self) -> None:
        """Append every line the server prints to `output`, until it closes its end."""
        for line in self.stdout:
            self.output.append(line)


def find_free_port() -> int:
    """Return a loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, process: ServerProcess, timeout: float = HEALTH_TIMEOUT_SECONDS) -> None:
    """Wait for Streamlit's health endpoint to answer `ok`, or fail with the server's output."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            process.reader.join(timeout=5)
            raise ServerDidNotStart(f"streamlit exited early:\n{''.join(process.output)}")
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                if response.read().decode().strip() == "ok":
                    return
        except OSError:
            time.sleep(0.3)
    stop_server(process)
    raise ServerDidNotStart(f"streamlit did not answer /_stcore/health within {timeout} s:\n{''.join(process.output)}")


def start_server(
    runs_dir: Path,
    datasets_dir: Path,
    extra_arguments: tuple[str, ...] = (),
    environment: dict[str, str] | None = None,
    root: Path = ROOT,
) -> tuple[ServerProcess, str]:
    """Start the app as the README does on a free port (with any extra flags and variables); return it and its URL.

    `root` is the checkout whose app.py (and cnnviz) it serves: another commit's worktree, to compare two.
    """
    port = find_free_port()
    variables = os.environ | (environment or {})
    variables |= {"CNNVIZ_RUNS_DIR": str(runs_dir), "CNNVIZ_DATASETS_DIR": str(datasets_dir)}
    command = [
        sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
        "--server.address", "127.0.0.1", "--server.port", str(port), *extra_arguments,
    ]  # fmt: skip
    process = ServerProcess(command, variables, root)
    url = f"http://127.0.0.1:{port}"
    wait_until_healthy(url, process)
    return process, url


def stop_server(process: subprocess.Popen) -> None:
    """Stop a server started by start_server (killed if it has not ended in 20 s)."""
    process.terminate()
    try:
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT_SECONDS)
