"""Grids of numbers drawn as SVG: cells, the lit window, the kernel's weights in small print, links.

Every grid is a `<g data-grid="NAME">` and every cell a `<g data-cell="ROW,COLUMN">` with a `<title>`
(the hover tooltip), so tests and people find them however the picture is laid out. Coordinates are
in design units (one cell is CELL units); the page's CSS scales the whole picture to the screen.
Pages must show these with `st.markdown(..., unsafe_allow_html=True)`: `st.html` strips `<svg>`.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass, field

import numpy as np
from plotly.colors import get_colorscale, sample_colorscale

from cnnviz.lesson.convolution import format_number

CELL = 64
CAPTION = 34  # room above a grid for its caption
VALUE_FONT = 28
CAPTION_FONT = 22
BOLD_CHARACTER_WIDTH = 0.62  # a semibold sans letter is about 0.6 of its font size wide: room for captions
WEIGHT_FONT = 14
LIT_COLOUR = "#e4572e"
WINNER_COLOUR = "#1a7f37"
TEXT_COLOUR = "#262730"
PADDING_BACKGROUND = "#eeeeee"
MARKED_COLOUR = "#5c5c66"  # the dashed square inside a cell no window is centred on
EMPTY_BACKGROUND = "#fafafa"
# One colour per kernel position (cycled beyond 9): the weight's cell, its small print in the window
# and its term in the sum share it, so the eye can follow a weight from the kernel into the arithmetic.
TERM_COLOURS = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#b07d00", "#8c564b", "#c2185b", "#00838f", "#546e7a")
CHANNEL_COLOURS = ("#d62728", "#2ca02c", "#1f77b4", "#7f7f7f")  # R, G, B, then grey


def term_colour(index: int) -> str:
    """Return the colour of kernel position `index` (row by row)."""
    return TERM_COLOURS[index % len(TERM_COLOURS)]


@dataclass
class Grid:
    """One grid to draw: its values, where it goes and what is marked on it."""

    name: str
    values: np.ndarray
    x: float
    y: float
    caption: str = ""
    cell: float = CELL
    colorscale: str = "Blues"
    padding: tuple[tuple[int, int], tuple[int, int]] = ((0, 0), (0, 0))
    lit: list[tuple[int, int]] = field(default_factory=list)
    weights: dict[tuple[int, int], tuple[str, str]] = field(default_factory=dict)  # cell -> (text, colour)
    fills: dict[tuple[int, int], str] = field(default_factory=dict)  # cell -> background, white text
    winner: tuple[int, int] | None = None
    tooltip_prefix: str = ""
    marked: list[tuple[int, int]] = field(default_factory=list)  # dashed inside: never a window's centre

    @property
    def width(self) -> float:
        """Return the grid's width in design units."""
        return self.values.shape[1] * self.cell

    @property
    def height(self) -> float:
        """Return the grid's height in design units (the caption above it not included)."""
        return self.values.shape[0] * self.cell

    def box(self, cells: list[tuple[int, int]]) -> tuple[float, float, float, float]:
        """Return the (left, top, right, bottom) that holds these cells."""
        rows, columns = [row for row, _ in cells], [column for _, column in cells]
        return (
            self.x + min(columns) * self.cell,
            self.y + min(rows) * self.cell,
            self.x + (max(columns) + 1) * self.cell,
            self.y + (max(rows) + 1) * self.cell,
        )


def colour_fractions(values: np.ndarray, is_shown: np.ndarray) -> np.ndarray:
    """Return each value's place between the smallest and largest shown value, 0..1 (0.5 when all are equal)."""
    shown = values[is_shown]
    if shown.size == 0 or shown.max() == shown.min():
        return np.full(values.shape, 0.5)
    return np.clip((values - shown.min()) / (shown.max() - shown.min()), 0, 1)


def padding_mask(shape: tuple[int, int], padding: tuple[tuple[int, int], tuple[int, int]]) -> np.ndarray:
    """Return True where a cell is a padding zero rather than part of the real input."""
    rows, columns = shape
    mask = np.zeros(shape, dtype=bool)
    (top, bottom), (left, right) = padding
    mask[:top, :] = mask[rows - bottom :, :] = True
    mask[:, :left] = mask[:, columns - right :] = True
    return mask


def fitted_font(text: str, cell: float, largest: float = VALUE_FONT) -> float:
    """Return a font size at which `text` fits in a cell (numbers are about 0.55 em wide)."""
    return round(min(largest, (cell - 8) / (0.56 * max(len(text), 1))), 1)


