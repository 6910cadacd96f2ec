"""How one number of a trained network's feature map was made, with the weights it learned.

The same multiply-and-add as the 5×5 toy on the Convolution page, on the layer's real input: per
input channel the window and the kernel slice and their sum, then the bias and the activation. A
separable convolution does it in two stages (each channel with its own depthwise kernel, then a
pointwise weighted sum of those), a pooling cell is the largest (or the mean) of its window. Each
value here is checked against Keras's own layer output (tests/test_arithmetic.py).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from cnnviz.errors import CnnvizError
from cnnviz.learning import explain
from cnnviz.learning.network_records import CellArithmetic, CellKind, ChannelTerm
from cnnviz.lesson.output_sizes import dilated_size


def layer_input(model: keras.Model, batch: np.ndarray, layer_name: str) -> np.ndarray:
    """Return what the named layer receives for the first image of the batch: the output of every layer before it."""
    head, _ = explain.split_at(model, layer_name)
    return ops.convert_to_numpy(explain.run_chain(head[:-1], ops.convert_to_tensor(batch)))[0]


def padding_before(size: int, kernel: int, stride: int, dilation: int, padding: str) -> int:
    """Return the zeros Keras puts before the first row (or column): half of what 'same' needs, rounded down."""
    if padding != "same":
        return 0
    span = dilated_size(kernel, dilation)
    output = -(-size // stride)
    return max((output - 1) * stride + span - size, 0) // 2


def window_at(inputs: np.ndarray, layer: keras.layers.Layer, row: int, column: int) -> tuple[np.ndarray, bool]:
    """Return the (kh, kw, C) input cells a convolution's kernel covers for one output cell, and if any is padding."""
    kernel_height, kernel_width = layer.kernel_size
    stride_rows, stride_columns = layer.strides
    dilation_rows, dilation_columns = layer.dilation_rate
    top = row * stride_rows - padding_before(inputs.shape[0], kernel_height, stride_rows, dilation_rows, layer.padding)
    left = column * stride_columns - padding_before(
        inputs.shape[1], kernel_width, stride_columns, dilation_columns, layer.padding
    )
    rows = top + dilation_rows * np.arange(kernel_height)
    columns = left + dilation_columns * np.arange(kernel_width)
    inside_rows = (rows >= 0) & (rows < inputs.shape[0])
    inside_columns = (columns >= 0) & (columns < inputs.shape[1])
    window = np.zeros((kernel_height, kernel_width, inputs.shape[2]), dtype=np.float64)
    window[np.ix_(inside_rows, inside_columns)] = inputs[np.ix_(rows[inside_rows], columns[inside_columns])]
    return window, not (inside_rows.all() and inside_columns.all())


def activation_name(layer: keras.layers.Layer) -> str:
    """Return the name of a layer's activation ('linear' when it has none)."""
    activation = getattr(layer, "activation", None)
    return getattr(activation, "__name__", "linear") if activation is not None else "linear"


def activate(layer: keras.layers.Layer, value: float) -> float:
    """Return the layer's own activation function applied to one number."""
    activation = getattr(layer, "activation", None)
    if activation is None:
        return value
    return float(ops.convert_to_numpy(activation(ops.convert_to_tensor(np.array([value], dtype=np.float32))))[0])


def bias_of(layer: keras.layers.Layer, channel: int) -> float:
    """Return the layer's learned bias for one filter (0 when it has none)."""
    bias = getattr(layer, "bias", None)
    return 0.0 if bias is None else float(ops.convert_to_numpy(bias)[channel])


def convolution_cell(
    layer: keras.layers.Layer, inputs: np.ndarray, row: int, column: int, channel: int
) -> CellArithmetic:
    """Return a Conv2D cell: per input channel window × kernel slice, summed, plus the bias, through the activation."""
    window, padded = window_at(inputs, layer, row, column)
    kernel = ops.convert_to_numpy(layer.kernel)[..., channel].astype(np.float64)  # (kh, kw, C)
    terms = tuple(
        ChannelTerm(
            index, window[..., index], kernel[..., index], float((window[..., index] * kernel[..., index]).sum())
        )
        for index in range(window.shape[2])
    )
    bias = bias_of(layer, channel)
    pre_activation = sum(term.total for term in terms) + bias
    return CellArithmetic(
        layer.name, CellKind.CONVOLUTION, row, column, channel, terms, None, bias, pre_activation,
        activation_name(layer), activate(layer, pre_activation), padded=padded,
    )  # fmt: skip


