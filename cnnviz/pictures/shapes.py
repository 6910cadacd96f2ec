"""The shapes diagram: a network's feature maps shrinking from the input to the prediction, one box a layer.

Each box's width is its spatial side (to scale within the network) and its height grows with its depth
(on a log scale: 3 channels and 8,192 features must both fit a row), so a convnet reads as a funnel.
The picture is an inline SVG, `<svg data-grid="shapes">` with one `<g data-layer="NAME">` per box;
pages show it with `st.markdown(..., unsafe_allow_html=True)`.
"""

from __future__ import annotations

import html
import math

from cnnviz.lesson.architecture import ShapeBox, times_shape
from cnnviz.pictures.grids import TEXT_COLOUR

MARGIN = 8
FUNNEL_WIDTH = 120  # the widest box: the network's largest spatial side
LABEL_GAP = 12
LABEL_WIDTH = 282  # "vgg16 block3" and "18×18×256" side by side
FONT = 24  # design units: about 20 px in the page's diagram column at 1440×900
HEIGHT_BUDGET = 600  # rows share this much height, within ROW_PITCH's bounds
ROW_PITCH = (31, 46)
NAME_COLOUR = "#6b6b76"
CONNECTOR_COLOUR = "#c9d6e8"
KIND_COLOURS = {
    "Conv2D": "#1f77b4",
    "SeparableConv2D": "#17becf",
    "MaxPooling2D": "#ff7f0e",
    "Dense": "#2ca02c",
    "Block": "#1f77b4",
}
OTHER_COLOUR = "#9e9eae"


def row_pitch(count: int) -> float:
    """Return the height of one row: the boxes share HEIGHT_BUDGET, never cramped, never sparse."""
    low, high = ROW_PITCH
    return min(high, max(low, HEIGHT_BUDGET / max(count, 1)))


def box_size(box: ShapeBox, largest_side: int, largest_depth: int, pitch: float) -> tuple[float, float]:
    """Return a box's width (its side, to scale) and height (its depth, on a log scale) in design units."""
    width = max(4.0, FUNNEL_WIDTH * box.side / largest_side)
    tallest, shortest = pitch - 10, 5.0
    share = math.log(box.depth) / math.log(largest_depth) if largest_depth > 1 else 1.0
    return width, shortest + (tallest - shortest) * share


def box_svg(box: ShapeBox, centre: float, top: float, width: float, height: float, pitch: float) -> str:
    """Return one layer's box with its name and shape beside it, and a tooltip listing its layers."""
    colour = KIND_COLOURS.get(box.kind, OTHER_COLOUR)
    label_x = MARGIN + FUNNEL_WIDTH + LABEL_GAP
    baseline = top + pitch / 2 + FONT * 0.35
    middle = top + (pitch - height) / 2
    layers = f" ({', '.join(box.layers)})" if len(box.layers) > 1 else ""
    tooltip = f"{box.label}: {box.kind}{layers}, output {times_shape(box.shape)}"
    name = html.escape(box.label)
    return (
        f'<g data-layer="{name}" data-shape="{html.escape(times_shape(box.shape))}">'
        f"<title>{html.escape(tooltip)}</title>"
        f'<rect x="{centre - width / 2:.1f}" y="{middle:.1f}" width="{width:.1f}" height="{height:.1f}" rx="2" '
        f'fill="{colour}" fill-opacity="0.85"/>'
        f'<text x="{label_x}" y="{baseline:.1f}" font-size="{FONT}" fill="{NAME_COLOUR}">{name}</text>'
        f'<text x="{label_x + LABEL_WIDTH}" y="{baseline:.1f}" font-size="{FONT}" font-weight="600" '
        f'fill="{TEXT_COLOUR}" text-anchor="end">{html.escape(times_shape(box.shape))}</text></g>'
    )


def connector_svg(centre: float, upper: tuple[float, float], lower: tuple[float, float]) -> str:
    """Return the pale band from one box's bottom edge to the next box's top: the funnel between them."""
    (upper_width, upper_bottom), (lower_width, lower_top) = upper, lower
    points = [
        (centre - upper_width / 2, upper_bottom),
        (centre + upper_width / 2, upper_bottom),
        (centre + lower_width / 2, lower_top),
        (centre - lower_width / 2, lower_top),
    ]
    coordinates = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polygon points="{coordinates}" fill="{CONNECTOR_COLOUR}" fill-opacity="0.6"/>'


def shapes_picture(boxes: list[ShapeBox], title: str = "") -> str:
    """Return the diagram of `boxes` top to bottom as an inline SVG that scales to its column."""
    pitch = row_pitch(len(boxes))
    largest_side = max(box.side for box in boxes)
    largest_depth = max(box.depth for box in boxes)
    centre = MARGIN + FUNNEL_WIDTH / 2
    parts, previous = [], None
    for index, box in enumerate(boxes):
        top = MARGIN + index * pitch
        width, height = box_size(box, largest_side, largest_depth, pitch)
        middle = top + (pitch - height) / 2
        if previous is not None:
            parts.append(connector_svg(centre, previous, (width, middle)))
        parts.append(box_svg(box, centre, top, width, height, pitch))
        previous = (width, middle + height)
    width = MARGIN + FUNNEL_WIDTH + LABEL_GAP + LABEL_WIDTH + MARGIN
    height = 2 * MARGIN + len(boxes) * pitch
    label = html.escape(title or "The shapes shrinking, layer by layer")
    return (
        f'<svg data-grid="shapes" viewBox="0 0 {width:.0f} {height:.0f}" role="img" aria-label="{label}" '
        f'preserveAspectRatio="xMidYMin meet" style="display:block;width:100%;max-width:{width:.0f}px;'
        f'height:auto;margin:0 auto;font-variant-numeric:tabular-nums">{"".join(parts)}</svg>'
    )
