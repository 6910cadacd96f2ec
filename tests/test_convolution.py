"""The numpy convolution and pooling: the tutorial's numbers, the size formula, and parity with Keras."""

import numpy as np
import pytest

from cnnviz.errors import CnnvizError, InvalidGrid
from cnnviz.lesson import convolution, output_sizes

X_KERNEL = [[1, 0, 1], [0, 1, 0], [1, 0, 1]]


def test_tutorial_example_gives_the_books_feature_map():
    feature_map = convolution.conv2d(convolution.counting_grid(5), X_KERNEL)
    np.testing.assert_array_equal(feature_map, [[35, 40, 45], [60, 65, 70], [85, 90, 95]])


@pytest.mark.parametrize(
    ("kernel_size", "padding", "expected"),
    [(3, "valid", 8), (5, "valid", 6), (3, 1, 10), (3, "same", 10), (5, 2, 10)],
)
def test_ten_by_ten_image_output_sizes(kernel_size, padding, expected):
    image = np.random.default_rng(0).random((10, 10))
    kernel = np.ones((kernel_size, kernel_size))
    assert output_sizes.output_size(10, kernel_size, 1, padding) == expected
    assert convolution.conv2d(image, kernel, padding=padding).shape == (expected, expected)


def test_same_padding_puts_the_odd_zero_after_as_keras_does():
    assert output_sizes.resolve_padding(5, 3, 1, "same") == (1, 1)
    assert output_sizes.resolve_padding(6, 3, 2, "same") == (0, 1)
    assert output_sizes.resolve_padding(10, 4, 1, "same") == (1, 2)
    assert output_sizes.output_size(5, 3, 2, "same") == 3


def test_output_size_formula_shows_the_numbers():
    assert output_sizes.output_size_formula(5, 3, 1, "valid") == "⌊(n − k) / s⌋ + 1 = ⌊(5 − 3) / 1⌋ + 1 = 3"
    assert output_sizes.output_size_formula(10, 3, 1, 1) == "⌊(n + 2p − k) / s⌋ + 1 = ⌊(10 + 2×1 − 3) / 1⌋ + 1 = 10"
    assert output_sizes.output_size_formula(5, 3, 2, "same").startswith("⌈n / s⌉ = ⌈5 / 2⌉ = 3")


def test_trace_step_has_window_and_sum():
    trace = convolution.trace_conv2d(convolution.counting_grid(5), X_KERNEL)
    assert trace.num_steps == 9
    first = trace.step(0)
    np.testing.assert_array_equal(first.window, [[1, 2, 3], [6, 7, 8], [11, 12, 13]])
    assert first.value == 35
    assert first.arithmetic() == "1×1 + 0×2 + 1×3 + 0×6 + 1×7 + 0×8 + 1×11 + 0×12 + 1×13 = 35"
    last = trace.step(8)
    assert (last.row, last.column, last.top, last.left, last.value) == (2, 2, 2, 2, 95)


def test_trace_with_stride_and_padding_moves_the_window_on_the_padded_input():
    trace = convolution.trace_conv2d(convolution.counting_grid(5), X_KERNEL, stride=2, padding=1)
    assert trace.padded_input.shape == (7, 7)
    assert trace.output.shape == (3, 3)
    step = trace.step(4)
    assert (step.row, step.column, step.top, step.left) == (1, 1, 2, 2)
    assert step.value == trace.output[1, 1]


def test_partial_output_fills_in_step_by_step():
    trace = convolution.trace_conv2d(convolution.counting_grid(5), X_KERNEL)
    partial = trace.partial_output(4)
    assert np.count_nonzero(~np.isnan(partial)) == 4
    assert partial[1, 0] == 60 and np.isnan(partial[1, 1])


def test_negative_weights_are_bracketed_in_the_arithmetic():
    step = convolution.trace_conv2d([[1, 2], [3, 4]], [[-1, 0], [0, 2]]).step(0)
    assert step.arithmetic() == "(−1)×1 + 0×2 + 0×3 + 2×4 = 7"


def test_pooling_arithmetic_and_values():
    grid = [[1, 3, 2, 9], [5, 6, 1, 7], [4, 2, 8, 0], [3, 1, 4, 6]]
    np.testing.assert_array_equal(convolution.pool2d(grid, 2, mode="max"), [[6, 9], [4, 8]])
    np.testing.assert_array_equal(convolution.pool2d(grid, 2, mode="average"), [[3.75, 4.75], [2.5, 4.5]])
    assert convolution.trace_pool2d(grid, 2, mode="max").step(1).arithmetic() == "max(2, 9, 1, 7) = 9"
    assert convolution.trace_pool2d(grid, 2, mode="average").step(0).arithmetic() == "(1 + 3 + 5 + 6) / 4 = 3.75"


