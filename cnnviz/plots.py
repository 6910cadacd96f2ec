"""Plotly figure builders: data in, go.Figure out, nothing else."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.ops import format_number

LIT_COLOUR = "#e4572e"


def grid_figure(
    values: np.ndarray,
    title: str = "",
    window: tuple[int, int, int, int] | None = None,
    padding: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0)),
    colorscale: str = "Blues",
    cell_pixels: int = 40,
) -> go.Figure:
    """Return a grid of numbers as a heatmap; `window` = (top, left, height, width) is outlined.

    NaN cells are drawn blank (an output not computed yet); padding rows and columns are labelled
    as zeros added around the input.
    """
    values = np.asarray(values, dtype=float)
    rows, columns = values.shape
    text = [["" if np.isnan(v) else format_number(v) for v in row] for row in values]
    is_padding = np.zeros(values.shape, dtype=bool)
    (top_pad, bottom_pad), (left_pad, right_pad) = padding
    is_padding[:top_pad, :] = is_padding[rows - bottom_pad :, :] = True
    is_padding[:, :left_pad] = is_padding[:, columns - right_pad :] = True
    hover = [
        ["padding (zero)" if pad else f"row {r + 1}, column {c + 1}" for c, pad in enumerate(row)]
        for r, row in enumerate(is_padding)
    ]
    figure = go.Figure(
        go.Heatmap(
            z=np.where(is_padding, np.nan, values),
            text=text,
            texttemplate="%{text}",
            customdata=hover,
            hovertemplate="%{customdata}: %{text}<extra></extra>",
            colorscale=colorscale,
            showscale=False,
            xgap=2,
            ygap=2,
        )
    )
    figure.add_trace(
        go.Heatmap(  # padding cells in light grey, still showing their zeros
            z=np.where(is_padding, 0.0, np.nan),
            text=np.where(is_padding, text, ""),
            texttemplate="%{text}",
            colorscale=[[0, "#eeeeee"], [1, "#eeeeee"]],
            showscale=False,
            hoverinfo="skip",
            xgap=2,
            ygap=2,
        )
    )
    if window is not None:
        top, left, height, width = window
        figure.add_shape(
            type="rect",
            x0=left - 0.5,
            x1=left + width - 0.5,
            y0=top - 0.5,
            y1=top + height - 0.5,
            line=dict(color=LIT_COLOUR, width=4),
        )
    figure.update_xaxes(visible=False, range=[-0.5, columns - 0.5])
    figure.update_yaxes(visible=False, autorange="reversed", scaleanchor="x")
    figure.update_layout(
        title=dict(text=title, x=0.5, xanchor="center"),
        height=cell_pixels * rows + 60,
        margin=dict(l=5, r=5, t=40, b=5),
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return figure