def separable_cell(
    layer: keras.layers.Layer, inputs: np.ndarray, row: int, column: int, channel: int
) -> CellArithmetic:
    """Return a SeparableConv2D cell: each channel with its own depthwise kernel, then the pointwise weighted sum."""
    window, padded = window_at(inputs, layer, row, column)
    depthwise = ops.convert_to_numpy(layer.depthwise_kernel).astype(np.float64)  # (kh, kw, C, multiplier)
    if depthwise.shape[3] != 1:
        raise CnnvizError(f"{layer.name} has a depth multiplier of {depthwise.shape[3]}; cnnviz explains only 1.")
    pointwise = ops.convert_to_numpy(layer.pointwise_kernel)[0, 0, :, channel].astype(np.float64)  # (C,)
    terms = tuple(
        ChannelTerm(
            index, window[..., index], depthwise[..., index, 0],
            float((window[..., index] * depthwise[..., index, 0]).sum()),
        )
        for index in range(window.shape[2])
    )  # fmt: skip
    bias = bias_of(layer, channel)
    pre_activation = float(np.dot([term.total for term in terms], pointwise)) + bias
    return CellArithmetic(
        layer.name, CellKind.SEPARABLE, row, column, channel, terms, pointwise, bias, pre_activation,
        activation_name(layer), activate(layer, pre_activation), padded=padded,
    )  # fmt: skip


def pooling_cell(layer: keras.layers.Layer, inputs: np.ndarray, row: int, column: int, channel: int) -> CellArithmetic:
    """Return a pooling cell: the window of one channel and its largest value (or its mean)."""
    pool_height, pool_width = layer.pool_size
    stride_rows, stride_columns = layer.strides
    if layer.padding != "valid" or pool_height != pool_width:
        raise CnnvizError(f"{layer.name} pools {pool_height}×{pool_width} with {layer.padding!r} padding; "
                          "cnnviz explains square valid pooling only.")  # fmt: skip
    top, left = row * stride_rows, column * stride_columns
    window = inputs[top : top + pool_height, left : left + pool_width, channel].astype(np.float64)
    is_max = "Max" in type(layer).__name__
    value = float(window.max() if is_max else window.mean())
    winner = tuple(int(index) for index in np.unravel_index(np.argmax(window), window.shape)) if is_max else None
    return CellArithmetic(
        layer.name, CellKind.POOLING, row, column, channel, (), None, 0.0, value,
        "max" if is_max else "average", value, pool_window=window, winner=winner,
    )  # fmt: skip


def elementwise_cell(
    layer: keras.layers.Layer, inputs: np.ndarray, row: int, column: int, channel: int
) -> CellArithmetic:
    """Return the cell of a layer that maps each number on its own (an Activation, ReLU, BatchNormalization)."""
    number = float(inputs[row, column, channel])
    output = layer(ops.convert_to_tensor(inputs[None].astype(np.float32)), training=False)
    value = float(ops.convert_to_numpy(output)[0, row, column, channel])
    name = type(layer).__name__ if type(layer).__name__ != "Activation" else activation_name(layer)
    return CellArithmetic(layer.name, CellKind.ELEMENTWISE, row, column, channel, (), None, 0.0, number, name, value)


CELL_ARITHMETIC = {
    "Conv2D": convolution_cell,
    "SeparableConv2D": separable_cell,
    "MaxPooling2D": pooling_cell,
    "AveragePooling2D": pooling_cell,
    "Activation": elementwise_cell,
    "ReLU": elementwise_cell,
    "BatchNormalization": elementwise_cell,
}


def explains(layer: keras.layers.Layer) -> bool:
    """Return whether cnnviz can show the arithmetic of this layer's cells (a grouped convolution it cannot)."""
    return type(layer).__name__ in CELL_ARITHMETIC and getattr(layer, "groups", 1) == 1


def cell_arithmetic(
    model: keras.Model,
    batch: np.ndarray,
    layer_name: str,
    row: int,
    column: int,
    channel: int,
    inputs: np.ndarray | None = None,
) -> CellArithmetic:
    """Return how the layer's output at (row, column, channel) was made for the first image of the batch.

    `inputs`, what the layer received for that image when a forward pass already has it, saves running the
    layers before it again.
    """
    layer = explain.split_at(model, layer_name)[0][-1]
    if getattr(layer, "groups", 1) != 1:
        raise CnnvizError(f"{layer_name} is a grouped convolution ({layer.groups} groups); cnnviz explains plain ones.")
    if not explains(layer):
        raise CnnvizError(
            f"{layer_name} is a {type(layer).__name__}; cnnviz shows the arithmetic of convolutions and poolings."
        )
    inputs = (layer_input(model, batch, layer_name) if inputs is None else inputs).astype(np.float64)
    output_shape = layer.compute_output_shape((1, *inputs.shape))[1:]
    if not (0 <= row < output_shape[0] and 0 <= column < output_shape[1] and 0 <= channel < output_shape[2]):
        shape = "×".join(map(str, output_shape))
        raise CnnvizError(f"{layer_name}'s output is {shape}; row {row}, column {column}, map {channel} is outside it.")
    return CELL_ARITHMETIC[type(layer).__name__](layer, inputs, row, column, channel)
