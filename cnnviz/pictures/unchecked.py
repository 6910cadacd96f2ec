"""Figures plotly does not check as they are built: the few a class server builds for every click.

Plotly checks every property of a figure against its schema while building it: for the Network page's
overview (28 tiles and their captions) that was most of its time; unchecked it takes 13 ms (BENCHMARKS.md,
"What one round costs the server"). The figures built here are checked in the tests instead
(tests/test_network_figures.py builds each one again through plotly's checks), so a misspelt property
still fails.
"""

from __future__ import annotations

import plotly.graph_objects as go
from plotly.colors import get_colorscale

# A named scale's stops: named, plotly would look the name up again in every figure (its whole colours module).
VIRIDIS_SCALE = [list(stop) for stop in get_colorscale("Viridis")]


def unchecked_figure(traces: list[dict], layout: dict) -> go.Figure:
    """Return a figure of plain-dict traces (each with its "type") and layout, unchecked by plotly as it is built."""
    return go.Figure({"data": traces, "layout": layout}, _validate=False)
