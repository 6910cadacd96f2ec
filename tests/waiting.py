"""Waiting for what another process does (a worker, a server), with a deadline instead of a fixed sleep."""

import time

import pytest


def wait_for(condition, timeout: float = 180, interval: float = 0.2):
    """Wait until condition() is truthy and return its value, or fail the test after timeout seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(f"gave up waiting after {timeout} s")
