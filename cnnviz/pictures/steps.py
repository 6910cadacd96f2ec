"""One step of a convolution or pooling as a single picture: the grids, the beam, the coloured sum.

Each function returns HTML (an arithmetic block and an inline SVG) for `st.markdown(...,
unsafe_allow_html=True)`; everything a person typed is a number by then, and all text is escaped.
"""

from __future__ import annotations

import html

import numpy as np

from cnnviz.lesson.convolution import Step, Trace, format_factor, format_number, with_channels
from cnnviz.lesson.output_sizes import Padding, output_size_formula
from cnnviz.lesson.pooling import ShiftComparison
from cnnviz.pictures import grids
from cnnviz.pictures.grids import CAPTION, Grid

MARGIN = 8
GAP = 72  # between grids: room for the beam from the window to its output cell
ARITHMETIC_STYLE = "font-size:clamp(16px, 2.4vh, 24px);line-height:1.4;margin:0 0 4px 0"
CHANNEL_NAMES = ("R", "G", "B")


def caption_right(grid: Grid) -> float:
    """Return where a grid's centred caption ends: past the grid itself when the grid is narrower (a 1×1 output)."""
    half_width = len(grid.caption) * grids.CAPTION_FONT * grids.BOLD_CHARACTER_WIDTH / 2
    return grid.x + grid.width / 2 + half_width


def picture_size(grid_list: list[Grid]) -> tuple[float, float]:
    """Return the width and height that hold every grid and its caption, with a margin."""
    right = max(max(grid.x + grid.width, caption_right(grid)) for grid in grid_list) + MARGIN
    bottom = max(grid.y + grid.height for grid in grid_list) + MARGIN
    return right, bottom


def arithmetic_block(name: str, heading: str, lines: list[str]) -> str:
    """Return the step's heading and its coloured sums (already HTML) as one block of large text."""
    body = "".join(
        f'<div data-arithmetic="{html.escape(name)}-{index}">{line}</div>' for index, line in enumerate(lines)
    )
    return (
        f'<div data-arithmetic="{html.escape(name)}" style="{ARITHMETIC_STYLE}">'
        f'<div style="font-size:0.8em;color:#555">{heading}</div>{body}</div>'
    )


def step_html(arithmetic: str, picture: str) -> str:
    """Return the arithmetic above its picture, one block (no blank line, so Markdown keeps it raw HTML)."""
    return f'<div class="cnnviz-step">{arithmetic}{picture}</div>'


def convolution_terms(step: Step) -> str:
    """Return `w×v + w×v + … = result` with each term in its kernel position's colour."""
    terms: list[tuple[str, str]] = []
    for index, (weight, value) in enumerate(zip(step.weights.ravel(), step.window.ravel())):
        if index:
            terms.append((" + ", ""))
        terms.append((f"{format_factor(weight)}×{format_factor(value)}", grids.term_colour(index)))
    if step.bias:
        terms.append((f" + {format_factor(step.bias)}", ""))
    terms.append((" = ", ""))
    terms.append((format_number(step.value), grids.LIT_COLOUR))
    return grids.coloured_terms(terms)


def step_heading(trace: Trace, step: Step) -> str:
    """Return `Step 3 of 9 · output row 1, column 3` as HTML."""
    return f"<b>Step {step.index + 1} of {trace.num_steps}</b> · output row {step.row + 1}, column {step.column + 1}"


def convolution_picture(trace: Trace, index: int, max_height: str = "none") -> str:
    """Return one step of a 2-D convolution: kernel, input with the lit window, the feature map so far, the sum."""
    step = trace.step(index)
    top = MARGIN + CAPTION
    weights = np.asarray(trace.weights, dtype=float)
    colours = {cell: grids.term_colour(i) for i, cell in enumerate(np.ndindex(weights.shape))}
    bias = f", bias {format_number(trace.bias)}" if trace.bias else ""
    kernel = Grid("kernel", weights, MARGIN, top, f"kernel{bias}", colorscale="Oranges", fills=colours)
    padded = trace.padding != ((0, 0), (0, 0))
    window_weights = {
        cell: (f"×{format_number(weight)}", grids.term_colour(i))
        for i, (cell, weight) in enumerate(zip(step.cells(), weights.ravel()))
    }
    source = Grid(
        "input",
        trace.padded_input,
        kernel.x + max(kernel.width, 120) + GAP,
        top,
        "input, zero padding in grey" if padded else "input",
        padding=trace.padding,
        lit=step.cells(),
        weights=window_weights,
        marked=trace.never_centred(),
    )
    output = Grid(
        "output",
        trace.partial_output(index + 1),
        source.x + source.width + GAP,
        top,
        "feature map",
        colorscale="Greens",
        lit=[(step.row, step.column)],
    )
    width, height = picture_size([kernel, source, output])
    link = grids.link_svg(source.box(step.cells()), output.box([(step.row, step.column)]))
    body = grids.grid_svg(kernel) + grids.grid_svg(source) + grids.grid_svg(output) + link
    arithmetic = arithmetic_block("convolution", step_heading(trace, step), [convolution_terms(step)])
    return step_html(arithmetic, grids.svg_document(width, height, body, "convolution", max_height))


