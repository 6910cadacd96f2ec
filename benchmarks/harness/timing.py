"""Timings turned into the figures the benchmarks print: nearest-rank percentiles, p50 / p95 / max."""

from __future__ import annotations

import statistics


def percentile(values: list[float], fraction: float) -> float:
    """Return the value below which `fraction` of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


def describe_spread(values: list[float]) -> str:
    """Return `p50 | p95 | max` of some seconds as table cells."""
    return f"{statistics.median(values):.2f} | {percentile(values, 0.95):.2f} | {max(values):.2f}"
