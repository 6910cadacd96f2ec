"""Grids of numbers as plain HTML tables: what the Convolution and Pooling pages step through."""

from __future__ import annotations

import html

import numpy as np
from plotly.colors import sample_colorscale

from cnnviz.lesson.convolution import format_number

LIT_COLOUR = "#e4572e"
PADDING_BACKGROUND = "#eeeeee"
EMPTY_BACKGROUND = "#fafafa"
GAP = "2px solid #ffffff"
LIT_EDGE = f"3px solid {LIT_COLOUR}"


def colour_fractions(values: np.ndarray, is_shown: np.ndarray) -> np.ndarray:
    """Return each value's place between the smallest and largest shown value, 0..1 (0.5 when all are equal)."""
    shown = values[is_shown]
    if shown.size == 0 or shown.max() == shown.min():
        return np.full(values.shape, 0.5)
    return np.clip((values - shown.min()) / (shown.max() - shown.min()), 0, 1)


def cell_style(background: str, text_colour: str, borders: dict[str, str], cell_pixels: int) -> str:
    """Return the inline CSS of one cell."""
    edges = "".join(f"border-{side}:{border};" for side, border in borders.items())
    return (
        f"background:{background};color:{text_colour};{edges}min-width:{cell_pixels}px;height:{cell_pixels}px;"
        "padding:0 4px;text-align:center;vertical-align:middle;font-variant-numeric:tabular-nums;"
    )


def window_borders(row: int, column: int, window: tuple[int, int, int, int] | None) -> dict[str, str]:
    """Return the four borders of a cell: lit on the edges of the window, a white gap elsewhere."""
    borders = {"top": GAP, "bottom": GAP, "left": GAP, "right": GAP}
    if window is None:
        return borders
    top, left, height, width = window
    if not (top <= row < top + height and left <= column < left + width):
        return borders
    borders["top"] = LIT_EDGE if row == top else GAP
    borders["bottom"] = LIT_EDGE if row == top + height - 1 else GAP
    borders["left"] = LIT_EDGE if column == left else GAP
    borders["right"] = LIT_EDGE if column == left + width - 1 else GAP
    return borders


def grid_html(
    values: np.ndarray,
    title: str = "",
    window: tuple[int, int, int, int] | None = None,
    padding: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0)),
    colorscale: str = "Blues",
    cell_pixels: int = 40,
) -> str:
    """Return a grid of numbers as an HTML table; `window` = (top, left, height, width) is outlined.

    NaN cells are blank (an output not computed yet); padding rows and columns are grey zeros.
    """
    # A table, not a chart: the browser lays out a few dozen cells in milliseconds, where a plotly
    # heatmap cost each student's browser about a second of CPU per step of the kernel.
    values = np.asarray(values, dtype=float)
    rows, columns = values.shape
    is_padding = np.zeros(values.shape, dtype=bool)
    (top_pad, bottom_pad), (left_pad, right_pad) = padding
    is_padding[:top_pad, :] = is_padding[rows - bottom_pad :, :] = True
    is_padding[:, :left_pad] = is_padding[:, columns - right_pad :] = True
    is_shown = ~is_padding & ~np.isnan(values)
    fractions = colour_fractions(np.nan_to_num(values), is_shown)
    backgrounds = sample_colorscale(colorscale, [float(f) for f in fractions.ravel()])
    table_rows = []
    for row in range(rows):
        cells = []
        for column in range(columns):
            value = values[row, column]
            text = "" if np.isnan(value) else format_number(value)
            if is_padding[row, column]:
                background, text_colour, label = PADDING_BACKGROUND, "#888888", "padding (zero)"
            elif np.isnan(value):
                background, text_colour, label = EMPTY_BACKGROUND, "#262730", "not computed yet"
            else:
                background = backgrounds[row * columns + column]
                text_colour = "#ffffff" if fractions[row, column] > 0.6 else "#262730"  # legible on dark cells
                label = f"row {row + 1 - top_pad}, column {column + 1 - left_pad}: {text}"
            style = cell_style(background, text_colour, window_borders(row, column, window), cell_pixels)
            cells.append(f'<td title="{html.escape(label)}" style="{style}">{html.escape(text)}</td>')
        table_rows.append("<tr>" + "".join(cells) + "</tr>")
    caption = f'<div style="text-align:center;font-weight:600;margin-bottom:4px">{html.escape(title)}</div>'
    table = (
        f'<table class="cnnviz-grid" aria-label="{html.escape(title)}" '
        'style="border-collapse:collapse;margin:0 auto;border:none">' + "".join(table_rows) + "</table>"
    )
    return f"<div>{caption}{table}</div>"