def pooling_terms(step: Step) -> str:
    """Return `max(1, 3, 5, 6) = 6` (the winner in green), `(1 + 3 + 5 + 6) / 4 = 3.75` or `1 + 3 + 5 + 6 = 15`."""
    values = [format_number(v) for v in step.window.ravel()]
    if step.mode == "max":
        winner = int(np.argmax(step.window.ravel()))
        terms = [("max(", "")]
        for index, value in enumerate(values):
            terms += [(", ", "")] if index else []
            terms.append((value, grids.WINNER_COLOUR if index == winner else ""))
        terms += [(") = ", ""), (format_number(step.value), grids.WINNER_COLOUR)]
    elif step.mode == "sum":
        terms = [(f"{' + '.join(values)} = ", ""), (format_number(step.value), grids.LIT_COLOUR)]
    else:
        terms = [(f"({' + '.join(values)}) / {len(values)} = ", ""), (format_number(step.value), grids.LIT_COLOUR)]
    return grids.coloured_terms(terms)


def pooling_picture(traces: dict[str, Trace], index: int, max_height: str = "none") -> str:
    """Return one step of each pooling in `traces` (max, average, sum): the input with its window (the max's winner
    ringed when max is one of them) and the outputs in a row to its right.

    A row, not a column: three outputs stacked made the picture twice as tall as the input, and at 150% zoom its
    numbers shrank to 11 px; side by side they stay 20 px. The beams to the farther outputs pass under the nearer.
    """
    steps = {mode: trace.step(index) for mode, trace in traces.items()}
    first, trace = next(iter(steps.values())), next(iter(traces.values()))
    top = MARGIN + CAPTION
    winner = first.winner() if "max" in traces else None
    source = Grid("input", trace.padded_input, MARGIN, top, "feature map", lit=first.cells(), winner=winner)
    outputs, x = [], source.x + source.width + GAP
    for mode, trace in traces.items():
        values, caption = trace.partial_output(index + 1), f"{mode} pooled"
        slot = max(values.shape[1] * grids.CELL, caption_width(caption))
        grid_x = x + (slot - values.shape[1] * grids.CELL) / 2  # centred under its caption
        outputs.append(
            Grid(f"pooled-{mode}", values, grid_x, top, caption, colorscale="Greens", lit=[(first.row, first.column)])
        )
        x += slot + GAP / 2
    width, height = picture_size([source, *outputs])
    beams = [
        grids.link_svg(source.box(first.cells()), grid.box([(first.row, first.column)]), grid.name) for grid in outputs
    ]
    body = "".join(beams[1:]) + grids.grid_svg(source) + "".join(grids.grid_svg(grid) for grid in outputs) + beams[0]
    heading = f"<b>Step {index + 1} of {trace.num_steps}</b> · output row {first.row + 1}, column {first.column + 1}"
    lines = [f"<b>{mode}</b>: {pooling_terms(step)}" for mode, step in steps.items()]
    arithmetic = arithmetic_block("pooling", heading, lines)
    return step_html(arithmetic, grids.svg_document(width, height, body, "pooling", max_height))


def channel_terms(step: Step, channel: int, name: str) -> str:
    """Return one channel's products in its colour: `R: 1×1 + 0×2 + … = 12`."""
    colour = grids.CHANNEL_COLOURS[channel % len(grids.CHANNEL_COLOURS)]
    return grids.coloured_terms([(f"{name}: ", colour), (step.channel_arithmetic(channel), "")])


def total_terms(step: Step, names: list[str]) -> str:
    """Return `12 + 5 + (−3) + bias 1 = 15`, each channel's sum in its colour."""
    terms: list[tuple[str, str]] = []
    for channel, total in enumerate(step.channel_sums()):
        terms += [(" + ", "")] if channel else []
        terms.append((format_factor(total), grids.CHANNEL_COLOURS[channel % len(grids.CHANNEL_COLOURS)]))
    terms += [(f" + bias {format_factor(step.bias)} = ", ""), (format_number(step.value), grids.LIT_COLOUR)]
    return f"{' + '.join(names)} + bias: " + grids.coloured_terms(terms)


