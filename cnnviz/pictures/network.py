"""The network view as pictures: every layer's maps in one row of columns, one map enlarged cell by cell, the
arithmetic of a clicked cell, filter patterns and first-layer filters as tiles.

A map in the overview is a small picture with a transparent square marker over it (a click on a heatmap is
not a Streamlit selection; a scatter point is); the enlarged map is a scatter of square markers, one a cell.
"""

from __future__ import annotations

import html

import numpy as np
import plotly.graph_objects as go

from cnnviz.data import images
from cnnviz.learning.network_records import CellArithmetic, CellKind, LayerOutput, NetworkView
from cnnviz.lesson.convolution import format_factor, format_number, trace_conv2d, trace_pool2d
from cnnviz.pictures import steps
from cnnviz.pictures.unchecked import VIRIDIS_SCALE, unchecked_figure

SELECTED_OUTLINE = "#ff7f0e"
# Viridis at five stops: dark for the smallest value of a layer, yellow for its largest, readable on a projector.
VIRIDIS = np.array([[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]], dtype=float)
# Sized so fashion_separable's ten columns and its answer fill a 1440-pixel-wide window's page at scale 1.
TILE = 72  # pixels of one map in the overview
COLUMN = 88  # pixels of one layer's column
ANSWER_WIDTH = 230  # pixels for the top five classes and their probabilities
HEADING = 130  # pixels above the maps for the columns' names and shapes, in two staggered bands
CLICKABLE_CELLS = 4096  # a map of up to 64×64 cells is a scatter of markers; a bigger one is a picture


def colour_map(values: np.ndarray, low: float, high: float) -> np.ndarray:
    """Return values as uint8 RGB on one scale (low → dark violet, high → yellow)."""
    spread = high - low
    scaled = np.zeros_like(values, dtype=float) if spread <= 0 else (values - low) / spread
    stops = np.linspace(0, 1, len(VIRIDIS))
    return np.stack([np.interp(scaled, stops, VIRIDIS[:, c]) for c in range(3)], axis=-1).astype(np.uint8)