def text_element(x: float, y: float, text: str, size: float, colour: str = TEXT_COLOUR, **attributes: str) -> str:
    """Return an SVG <text> centred on (x, y), its content escaped."""
    extra = "".join(
        f' {name.rstrip("_").replace("_", "-")}="{html.escape(str(value))}"' for name, value in attributes.items()
    )
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" fill="{colour}" text-anchor="middle" '
        f'dominant-baseline="central"{extra}>{html.escape(text)}</text>'
    )


def cell_label(grid: Grid, row: int, column: int, text: str, is_padding: bool) -> str:
    """Return the tooltip of one cell: its place on the real input (padding rows not counted) and value."""
    if is_padding:
        return "padding (zero)"
    if not text:
        return "not computed yet"
    (top, _), (left, _) = grid.padding
    return f"{grid.tooltip_prefix}row {row + 1 - top}, column {column + 1 - left}: {text}"


def cell_svg(grid: Grid, row: int, column: int, background: str, text_colour: str, is_padding: bool) -> str:
    """Return one cell: a square, its number, its tooltip and, in the window, the weight in small print."""
    value = grid.values[row, column]
    text = "" if np.isnan(value) else format_number(value)
    x, y, size = grid.x + column * grid.cell, grid.y + row * grid.cell, grid.cell
    flags = ' data-lit="1"' if (row, column) in grid.lit else ""
    flags += ' data-winner="1"' if grid.winner == (row, column) else ""
    flags += ' data-never-centred="1"' if (row, column) in grid.marked else ""
    parts = [
        f'<g data-cell="{row},{column}"{flags}><title>{html.escape(cell_label(grid, row, column, text, is_padding))}'
        "</title>",
        f'<rect x="{x + 1:.1f}" y="{y + 1:.1f}" width="{size - 2:.1f}" height="{size - 2:.1f}" rx="3" '
        f'fill="{background}"/>',
    ]
    weight = grid.weights.get((row, column))
    scale = size / CELL  # smaller cells (the channels view) get proportionally smaller print
    value_y = y + size * (0.6 if weight else 0.5)
    value_font = fitted_font(text, size, VALUE_FONT * scale)
    parts.append(text_element(x + size / 2, value_y, text, value_font, text_colour, class_="value"))
    if weight:
        weight_text, colour = weight
        pill_height, weight_font = 19 * scale, WEIGHT_FONT * scale
        width = min(size - 6, 8 * scale + 0.6 * weight_font * len(weight_text))
        parts.append(
            f'<rect x="{x + 3:.1f}" y="{y + 3:.1f}" width="{width:.1f}" height="{pill_height:.1f}" rx="4" '
            f'fill="{colour}"/>'
        )
        parts.append(
            text_element(
                x + 3 + width / 2,
                y + 3 + pill_height / 2,
                weight_text,
                fitted_font(weight_text, width + 8, weight_font),
                "#ffffff",
                class_="weight",
            )
        )
    parts.append("</g>")
    return "".join(parts)


@functools.cache
def colorscale_of(name: str) -> tuple:
    """Return a named plotly colour scale's stops, looked up once: plotly's lookup by name walks its whole colours
    module every time (BENCHMARKS.md, "What one round costs the server")."""
    return tuple(tuple(stop) for stop in get_colorscale(name))


def grid_svg(grid: Grid) -> str:
    """Return a whole grid: caption, cells coloured by value, the lit cells outlined, the winner ringed."""
    values = np.asarray(grid.values, dtype=float)
    grid.values = values
    is_padding = padding_mask(values.shape, grid.padding)
    is_shown = ~is_padding & ~np.isnan(values)
    fractions = colour_fractions(np.nan_to_num(values), is_shown)
    backgrounds = sample_colorscale([list(stop) for stop in colorscale_of(grid.colorscale)], fractions.ravel().tolist())
    parts = [f'<g data-grid="{html.escape(grid.name)}" aria-label="{html.escape(grid.caption)}">']
    if grid.caption:
        parts.append(
            text_element(
                grid.x + grid.width / 2,
                grid.y - CAPTION / 2,
                grid.caption,
                CAPTION_FONT,
                font_weight="600",
                class_="caption",
            )
        )
    for row in range(values.shape[0]):
        for column in range(values.shape[1]):
            if is_padding[row, column]:
                background, text_colour = PADDING_BACKGROUND, "#888888"
            elif np.isnan(values[row, column]):
                background, text_colour = EMPTY_BACKGROUND, TEXT_COLOUR
            elif (row, column) in grid.fills:
                background, text_colour = grid.fills[(row, column)], "#ffffff"
            else:
                background = backgrounds[row * values.shape[1] + column]
                text_colour = "#ffffff" if fractions[row, column] > 0.6 else TEXT_COLOUR  # legible on dark cells
            parts.append(cell_svg(grid, row, column, background, text_colour, bool(is_padding[row, column])))
    parts.append(outline_svg(grid))
    parts.append("</g>")
    return "".join(parts)