def channels_picture(trace: Trace, index: int, max_height: str = "none", cell: float = 44) -> str:
    """Return one step of a multi-channel convolution: per channel the kernel slice and the input, all into one cell."""
    step = trace.step(index)
    image, weights = with_channels(trace.padded_input), with_channels(np.asarray(trace.weights, dtype=float))
    names = [CHANNEL_NAMES[c] if image.shape[2] == 3 else f"channel {c + 1}" for c in range(image.shape[2])]
    slices, inputs, y = [], [], MARGIN + CAPTION
    for channel, name in enumerate(names):
        colour = grids.CHANNEL_COLOURS[channel % len(grids.CHANNEL_COLOURS)]
        fills = {position: colour for position in np.ndindex(weights.shape[:2])}
        slices.append(Grid(f"kernel-{name}", weights[:, :, channel], MARGIN, y, f"kernel {name}", cell, fills=fills))
        inputs.append(
            Grid(
                f"input-{name}",
                image[:, :, channel],
                MARGIN + weights.shape[1] * cell + GAP,
                y,
                f"input {name}",
                cell,
                colorscale={"R": "Reds", "G": "Greens", "B": "Blues"}.get(name, "Greys"),
                padding=trace.padding,
                lit=step.cells(),
                weights={
                    c: (f"×{format_number(w)}", colour) for c, w in zip(step.cells(), weights[:, :, channel].ravel())
                },
            )
        )
        y += max(inputs[-1].height, slices[-1].height) + CAPTION + MARGIN
    output = Grid(
        "channels-output",
        trace.partial_output(index + 1),
        inputs[0].x + inputs[0].width + GAP,
        MARGIN + CAPTION + (y - MARGIN - CAPTION) / 2 - trace.output.shape[0] * cell / 2,
        "output",
        cell,
        colorscale="Greys",
        lit=[(step.row, step.column)],
    )
    width, height = picture_size([*slices, *inputs, output])
    links = "".join(
        grids.link_svg(grid.box(step.cells()), output.box([(step.row, step.column)]), grid.name) for grid in inputs
    )
    body = "".join(grids.grid_svg(grid) for grid in [*slices, *inputs, output]) + links
    lines = [channel_terms(step, channel, name) for channel, name in enumerate(names)] + [total_terms(step, names)]
    arithmetic = arithmetic_block("channels", step_heading(trace, step), lines)
    return step_html(arithmetic, grids.svg_document(width, height, body, "channels", max_height))


def depth_picture(outputs: np.ndarray, cell: float = 40, max_height: str = "none") -> str:
    """Return the feature maps of several filters side by side: the depth of a Conv2D layer's output."""
    outputs = np.asarray(outputs, dtype=float)
    maps, x = [], MARGIN
    for index in range(outputs.shape[2]):
        maps.append(
            Grid(
                f"depth-{index + 1}",
                outputs[:, :, index],
                x,
                MARGIN + CAPTION,
                f"filter {index + 1}",
                cell,
                colorscale="Greys",
                tooltip_prefix=f"filter {index + 1}, ",
            )
        )
        x += max(maps[-1].width, 80) + 16
    width, height = picture_size(maps)
    body = "".join(grids.grid_svg(grid) for grid in maps)
    return grids.svg_document(width, height, body, "depth", max_height)


def size_formula(
    input_shape: tuple[int, ...],
    kernel_shape: tuple[int, ...],
    output_shape: tuple[int, ...],
    stride: int,
    padding: Padding = "valid",
    dilation: int = 1,
) -> str:
    """Return the output size and its formula with the numbers as HTML, once when rows and columns agree."""
    rows = output_size_formula(input_shape[0], kernel_shape[0], stride, padding, dilation)
    columns = output_size_formula(input_shape[1], kernel_shape[1], stride, padding, dilation)
    where = f"rows and columns: {rows}" if rows == columns else f"rows: {rows}<br>columns: {columns}"
    return (
        f'<div data-formula="output-size" style="font-size:clamp(16px, 2.2vh, 22px)">'
        f"<b>Output size: {output_shape[0]}×{output_shape[1]}</b><br>{where}</div>"
    )


def caption_width(text: str) -> float:
    """Return about how wide a grid's caption is drawn, in design units."""
    return len(text) * grids.CAPTION_FONT * grids.BOLD_CHARACTER_WIDTH


def shift_picture(shift: ShiftComparison, cell: float = 48, max_height: str = "none") -> str:
    """Return a feature map and the same map one column right, each beside its max-pooled map; changed cells filled."""
    maps = [
        ("shift-input", shift.feature_map, "feature map", None, "Blues"),
        ("shift-input-moved", shift.shifted_feature_map, "1 column right", shift.feature_changed, "Blues"),
        ("shift-pooled", shift.pooled, "max pooled", None, "Greens"),
        ("shift-pooled-moved", shift.shifted_pooled, "max pooled, moved", shift.pooled_changed, "Greens"),
    ]
    placed, x = [], MARGIN
    for name, values, caption, changed, colours in maps:
        fills = {} if changed is None else {tuple(place): grids.LIT_COLOUR for place in np.argwhere(changed)}
        width = max(values.shape[1] * cell, caption_width(caption))
        grid_x = x + (width - values.shape[1] * cell) / 2  # centred under its caption
        placed.append(Grid(name, values, grid_x, MARGIN + CAPTION, caption, cell, colorscale=colours, fills=fills))
        x += width + GAP / 2
    width, height = picture_size(placed)
    body = "".join(grids.grid_svg(grid) for grid in placed)
    return grids.svg_document(width, height, body, "shift", max_height)
