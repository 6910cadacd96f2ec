"""Confusion matrices as clickable figures: a scatter of square markers, one per cell (a heatmap's click is
not a Streamlit selection; a scatter point is)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnviz.data import images
from cnnviz.learning.confusion import Cell, Confusion, ConfusionDifference

SELECTED_OUTLINE = "#ff7f0e"


def figure_height(classes: int) -> int:
    """Return a height that gives each cell about 40 px for ten classes and more for fewer (it fits 1440×900)."""
    return min(600, 190 + 60 * classes)


def cell_at(point_index: int, classes: int) -> Cell:
    """Return the cell a clicked point stands for (points go row by row: true class, then predicted)."""
    true, predicted = divmod(int(point_index), classes)
    return Cell(true, predicted)


def clicked_point(selection_event: dict | None) -> int | None:
    """Return the index of the point a click selected (in a Streamlit plotly selection event), if any."""
    points = ((selection_event or {}).get("selection") or {}).get("points") or []
    return int(points[0]["point_index"]) if points else None


def clicked_cell(selection_event: dict | None, classes: int) -> Cell | None:
    """Return the cell of the point a click selected in a matrix figure, if any."""
    point = clicked_point(selection_event)
    return None if point is None else cell_at(point, classes)


def gallery_figure(
    pictures: list[np.ndarray], captions: list[str], selected: int | None = None, columns: int = 6
) -> go.Figure:
    """Return images in a grid, each a point a click selects (its caption under it, the chosen one ringed)."""
    rows = -(-len(pictures) // columns)
    positions = [divmod(number, columns) for number in range(len(pictures))]
    figure = go.Figure(
        go.Scatter(
            x=[column + 0.45 for _, column in positions],
            y=[row * 1.25 + 0.45 for row, _ in positions],
            mode="markers",
            marker=dict(symbol="square", size=40, color="rgba(0,0,0,0)"),
            hovertext=captions,
            hovertemplate="%{hovertext}<extra></extra>",
            selected=dict(marker=dict(opacity=0)),
            unselected=dict(marker=dict(opacity=0)),
            showlegend=False,
        )
    )
    figure.add_trace(
        go.Scatter(
            x=[column + 0.45 for _, column in positions],
            y=[row * 1.25 + 1.08 for row, _ in positions],
            mode="text",
            text=captions,
            textfont=dict(size=15),
            hoverinfo="skip",
            showlegend=False,
        )
    )
    for (row, column), picture in zip(positions, pictures):
        figure.add_layout_image(
            source=images.png_data_uri(picture),
            xref="x",
            yref="y",
            x=column,
            y=row * 1.25,
            sizex=0.9,
            sizey=0.9,
            xanchor="left",
            yanchor="top",
            sizing="stretch",
            layer="below",
        )
    if selected is not None and 0 <= selected < len(pictures):
        row, column = positions[selected]
        figure.add_shape(
            type="rect",
            x0=column - 0.04,
            x1=column + 0.94,
            y0=row * 1.25 - 0.04,
            y1=row * 1.25 + 0.94,
            line=dict(color=SELECTED_OUTLINE, width=4),
        )
    hidden = dict(visible=False, showgrid=False, zeroline=False)
    figure.update_layout(
        height=10 + rows * 80,
        margin=dict(l=0, r=0, t=0, b=0),
        xaxis=dict(range=[-0.05, columns - 0.05], **hidden),
        yaxis=dict(range=[rows * 1.25, -0.05], scaleanchor="x", **hidden),
        plot_bgcolor="white",
        dragmode=False,
        hovermode="closest",
    )
    return figure


def grid_figure(
    colours: np.ndarray,
    texts: list[str],
    class_names: list[str],
    hover: list[str],
    colour_scale: str | list,
    colour_range: tuple[float, float],
    colour_title: str,
    title: str,
    selected: Cell | None = None,
    height: int | None = None,
) -> go.Figure:
    """Return a class × class grid: a heatmap draws the colours and texts (it scales with the figure), and a
    scatter of transparent square markers on top makes each cell a point a click selects."""
    classes = len(class_names)
    true, predicted = np.divmod(np.arange(classes * classes), classes)
    figure = go.Figure(
        go.Heatmap(
            z=colours,
            text=np.asarray(texts, dtype=object).reshape(classes, classes),
            texttemplate="%{text}",
            textfont=dict(size=16 if classes <= 10 else 11),
            colorscale=colour_scale,
            zmin=colour_range[0],
            zmax=colour_range[1],
            # Above the grid, not beside it: at 150% zoom a matrix column is narrow, and the width is the cells'.
            colorbar=dict(
                title=dict(text=colour_title, side="top"),
                orientation="h",
                x=1,
                xanchor="right",
                y=1.01,
                yanchor="bottom",
                len=0.4,
                thickness=10,
                tickfont=dict(size=12),
            ),
            hoverinfo="skip",
            xgap=1,
            ygap=1,
        )
    )
    figure.add_trace(
        go.Scatter(
            x=predicted,
            y=true,
            mode="markers",
            hovertext=hover,
            hovertemplate="%{hovertext}<extra></extra>",
            marker=dict(symbol="square", size=28, color="rgba(0,0,0,0)"),
            selected=dict(marker=dict(opacity=0)),
            unselected=dict(marker=dict(opacity=0)),
            showlegend=False,
        )
    )
    if selected is not None:
        figure.add_shape(
            type="rect",
            x0=selected.predicted - 0.5,
            x1=selected.predicted + 0.5,
            y0=selected.true - 0.5,
            y1=selected.true + 0.5,
            line=dict(color=SELECTED_OUTLINE, width=4),
        )
    ticks = dict(tickmode="array", tickvals=list(range(classes)), ticktext=class_names, tickfont=dict(size=14))
    figure.update_layout(
        title=dict(text=title, font=dict(size=16)),
        height=height or figure_height(classes),
        margin=dict(l=10, r=10, t=80, b=10),
        xaxis=dict(title="predicted class", range=[-0.5, classes - 0.5], showgrid=False, zeroline=False, **ticks),
        yaxis=dict(
            title="true class", range=[classes - 0.5, -0.5], showgrid=False, zeroline=False, scaleanchor="x", **ticks
        ),
        plot_bgcolor="white",
        dragmode=False,
        hovermode="closest",
        font=dict(size=14),
    )
    return figure


def confusion_figure(
    confusion: Confusion, selected: Cell | None = None, title: str = "", height: int | None = None
) -> go.Figure:
    """Return the confusion matrix: counts inside, colour = the share of the true class, the chosen cell ringed."""
    matrix, names = confusion.matrix, confusion.class_names
    totals = np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    shares = matrix / totals
    classes = len(names)
    hover = [
        f"true {names[t]}, called {names[p]}: {matrix[t, p]:,} of {matrix[t].sum():,} ({shares[t, p]:.1%})"
        for t in range(classes)
        for p in range(classes)
    ]
    title = title or f"{confusion.images:,} {confusion.split} images: rows are the true class"
    texts = [f"{count:,}" for count in matrix.ravel()]
    colour_title = "share of the true class"
    return grid_figure(shares, texts, names, hover, "Blues", (0.0, 1.0), colour_title, title, selected, height)


def difference_figure(difference: ConfusionDifference, title: str = "", height: int | None = None) -> go.Figure:
    """Return second − first per cell, coloured by what got better (blue) or worse (red) for the second run."""
    change, names = difference.matrix, difference.first.class_names
    classes = len(names)
    better = np.where(np.eye(classes, dtype=bool), change, -change)  # more right answers, fewer mistakes
    limit = max(1, int(np.abs(better).max()))
    hover = [
        f"true {names[t]}, called {names[p]}: {difference.first.matrix[t, p]:,} → {difference.second.matrix[t, p]:,}"
        for t in range(classes)
        for p in range(classes)
    ]
    texts = ["" if value == 0 else f"{value:+,}".replace("-", "−") for value in change.ravel()]
    return grid_figure(
        better,
        texts,
        names,
        hover,
        [[0, "#c0392b"], [0.5, "#ffffff"], [1, "#2166ac"]],
        (-limit, limit),
        "better (blue) · worse (red)",
        title or f"{difference.second_label} − {difference.first_label}",
        height=height,
    )