def enlarge(picture: np.ndarray, size: int) -> np.ndarray:
    """Return a small picture enlarged pixel by pixel to about `size` pixels (crisp squares, not a blur)."""
    factor = max(1, size // max(picture.shape[:2]))
    return np.repeat(np.repeat(picture, factor, axis=0), factor, axis=1)


def input_picture(image: np.ndarray) -> np.ndarray:
    """Return the model's input as uint8 for the screen (grey squeezed)."""
    picture = np.clip(image, 0, 255).astype(np.uint8)
    return picture[..., 0] if picture.shape[-1] == 1 else picture


def layer_title(output: LayerOutput) -> str:
    """Return a column's heading: the layer's name over its shape."""
    return f"<b>{html.escape(output.name)}</b><br>{output.shape_text}"


def network_figure(
    view: NetworkView, class_names: list[str], shown: dict[str, list[int]], selected: tuple[str, int] | None
) -> go.Figure:
    """Return the whole network for one image: the input, a column per layer (its `shown` channels), the answer.

    Each map is a point a click selects (customdata: the layer's name and the channel). The pictures, headings
    and captions go into the layout in one call: added one by one, plotly validated each (0.42 s for 28 maps).
    """
    rows = max((len(channels) for channels in shown.values()), default=1)
    tiles = [tile(input_picture(view.image), 0, 0)]
    notes = [heading(0, f"<b>input</b><br>{'×'.join(map(str, view.image.shape))}")]
    shapes, x, y, customdata, hover = [], [], [], [], []
    for column, output in enumerate(view.layers, start=1):
        low, high = output.scale
        notes.append(heading(column, layer_title(output)))
        for row, channel in enumerate(shown[output.name]):
            tiles.append(tile(colour_map(output.maps[..., channel], low, high), column, row))
            notes.append(caption(column, row, f"map {channel + 1}"))
            x.append(column * COLUMN + TILE / 2)
            y.append(row * (TILE + 22) + TILE / 2)
            customdata.append((output.name, channel))
            hover.append(f"{output.name}, map {channel + 1} of {output.maps.shape[-1]}: click to look closer")
        if selected is not None and selected[0] == output.name and selected[1] in shown[output.name]:
            shapes.append(outline(column * COLUMN, shown[output.name].index(selected[1]) * (TILE + 22), TILE))
    answer_column = len(view.layers) + 1
    notes.append(dict(heading(answer_column, "<b>answer</b>"), y=-4))
    for rank, index in enumerate(np.argsort(-view.probabilities)[:5]):
        notes.append(
            dict(
                x=answer_column * COLUMN - 8, y=rank * 26 + 10, xref="x", yref="y",
                text=f"{html.escape(class_names[index])} {view.probabilities[index]:.1%}", showarrow=False,
                xanchor="left", font=dict(size=16 if rank else 19, color="#222" if rank else "#c0392b"),
            )
        )  # fmt: skip
    points = dict(
        type="scatter", x=x, y=y, mode="markers", customdata=customdata, hovertext=hover,
        hovertemplate="%{hovertext}<extra></extra>",
        marker=dict(symbol="square", size=TILE - 8, color="rgba(0,0,0,0)"),
        selected=dict(marker=dict(opacity=0)), unselected=dict(marker=dict(opacity=0)), showlegend=False,
    )  # fmt: skip
    width = answer_column * COLUMN + ANSWER_WIDTH
    height = rows * (TILE + 22) + HEADING
    hidden = dict(visible=False, showgrid=False, zeroline=False)
    # Squares stay squares at any width (scaleanchor): a narrower window shrinks the whole row, never one axis.
    layout = dict(
        height=height, margin=dict(l=0, r=0, t=0, b=0), plot_bgcolor="white", dragmode=False, hovermode="closest",
        xaxis=dict(range=[-4, width], **hidden),
        # The headings sit inside the range (above it, plotly would hide them); a wider window adds room below.
        yaxis=dict(range=[height - HEADING, -HEADING], scaleanchor="x", constraintoward="top", **hidden),
        images=tiles, annotations=notes, shapes=shapes,
    )  # fmt: skip
    return unchecked_figure([points], layout)


def tile(picture: np.ndarray, column: int, row: int) -> dict:
    """Return one map's picture placed in its column and row of the overview (a layout image)."""
    return dict(
        source=images.png_data_uri(enlarge(picture, TILE)), xref="x", yref="y", x=column * COLUMN, y=row * (TILE + 22),
        sizex=TILE, sizey=TILE, xanchor="left", yanchor="top", sizing="stretch", layer="below",
    )  # fmt: skip


def heading(column: int, text: str) -> dict:
    """Return a column's heading above it (a layout annotation), every other one a band higher: at 150% zoom a
    column is about 50 px wide and 'separable1' at 14 px needs 75, so neighbours would overlap side by side."""
    return dict(
        x=column * COLUMN + TILE / 2, y=-4 - (column % 2) * HEADING / 2, xref="x", yref="y", text=text,
        showarrow=False, yanchor="bottom", font=dict(size=14),
    )  # fmt: skip


def caption(column: int, row: int, text: str) -> dict:
    """Return a small caption under one map (a layout annotation)."""
    return dict(
        x=column * COLUMN + TILE / 2, y=row * (TILE + 22) + TILE + 11, xref="x", yref="y", text=text, showarrow=False,
        font=dict(size=13),
    )  # fmt: skip


def outline(left: float, top: float, size: float) -> dict:
    """Return the ring around the chosen map (a layout shape)."""
    return dict(
        type="rect", x0=left - 3, x1=left + size + 3, y0=top - 3, y1=top + size + 3, xref="x", yref="y",
        line=dict(color=SELECTED_OUTLINE, width=4),
    )  # fmt: skip


def clicked_map(selection_event: dict | None) -> tuple[str, int] | None:
    """Return the (layer, channel) of the map a click selected in the overview, if any."""
    points = ((selection_event or {}).get("selection") or {}).get("points") or []
    if not points or "customdata" not in points[0]:
        return None
    name, channel = points[0]["customdata"]
    return str(name), int(channel)


def is_clickable(maps: np.ndarray) -> bool:
    """Return whether a map is small enough to draw as one marker a cell."""
    return maps.shape[0] * maps.shape[1] <= CLICKABLE_CELLS


def map_figure(output: LayerOutput, channel: int, cell: tuple[int, int] | None, size: int = 380) -> go.Figure:
    """Return one map enlarged, each cell a square marker a click selects (its value written in it when it fits)."""
    values = output.maps[..., channel]
    height, width = values.shape
    low, high = output.scale
    rows, columns = np.divmod(np.arange(values.size), width)
    marker_size = max(3, size / max(height, width) - 1)
    # Numbers in the cells only where they fit at 150% zoom too (pool3's 3×3; a 7×7 map's overflowed).
    texts = [format_number(round(float(value), 2)) for value in values.ravel()] if max(height, width) <= 5 else None
    points = dict(
        type="scatter", x=columns.tolist(), y=rows.tolist(), mode="markers+text" if texts else "markers", text=texts,
        textfont=dict(size=max(9, min(15, marker_size / 3.4)), color="white"),
        marker=dict(
            symbol="square", size=marker_size, color=values.ravel().tolist(), colorscale=VIRIDIS_SCALE,
            cmin=low, cmax=high,
        ),
        customdata=np.stack([rows + 1, columns + 1], axis=-1).tolist(),
        hovertemplate="row %{customdata[0]}, column %{customdata[1]}: %{marker.color:.4f}<extra></extra>",
        selected=dict(marker=dict(opacity=1)), unselected=dict(marker=dict(opacity=1)), showlegend=False,
    )  # fmt: skip
    shapes = []
    if cell is not None:
        shapes.append(
            dict(
                type="rect", x0=cell[1] - 0.5, x1=cell[1] + 0.5, y0=cell[0] - 0.5, y1=cell[0] + 0.5,
                line=dict(color=SELECTED_OUTLINE, width=3),
            )
        )  # fmt: skip
    hidden = dict(showgrid=False, zeroline=False, showticklabels=False)
    layout = dict(
        width=size + 20, height=size + 20, margin=dict(l=10, r=10, t=10, b=10), plot_bgcolor="white", dragmode=False,
        xaxis=dict(range=[-0.5, width - 0.5], **hidden),
        yaxis=dict(range=[height - 0.5, -0.5], scaleanchor="x", **hidden), shapes=shapes,
    )  # fmt: skip
    return unchecked_figure([points], layout)


def clicked_cell(selection_event: dict | None, width: int) -> tuple[int, int] | None:
    """Return the (row, column) of the cell a click selected in an enlarged map, if any."""
    points = ((selection_event or {}).get("selection") or {}).get("points") or []
    return tuple(int(value) for value in divmod(int(points[0]["point_index"]), width)) if points else None


def picture_of_map(output: LayerOutput, channel: int, cell: tuple[int, int] | None, size: int = 380) -> np.ndarray:
    """Return a big map as a picture on its layer's scale, the chosen cell ringed in orange."""
    low, high = output.scale
    picture = colour_map(output.maps[..., channel], low, high)
    if cell is not None:
        picture[cell[0], cell[1]] = (255, 127, 14)
    return enlarge(picture, size)


def arithmetic_html(cell: CellArithmetic) -> str:
    """Return how a clicked number was made: the window and the kernel as on the Convolution page (every channel of
    an image's first convolution; for a deeper one the channel that weighs most), each channel's sum, the bias, the
    activation and the value."""
    place = f"{html.escape(cell.layer)} · row {cell.row + 1}, column {cell.column + 1}, map {cell.channel + 1}"
    if cell.kind is CellKind.POOLING:
        trace = trace_pool2d(cell.pool_window, size=cell.pool_window.shape[0], mode=cell.activation)
        picture = steps.pooling_picture({cell.activation: trace}, 0)
        return retitle(picture, trace, f"{place} · the window on the map before it") + total_line(cell)
    if cell.kind is CellKind.ELEMENTWISE:
        return paragraph(
            f"{cell.activation} of the number under it, {number(cell.pre_activation)}, is <b>{number(cell.value)}</b>."
        )
    channels = len(cell.terms)
    if channels <= 3 and cell.kind is CellKind.CONVOLUTION:  # an image's first convolution: all of it at once
        window = np.stack([term.window for term in cell.terms], axis=-1)
        kernel = np.stack([term.kernel for term in cell.terms], axis=-1)
        if channels == 1:
            trace = trace_conv2d(window[..., 0], kernel[..., 0], bias=cell.bias)
            return retitle(steps.convolution_picture(trace, 0), trace, place) + total_line(cell)
        trace = trace_conv2d(window, kernel, bias=cell.bias)
        return retitle(steps.channels_picture(trace, 0), trace, place) + total_line(cell)
    stage = "its own depthwise kernel" if cell.kind is CellKind.SEPARABLE else "its slice of the kernel"
    how = "summed on its own (then weighted, below)" if cell.kind is CellKind.SEPARABLE else "summed"
    strongest = cell.largest_terms(1)[0]
    trace = trace_conv2d(strongest.window, strongest.kernel)
    picture = retitle(steps.convolution_picture(trace, 0), trace, f"{place} · input channel {strongest.channel + 1}")
    lead = paragraph(
        f"Each of the {channels} input channels is multiplied by {stage} and {how}, as on the Convolution page; "
        f"channel {strongest.channel + 1} weighs most:"
    )
    return lead + picture + total_line(cell)


def retitle(picture: str, trace, heading: str) -> str:
    """Replace a one-window trace's 'Step 1 of 1 · output row 1, column 1' with where the window really is."""
    return picture.replace(steps.step_heading(trace, trace.step(0)), heading, 1)


def contributions_figure(cell: CellArithmetic) -> go.Figure:
    """Return each input channel's share of a cell's sum as bars (after its pointwise weight for a separable)."""
    values = cell.contributions()
    colours = ["#2e7d32" if value >= 0 else "#c62828" for value in values]
    figure = go.Figure(
        go.Bar(
            x=np.arange(1, len(values) + 1), y=values, marker_color=colours,
            hovertemplate="channel %{x}: %{y:.4f}<extra></extra>",
        )
    )  # fmt: skip
    figure.update_layout(
        height=200, margin=dict(l=10, r=10, t=30, b=10), title=f"each of the {len(values)} channels' share of the sum",
        xaxis=dict(title="input channel"), showlegend=False,
    )  # fmt: skip
    return figure


def total_line(cell: CellArithmetic) -> str:
    """Return the last line of a cell's arithmetic: the sum over channels, the bias, the activation, the value."""
    if cell.kind is CellKind.POOLING:
        where = f" at row {cell.winner[0] + 1}, column {cell.winner[1] + 1} of the window" if cell.winner else ""
        return paragraph(f"{cell.activation} of the window{where} → <b>{number(cell.value)}</b>")
    contributions = cell.contributions()
    largest = np.argsort(-np.abs(contributions), kind="stable")[:4]
    if cell.kind is CellKind.SEPARABLE:  # each channel's own sum times its pointwise weight
        terms = [
            f"{format_factor(round(float(cell.depthwise_values[index]), 4))}×"
            f"{format_factor(round(float(cell.pointwise[index]), 4))} (ch. {index + 1})"
            for index in largest
        ]
    else:
        terms = [f"{format_factor(round(float(contributions[index]), 4))} (ch. {index + 1})" for index in largest]
    shown = " + ".join(terms)
    more = f" + the other {len(contributions) - len(largest)}" if len(contributions) > len(largest) else ""
    if cell.kind is CellKind.SEPARABLE:
        lead = f"Pointwise: each channel's sum × its learned weight, the {len(contributions)} added up: "
    else:
        lead = f"All {len(contributions)} channels' sums: " if len(contributions) > 1 else "The sum: "
    padding = " The window reaches into the zero padding: those cells count 0." if cell.padded else ""
    return paragraph(
        f"{lead}{shown}{more} = {number(contributions.sum())}; + bias {number(cell.bias)} = "
        f"{number(cell.pre_activation)}; {cell.activation} → <b>{number(cell.value)}</b>.{padding}"
    )


def number(value: float) -> str:
    """Return a value to four decimals, with a true minus sign (what Keras's output is checked against)."""
    return f"{float(value):.4f}".replace("-", "−")


def paragraph(text: str) -> str:
    """Return a line of the arithmetic in the steps' style (text already escaped where it came from a model)."""
    return f"<p style='{steps.ARITHMETIC_STYLE}'>{text}</p>"


def tiles(pictures: list[np.ndarray], columns: int = 16, size: int = 56, gap: int = 4) -> np.ndarray:
    """Return small pictures (grey or RGB) as one mosaic, each enlarged pixel by pixel to about `size`."""
    enlarged = [images.ensure_rgb(enlarge(picture, size)) for picture in pictures]
    tile = max(max(picture.shape[:2]) for picture in enlarged)
    columns = min(columns, len(enlarged))
    rows = -(-len(enlarged) // columns)
    mosaic = np.full((rows * (tile + gap) - gap, columns * (tile + gap) - gap, 3), 255, dtype=np.uint8)
    for index, picture in enumerate(enlarged):
        row, column = divmod(index, columns)
        top, left = row * (tile + gap), column * (tile + gap)
        mosaic[top : top + picture.shape[0], left : left + picture.shape[1]] = picture
    return mosaic
