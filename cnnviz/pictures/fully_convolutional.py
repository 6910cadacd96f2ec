"""A small picture of the contrast: a CNN ends in Flatten and Dense (one class for the image), a fully
convolutional network ends in convolutions and upsampling (a class for every pixel: segmentation).

An inline SVG, `<svg data-grid="fully-convolutional">` with one `<g data-row="cnn|fcn">` per network and one
`<g data-stage="NAME">` per stage; pages show it with `st.markdown(..., unsafe_allow_html=True)`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from cnnviz.pictures.grids import TEXT_COLOUR

FONT = 24  # design units: about 20 px at the width the Layers page gives the picture
ROW_HEIGHT = 150
LABEL_HEIGHT = 34
GAP = 56  # between two stages, where the arrow goes: room for the captions under them
IMAGE_COLOUR, CONV_COLOUR, DENSE_COLOUR, UPSAMPLE_COLOUR = "#9e9eae", "#1f77b4", "#2ca02c", "#9467bd"
CLASS_COLOURS = ("#dfe7f2", "#ff7f0e")  # background, object
IMAGE_COLOURS = ("#c8c8d2", "#6b6b76")  # the photo: a dark airplane on a pale sky
# An 8×8 class map: a plane-like shape on background, what a segmentation network outputs for each pixel.
CLASS_MAP = (
    "00000000",
    "00011000",
    "00011000",
    "11111111",
    "01111110",
    "00011000",
    "00111100",
    "00000000",
)


@dataclass(frozen=True)
class Stage:
    """One step of a network in the picture: a box (or a grid of classes) of a width and height."""

    name: str
    width: float
    height: float
    colour: str
    caption: str = ""  # under the box
    pixels: tuple[str, str] | None = None  # draw the 8×8 airplane in these two colours instead of a box


CNN_STAGES = (
    Stage("image", 96, 96, IMAGE_COLOUR, "image", pixels=IMAGE_COLOURS),
    Stage("convolutions", 64, 64, CONV_COLOUR, "conv, pool"),
    Stage("smaller", 34, 34, CONV_COLOUR),
    Stage("flatten", 10, 110, DENSE_COLOUR, "Flatten"),
    Stage("dense", 10, 44, DENSE_COLOUR, "Dense"),
)
FCN_STAGES = (
    Stage("image", 96, 96, IMAGE_COLOUR, "image", pixels=IMAGE_COLOURS),
    Stage("convolutions", 64, 64, CONV_COLOUR, "conv, pool"),
    Stage("smaller", 34, 34, CONV_COLOUR, "1×1 conv"),
    Stage("upsampling", 64, 64, UPSAMPLE_COLOUR, "upsample"),
    Stage("classes", 96, 96, CLASS_COLOURS[1], "class per pixel", pixels=CLASS_COLOURS),
)


def pixels_svg(left: float, top: float, side: float, colours: tuple[str, str]) -> str:
    """Return the 8×8 airplane, one square a pixel: the photo's pixels, or each pixel's class."""
    cell = side / len(CLASS_MAP)
    return "".join(
        f'<rect x="{left + column * cell:.1f}" y="{top + row * cell:.1f}" width="{cell:.1f}" height="{cell:.1f}" '
        f'fill="{colours[int(value)]}" stroke="#ffffff" stroke-width="1"/>'
        for row, line in enumerate(CLASS_MAP)
        for column, value in enumerate(line)
    )


def stage_svg(stage: Stage, left: float, middle: float) -> str:
    """Return one stage's box (or class map) centred on the row's middle, with its caption below."""
    top = middle - stage.height / 2
    shape = (
        pixels_svg(left, top, stage.width, stage.pixels)
        if stage.pixels
        else f'<rect x="{left:.1f}" y="{top:.1f}" width="{stage.width:.1f}" height="{stage.height:.1f}" rx="3" '
        f'fill="{stage.colour}" fill-opacity="0.85"/>'
    )
    caption = (
        f'<text x="{left + stage.width / 2:.1f}" y="{middle + 58 + FONT * 0.6:.1f}" font-size="{FONT * 0.8:.0f}" '
        f'fill="{TEXT_COLOUR}" text-anchor="middle">{html.escape(stage.caption)}</text>'
        if stage.caption
        else ""
    )
    return f'<g data-stage="{stage.name}">{shape}{caption}</g>'


def arrow_svg(start: float, end: float, middle: float) -> str:
    """Return a short arrow from one stage to the next."""
    return (
        f'<line x1="{start + 4:.1f}" y1="{middle:.1f}" x2="{end - 6:.1f}" y2="{middle:.1f}" stroke="{TEXT_COLOUR}" '
        f'stroke-width="2"/><polygon points="{end - 2:.1f},{middle:.1f} {end - 9:.1f},{middle - 5:.1f} '
        f'{end - 9:.1f},{middle + 5:.1f}" fill="{TEXT_COLOUR}"/>'
    )


def row_svg(row: str, title: str, stages: tuple[Stage, ...], result: str, top: float) -> tuple[str, float]:
    """Return one network's row (its title, its stages left to right, what it outputs) and the row's width."""
    middle = top + LABEL_HEIGHT + ROW_HEIGHT / 2 - 14
    parts = [f'<text x="0" y="{top + FONT:.1f}" font-size="{FONT}" font-weight="600" fill="{TEXT_COLOUR}">'
             f"{html.escape(title)}</text>"]  # fmt: skip
    left = 0.0
    for index, stage in enumerate(stages):
        if index:
            parts.append(arrow_svg(left - GAP, left, middle))
        parts.append(stage_svg(stage, left, middle))
        left += stage.width + GAP
    if result:
        parts.append(arrow_svg(left - GAP, left, middle))
        parts.append(
            f'<text x="{left + 4:.1f}" y="{middle + FONT * 0.35:.1f}" font-size="{FONT}" font-weight="600" '
            f'fill="{TEXT_COLOUR}">{html.escape(result)}</text>'
        )
        left += 140
    return f'<g data-row="{row}">{"".join(parts)}</g>', left


def classification_and_segmentation_picture() -> str:
    """Return the two networks one above the other: a CNN that classifies, a fully convolutional one that segments."""
    cnn, cnn_width = row_svg("cnn", "CNN: one class for the whole image", CNN_STAGES, '"airplane"', 0)
    fcn, fcn_width = row_svg(
        "fcn", "Fully convolutional: a class for every pixel", FCN_STAGES, "", LABEL_HEIGHT + ROW_HEIGHT
    )
    width, height = max(cnn_width, fcn_width, 560), 2 * (LABEL_HEIGHT + ROW_HEIGHT)
    label = "A CNN gives one class for the image; a fully convolutional network gives a class for every pixel"
    return (
        f'<svg data-grid="fully-convolutional" viewBox="-4 0 {width + 8:.0f} {height:.0f}" role="img" '
        f'aria-label="{label}" preserveAspectRatio="xMidYMin meet" style="display:block;width:100%;'
        f'max-width:{width + 8:.0f}px;height:auto">{cnn}{fcn}</svg>'
    )
