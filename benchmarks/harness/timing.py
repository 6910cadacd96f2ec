"""Timings turned into the figures the benchmarks print: nearest-rank percentiles, p50 / p95 / max."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def percentile(values: list[float], fraction: float) -> float:
    """Return the value below which `fraction` of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def describe_spread(values: list[float]) -> str:
    """Return `p50 | p95 | max` of some seconds as table cells."""
    return f"{statistics.median(values):.2f} | {percentile(values, 0.95):.2f} | {max(values):.2f}"


def median_seconds(action: Callable[[], object], rounds: int) -> float:
    """Return the median wall time of `action()` over `rounds` calls."""
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        action()
        times.append(time.perf_counter() - started)
    return statistics.median(times)
