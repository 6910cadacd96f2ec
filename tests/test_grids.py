"""The SVG grids and step pictures: numbers, padding, blanks, the lit window, links, colours and escaping."""

import re

import numpy as np

from cnnviz.lesson import channels, convolution, pooling
from cnnviz.pictures import grids, steps
from tests.grid_reader import read_pictures

X_KERNEL = convolution.kernel_presets(3)["X kernel"]


def draw(grid: grids.Grid) -> dict:
    return read_pictures(grids.grid_svg(grid))[0][grid.name]


def test_grid_shows_every_number_with_its_tooltip_and_marks_the_lit_cells():
    values = np.arange(1, 17, dtype=float).reshape(4, 4)
    grid = draw(grids.Grid("input", values, 0, 0, "input", lit=[(1, 1), (1, 2), (2, 1), (2, 2)]))
    assert grid["caption"] == "input"
    assert grid["cells"][3] == ["13", "14", "15", "16"]
    assert grid["lit"] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert grid["titles"][2][1] == "row 3, column 2: 10"


def test_padding_is_grey_zeros_and_rows_count_from_the_real_input():
    padded = np.pad(np.ones((2, 2)), 1)
    text = grids.grid_svg(grids.Grid("input", padded, 0, 0, padding=((1, 1), (1, 1))))
    grid = read_pictures(text)[0]["input"]
    assert grid["cells"][0] == ["0", "0", "0", "0"]
    assert grid["titles"][0][0] == "padding (zero)" and grid["titles"][1][1] == "row 1, column 1: 1"
    assert text.count(grids.PADDING_BACKGROUND) == 12


def test_cells_not_computed_yet_are_blank():
    values = np.full((2, 2), np.nan)
    values[0, 0] = 35
    grid = draw(grids.Grid("output", values, 0, 0, lit=[(0, 0)]))
    assert grid["cells"] == [["35", ""], ["", ""]]
    assert grid["titles"][1][1] == "not computed yet"


def test_colours_run_from_light_to_dark_with_legible_text():
    text = grids.grid_svg(grids.Grid("two", np.array([[0.0, 10.0]]), 0, 0))
    assert 'fill="rgb(247, 251, 255)"' in text and 'fill="#262730"' in text  # smallest: lightest blue, dark text
    assert 'fill="rgb(8, 48, 107)"' in text and 'fill="#ffffff"' in text  # largest: darkest blue, white text
    constant = grids.grid_svg(grids.Grid("constant", np.full((2, 2), 3.0), 0, 0))
    assert constant.count("rgb(107, 174, 214)") == 4  # all equal: the middle of the scale, not a crash


def test_captions_and_names_are_escaped():
    text = grids.grid_svg(grids.Grid("<b>", np.array([[1.0]]), 0, 0, "<script>alert(1)</script>"))
    assert "<script>" not in text and "&lt;script&gt;" in text and 'data-grid="&lt;b&gt;"' in text


def test_convolution_picture_links_the_window_to_its_output_cell_and_colours_each_term():
    trace = convolution.trace_conv2d(convolution.counting_grid(5), X_KERNEL)
    text = steps.convolution_picture(trace, 4)
    found, sums = read_pictures(text)
    assert found["input"]["lit"] == [(row, column) for row in range(1, 4) for column in range(1, 4)]
    assert found["input"]["weights"][1][1:4] == ["×1", "×0", "×1"]
    assert found["output"]["lit"] == [(1, 1)] and found["output"]["cells"][1] == ["60", "65", ""]
    assert sums["convolution-0"] == "1×7 + 0×8 + 1×9 + 0×12 + 1×13 + 0×14 + 1×17 + 0×18 + 1×19 = 65"
    assert "Step 5 of 9" in sums["convolution"]
    assert text.count('data-link="link"') == 1 and "<svg" in text
    for index in range(9):  # each term's colour is its kernel cell's colour
        assert f'<span style="color:{grids.term_colour(index)};font-weight:700">' in text
    assert "\n\n" not in text, "a blank line would end Markdown's raw HTML block"


def test_dilated_window_frames_each_touched_cell():
    trace = convolution.trace_conv2d(convolution.counting_grid(7), X_KERNEL, dilation=2)
    found = read_pictures(steps.convolution_picture(trace, 0))[0]
    assert found["input"]["lit"] == [(row, column) for row in (0, 2, 4) for column in (0, 2, 4)]
    assert found["input"]["weights"][0][:3] == ["×1", "", "×0"]


