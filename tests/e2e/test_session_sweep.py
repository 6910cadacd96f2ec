"""A class server ends closed tabs' sessions once their reconnection time runs out (server.py's sweep), so their
descriptors are back with no one visiting: Streamlit alone only forgets them when the next tab comes."""

import asyncio
import time
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor

import pytest

from benchmarks.harness import processes
from benchmarks.harness.protocol import Tab
from tests.e2e.browser import start_server, stop_server

pytestmark = pytest.mark.e2e

TTL_SECONDS = 2  # the server's --server.disconnectedSessionTTL here (a class server's is 30)


async def open_and_close_tabs(url: str, count: int) -> None:
    """Open `count` tabs on Convolution together, each running the page once, then close them all."""
    tabs = [await Tab.open(url) for _ in range(count)]
    await asyncio.gather(*(tab.rerun("convolution", fresh=True) for tab in tabs))
    for tab in tabs:
        await tab.close()


def run_apart(coroutine: Coroutine) -> None:
    """Run `coroutine` on an event loop of its own thread: the session's sync Playwright keeps one running here."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def descriptors_once_settled(pid: int, at_most: int, seconds: float) -> int:
    """Return the server's open descriptors as soon as they are at most `at_most`, or after `seconds`."""
    deadline = time.monotonic() + seconds
    while (count := processes.open_descriptors(pid)) > at_most and time.monotonic() < deadline:
        time.sleep(0.5)
    return count


def test_closed_tabs_sessions_are_ended_and_their_descriptors_freed_with_no_one_visiting(tmp_path):
    process, url = start_server(
        tmp_path / "runs", tmp_path / "datasets", ("--server.disconnectedSessionTTL", str(TTL_SECONDS))
    )
    try:
        run_apart(open_and_close_tabs(url, 1))  # the first visit imports and opens what the server keeps
        settled = descriptors_once_settled(process.pid, 0, TTL_SECONDS + 15)
        run_apart(open_and_close_tabs(url, 5))
        assert processes.open_descriptors(process.pid) > settled, "five sessions hold descriptors while kept"
        after = descriptors_once_settled(process.pid, settled, TTL_SECONDS + 25)
        assert after <= settled, processes.describe_open_files(process.pid)
    finally:
        stop_server(process)