def outline_svg(grid: Grid) -> str:
    """Return the lit window's outline (a frame per cell when dilation spreads it) and the winner's ring."""
    parts = []
    if grid.lit:
        left, top, right, bottom = grid.box(grid.lit)
        spans_every_cell = len(grid.lit) == round((right - left) / grid.cell) * round((bottom - top) / grid.cell)
        if not spans_every_cell:
            # Dilation: frame each touched cell, and the whole span dashed, so the gaps show.
            for row, column in grid.lit:
                parts.append(frame(grid.box([(row, column)]), LIT_COLOUR, 3))
            parts.append(frame((left, top, right, bottom), LIT_COLOUR, 2, dashed=True))
        else:
            parts.append(frame((left, top, right, bottom), LIT_COLOUR, 4))
    for cell in grid.marked:
        left, top, right, bottom = grid.box([cell])
        parts.append(frame((left + 5, top + 5, right - 5, bottom - 5), MARKED_COLOUR, 2, dashed=True))
    if grid.winner is not None:
        left, top, right, bottom = grid.box([grid.winner])
        parts.append(
            f'<circle cx="{(left + right) / 2:.1f}" cy="{(top + bottom) / 2 + 3:.1f}" r="{grid.cell * 0.36:.1f}" '
            f'fill="none" stroke="{WINNER_COLOUR}" stroke-width="3" class="winner-ring"/>'
        )
    return "".join(parts)


def frame(box: tuple[float, float, float, float], colour: str, width: float, dashed: bool = False) -> str:
    """Return an unfilled rectangle around `box`."""
    left, top, right, bottom = box
    dash = ' stroke-dasharray="6 4"' if dashed else ""
    return (
        f'<rect x="{left:.1f}" y="{top:.1f}" width="{right - left:.1f}" height="{bottom - top:.1f}" rx="4" '
        f'fill="none" stroke="{colour}" stroke-width="{width}"{dash} pointer-events="none"/>'
    )


def convex_hull(points: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """Return the convex hull of a few points, counter-clockwise (Andrew's monotone chain)."""
    points = sorted(set(points))

    def cross(origin: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
        return (a[0] - origin[0]) * (b[1] - origin[1]) - (a[1] - origin[1]) * (b[0] - origin[0])

    lower: list[tuple[float, float]] = []
    upper: list[tuple[float, float]] = []
    for point in points:
        while len(lower) >= 2 and cross(lower[-2], lower[-1], point) <= 0:
            lower.pop()
        lower.append(point)
    for point in reversed(points):
        while len(upper) >= 2 and cross(upper[-2], upper[-1], point) <= 0:
            upper.pop()
        upper.append(point)
    return lower[:-1] + upper[:-1]


def link_svg(
    source: tuple[float, float, float, float], target: tuple[float, float, float, float], name: str = "link"
) -> str:
    """Return a translucent beam from a window's box to the output cell's box: where that number comes from."""
    corners = [(x, y) for box in (source, target) for x in (box[0], box[2]) for y in (box[1], box[3])]
    points = " ".join(f"{x:.1f},{y:.1f}" for x, y in convex_hull(corners))
    return (
        f'<polygon data-link="{html.escape(name)}" points="{points}" fill="{LIT_COLOUR}" fill-opacity="0.07" '
        f'stroke="{LIT_COLOUR}" stroke-opacity="0.55" stroke-width="2" stroke-dasharray="5 4" pointer-events="none"/>'
    )


def svg_document(width: float, height: float, body: str, name: str, max_height: str = "none") -> str:
    """Return an inline <svg> that scales to its column and to `max_height` (a CSS length), never above 1:1."""
    return (
        f'<svg data-picture="{html.escape(name)}" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'preserveAspectRatio="xMidYMin meet" role="img" style="display:block;width:100%;max-width:{width:.0f}px;'
        f'height:auto;max-height:{max_height};margin:0 auto;font-variant-numeric:tabular-nums">{body}</svg>'
    )


def coloured_terms(terms: list[tuple[str, str]]) -> str:
    """Return HTML spans, each text in its colour (an empty colour leaves the text plain), escaped."""
    spans = []
    for text, colour in terms:
        escaped = html.escape(text)
        spans.append(f'<span style="color:{colour};font-weight:700">{escaped}</span>' if colour else escaped)
    return "".join(spans)