def test_pooling_halves_a_26_by_26_feature_map():
    assert convolution.pool2d(np.ones((26, 26))).shape == (13, 13)
    assert convolution.pool2d(np.ones((27, 27))).shape == (13, 13)  # valid windows drop the odd edge


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: convolution.conv2d(np.ones((3, 3)), np.ones((5, 5))), "does not fit"),
        (lambda: convolution.conv2d(np.ones((5, 5)), np.ones((3, 3)), stride=0), "Stride"),
        (lambda: convolution.conv2d(np.ones(5), np.ones((3, 3))), "2-D"),
        (lambda: convolution.conv2d(np.ones((5, 5)), np.ones((3, 3)), padding="full"), "Padding"),
        (lambda: convolution.conv2d(np.ones((5, 5)), np.ones((3, 3)), padding=-1), "Padding"),
        (lambda: convolution.conv2d([[1, np.nan]], [[1]]), "NaN"),
        (lambda: convolution.pool2d(np.ones((4, 4)), 2, mode="median"), "mode"),
        (lambda: convolution.pool2d(np.ones((1, 1)), 2), "does not fit"),
        (lambda: convolution.trace_pool2d(np.ones((4, 4))).step(4), "does not exist"),
    ],
)
def test_bad_arguments_raise_clear_value_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_parse_grid_reads_rows_and_round_trips():
    grid = convolution.parse_grid("1 2 3\n4, 5, 6\n\n7 8 9.5\n")
    np.testing.assert_array_equal(grid, [[1, 2, 3], [4, 5, 6], [7, 8, 9.5]])
    np.testing.assert_array_equal(convolution.parse_grid(convolution.format_grid(grid)), grid)
    assert convolution.parse_grid("−1 2").tolist() == [[-1, 2]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("1 2\n3 abc", "Row 2, column 2 of the grid is 'abc'"),
        ("1 nan", "finite"),
        ("1 inf", "finite"),
        ("1 1e300", "between"),
        ("1 2\n3", "same number"),
        ("\n".join(["1 " * 11] * 11), "at most 10×10"),
    ],
)
def test_parse_grid_refuses_bad_cells_with_a_message(text, message):
    with pytest.raises(InvalidGrid, match=message):
        convolution.parse_grid(text)


def test_errors_are_value_errors():
    assert issubclass(CnnvizError, ValueError)


def test_kernel_presets():
    presets = convolution.kernel_presets(3)
    assert {"identity", "box blur", "sharpen", "Sobel x", "Sobel y", "Laplacian", "X kernel"} <= set(presets)
    assert presets["X kernel"].tolist() == X_KERNEL
    np.testing.assert_array_equal(
        convolution.conv2d(convolution.counting_grid(5), presets["identity"], padding="same"),
        convolution.counting_grid(5),
    )
    assert set(convolution.kernel_presets(5)) == {"identity", "box blur", "X kernel"}
    assert convolution.kernel_presets(5)["X kernel"][2, 2] == 1


def test_dilation_spreads_the_kernel_and_the_formula_shows_it():
    trace = convolution.trace_conv2d(convolution.counting_grid(7), X_KERNEL, dilation=2)
    assert trace.output.shape == (3, 3)
    first = trace.step(0)
    assert first.cells() == [(0, 0), (0, 2), (0, 4), (2, 0), (2, 2), (2, 4), (4, 0), (4, 2), (4, 4)]
    np.testing.assert_array_equal(first.window, [[1, 3, 5], [15, 17, 19], [29, 31, 33]])
    assert first.value == 1 + 5 + 17 + 29 + 33
    assert output_sizes.dilated_size(3, 2) == 5
    assert (
        output_sizes.output_size_formula(7, 3, 1, "valid", 2)
        == "⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊(7 + 2×0 − 2×(3 − 1) − 1) / 1⌋ + 1 = 3"
    )
    assert output_sizes.output_size_formula(7, 3, 1, 2, 2).endswith("⌊(7 + 2×2 − 2×(3 − 1) − 1) / 1⌋ + 1 = 7")
    assert output_sizes.resolve_padding(7, 3, 1, "same", 2) == (2, 2)


def test_channels_are_summed_and_the_bias_added():
    image = np.stack([convolution.counting_grid(3), np.ones((3, 3)), np.zeros((3, 3))], axis=-1)
    kernel = np.stack([np.eye(3), np.full((3, 3), 2.0), np.ones((3, 3))], axis=-1)
    step = convolution.trace_conv2d(image, kernel, bias=1.5).step(0)
    assert step.channel_sums() == [15.0, 18.0, 0.0]
    assert step.value == 15 + 18 + 0 + 1.5
    assert step.channel_arithmetic(0) == "1×1 + 0×2 + 0×3 + 0×4 + 1×5 + 0×6 + 0×7 + 0×8 + 1×9 = 15"
    assert step.arithmetic().endswith("+ 1×0 + 1.5 = 34.5")
    assert step.arithmetic().count("×") == 27


def test_a_two_dimensional_bias_step_shows_the_bias_term():
    step = convolution.trace_conv2d([[1, 2], [3, 4]], [[1, 0], [0, 1]], bias=-2).step(0)
    assert step.arithmetic() == "1×1 + 0×2 + 0×3 + 1×4 + (−2) = 3"


def test_max_pooling_step_names_its_winning_cell():
    step = convolution.trace_pool2d([[1, 3, 2, 9], [5, 6, 1, 7], [4, 2, 8, 0], [3, 1, 4, 6]], 2).step(1)
    assert step.winner() == (0, 3)


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: convolution.conv2d(np.ones((5, 5, 3)), np.ones((3, 3))), r"give the kernel the shape \(3, 3, 3\)"),
        (lambda: convolution.conv2d(np.ones((5, 5)), np.ones((3, 3, 3))), "the input has 1"),
        (lambda: convolution.conv2d(np.ones((5, 5)), np.ones((3, 3)), dilation=3), "spans 7 cells"),
        (lambda: convolution.conv2d(np.ones((5, 5)), np.ones((3, 3)), dilation=0), "Dilation"),
        (lambda: convolution.conv2d(np.ones((5, 5)), np.ones((3, 3)), bias=float("nan")), "finite"),
        (lambda: convolution.conv2d(np.ones((5, 5, 3, 2)), np.ones((3, 3))), "rows × columns × channels"),
    ],
)
def test_bad_shapes_say_what_to_change(call, message):
    with pytest.raises(CnnvizError, match=message):
        call()
