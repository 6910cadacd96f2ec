"""The README's two commands as a newcomer meets them: a fresh clone, only Debian's python3 on the PATH."""

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from tests.helpers import ROOT, find_free_port

BARE_PATH = "/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"  # a stock Debian's: no pyenv, no `python`

pytestmark = pytest.mark.fresh_machine


def bare_environment() -> dict[str, str]:
    """Return the environment of a fresh login: PATH and HOME, nothing else."""
    return {"PATH": BARE_PATH, "HOME": os.environ.get("HOME", "/root")}


@pytest.fixture(scope="module")
def fresh_clone(tmp_path_factory) -> Path:
    """A clone of the committed project, with no .venv and nothing installed for it."""
    clone = tmp_path_factory.mktemp("fresh") / "cnnviz"
    subprocess.run(["git", "clone", "--quiet", str(ROOT), str(clone)], check=True)
    assert not (clone / ".venv").exists()
    return clone


def answers_health(url: str) -> bool:
    """Return whether Streamlit's health endpoint answers ok."""
    try:
        with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
            return response.read().strip() == b"ok"
    except OSError:
        return False


def start_app(clone: Path, port: int) -> subprocess.Popen:
    """Run `bash scripts/run-app` in the clone under the bare environment, in a process group of its own."""
    return subprocess.Popen(
        ["bash", "scripts/run-app", "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=clone,
        env=bare_environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def wait_for_health(process: subprocess.Popen, url: str, timeout: float) -> float:
    """Return the seconds until the app answers its health check; fail with its output if it never does."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if answers_health(url):
            return time.monotonic() - started
        if process.poll() is not None:
            pytest.fail(f"run-app exited with {process.returncode}:\n{process.stdout.read()[-3000:]}")
        time.sleep(0.5)
    pytest.fail(f"run-app did not answer /_stcore/health within {timeout} s")


def stop_app(process: subprocess.Popen) -> None:
    """Stop the app and everything it started."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)


def test_run_app_sets_up_a_venv_with_python3_and_serves_then_starts_in_seconds(fresh_clone):
    url_port = find_free_port()
    first = start_app(fresh_clone, url_port)
    try:
        wait_for_health(first, f"http://127.0.0.1:{url_port}", timeout=900)
    finally:
        stop_app(first)
    assert (fresh_clone / ".venv" / "bin" / "python").is_file()
    assert "/usr/bin" in (fresh_clone / ".venv" / "pyvenv.cfg").read_text(), "made with Debian's python3"
    second = start_app(fresh_clone, url_port)
    try:
        seconds = wait_for_health(second, f"http://127.0.0.1:{url_port}", timeout=120)
    finally:
        stop_app(second)
    assert "Installing cnnviz" not in second.stdout.read(), "a second start skips pip"
    print(f"second run-app start to health: {seconds:.1f} s")


def test_the_installed_cnnviz_command_is_the_cli(fresh_clone, tmp_path):
    if not (fresh_clone / ".venv" / "bin" / "cnnviz").exists():
        subprocess.run(["bash", "scripts/setup-venv"], cwd=fresh_clone, env=bare_environment(), check=True)
    listing = subprocess.run(
        [str(fresh_clone / ".venv" / "bin" / "cnnviz"), "runs", "--runs-dir", str(tmp_path)],
        capture_output=True,
        text=True,
        env=bare_environment(),
        timeout=60,
    )
    assert listing.returncode == 0 and f"no runs in {tmp_path}" in listing.stdout, listing.stderr


def test_the_test_command_sets_up_and_runs_tests(fresh_clone):
    result = subprocess.run(
        ["bash", "scripts/test", "tests/test_convolution.py", "-q", "-p", "no:cacheprovider"],
        cwd=fresh_clone,
        env=bare_environment(),
        capture_output=True,
        text=True,
        timeout=1200,
    )
    assert result.returncode == 0, (result.stdout + result.stderr)[-3000:]
    assert " passed" in result.stdout and "All checks passed" in result.stdout