def test_pooling_picture_rings_the_winner_and_fills_both_outputs():
    grid = [[1, 3, 2, 9], [5, 6, 1, 7], [4, 2, 8, 0], [3, 1, 4, 6]]
    traces = {mode: convolution.trace_pool2d(grid, 2, mode=mode) for mode in convolution.POOLING_MODES}
    text = steps.pooling_picture(traces, 1)
    found, sums = read_pictures(text)
    assert found["input"]["winner"] == [(0, 3)]
    assert found["pooled-max"]["cells"][0] == ["6", "9"] and found["pooled-average"]["cells"][0] == ["3.75", "4.75"]
    assert sums["pooling-0"] == "max: max(2, 9, 1, 7) = 9"
    assert found["pooled-sum"]["cells"][0] == ["15", "19"] and sums["pooling-2"] == "sum: 2 + 9 + 1 + 7 = 19"
    assert text.count("data-link=") == 3, "a beam to each pooled map"


def test_the_shift_picture_fills_the_cells_that_changed():
    shift = pooling.compare_grid_shift(np.array([[1, 3, 2, 9], [5, 6, 1, 7], [4, 2, 8, 0], [3, 1, 4, 6]]), 2, 2)
    found, _ = read_pictures(steps.shift_picture(shift))
    assert found["shift-input-moved"]["cells"][0] == ["0", "1", "3", "2"]
    assert found["shift-pooled"]["cells"] == [["6", "9"], ["4", "8"]]
    assert found["shift-pooled-moved"]["cells"] == [["5", "6"], ["4", "8"]]
    text = steps.shift_picture(shift)
    assert text.count(f'fill="{grids.LIT_COLOUR}"') >= 16 + 2  # every moved feature cell, 2 pooled cells


def test_the_convolution_picture_dashes_the_cells_no_window_is_centred_on():
    valid = steps.convolution_picture(convolution.trace_conv2d(convolution.counting_grid(5), X_KERNEL), 0)
    same = steps.convolution_picture(
        convolution.trace_conv2d(convolution.counting_grid(5), X_KERNEL, padding="same"), 0
    )
    assert valid.count('data-never-centred="1"') == 16 and same.count('data-never-centred="1"') == 0
    found, _ = read_pictures(valid)
    assert found["input"]["cells"][0][0] == "1", "the corner is dashed, still a real input cell"


def test_channels_picture_shows_each_channel_and_the_sum_with_the_bias():
    trace = convolution.trace_conv2d(channels.toy_rgb_image(), channels.toy_rgb_kernel(), bias=1)
    found, sums = read_pictures(steps.channels_picture(trace, 0))
    assert [name for name in found if name.startswith("input-")] == ["input-R", "input-G", "input-B"]
    assert found["kernel-G"]["cells"][0] == ["−1", "0", "1"]
    assert sums["channels-3"] == "R + G + B + bias: 10 + 0 + 3 + bias 1 = 14"
    assert found["channels-output"]["cells"][0][0] == "14"


def test_depth_picture_has_one_map_per_filter():
    kernels, biases = channels.filter_bank(3)
    outputs = channels.filter_outputs(channels.toy_rgb_image(), kernels, biases)
    assert outputs.shape == (2, 2, 3)
    found = read_pictures(steps.depth_picture(outputs))[0]
    assert list(found) == ["depth-1", "depth-2", "depth-3"]
    assert found["depth-1"]["cells"][0][0] == "14"
    assert channels.parameter_formula(3, 3, 32) == "3×3×3×32 + 32 = 896"


def test_a_one_cell_pooled_map_keeps_its_whole_caption_inside_the_picture():
    grid = [[1, 3, 2, 9], [5, 6, 1, 7], [4, 2, 8, 0], [3, 1, 4, 6]]
    traces = {mode: convolution.trace_pool2d(grid, 3, stride=3, mode=mode) for mode in convolution.POOLING_MODES}
    text = steps.pooling_picture(traces, 0)
    width = float(re.search(r"viewBox=\"0 0 ([\d.]+) ", text).group(1))
    caption = re.search(r'<text x="([\d.]+)"[^>]*>average pooled</text>', text)
    half = len("average pooled") * grids.CAPTION_FONT * 0.6 / 2  # a semibold sans letter is ≥ 0.6 em wide
    assert float(caption.group(1)) + half <= width
