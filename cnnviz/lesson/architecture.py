"""Where a network's parameters come from: one row per layer with the formula written out."""

from __future__ import annotations

import math

import keras

NO_PARAMETERS = "no parameters to learn"


def count(number: int) -> str:
    """Return a count with thousands separators, the way Keras's summary prints it."""
    return f"{number:,}"


def parameter_formula(layer: keras.layers.Layer) -> str:
    """Return the layer's parameter count as a formula with its own numbers, e.g. `3×3×3×32 + 32 = 896`."""
    total = layer.count_params() if layer.built else 0
    kind = type(layer).__name__
    if kind == "SeparableConv2D":
        height, width = layer.kernel_size
        channels, filters = layer.depthwise_kernel.shape[2], layer.filters
        bias = f" + {filters}" if layer.use_bias else ""
        return f"{height}×{width}×{channels} + {channels}×{filters}{bias} = {count(total)}"
    if kind == "Conv2D":
        height, width, channels, filters = layer.kernel.shape
        bias = f" + {filters}" if layer.use_bias else ""
        return f"{height}×{width}×{channels}×{filters}{bias} = {count(total)}"
    if kind == "Dense":
        inputs, units = layer.kernel.shape
        bias = f" + {count(units)}" if layer.use_bias else ""
        return f"{count(inputs)}×{count(units)}{bias} = {count(total)}"
    if kind == "BatchNormalization":
        channels = layer.gamma.shape[0]
        return f"4×{channels} = {count(total)}, of which {count(2 * channels)} not trainable (moving mean and variance)"
    if total == 0:
        return NO_PARAMETERS
    return count(total)


def trainable_count(layer: keras.layers.Layer) -> int:
    """Return how many of the layer's parameters training updates."""
    return sum(math.prod(weight.shape) for weight in layer.trainable_weights)


def layer_rows(model: keras.Model, prefix: str = "") -> list[dict]:
    """Return one row per layer (nested models such as VGG16 opened up) with shape, formula and count."""
    rows = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            rows += layer_rows(layer, prefix=f"{prefix}{layer.name}/")
            continue
        parameters = layer.count_params() if layer.built else 0
        trainable = trainable_count(layer)
        rows.append(
            {
                "layer": prefix + layer.name,
                "type": type(layer).__name__,
                "output shape": str(tuple(layer.output.shape)).replace("None", "batch"),
                "parameters": parameter_formula(layer),
                "count": parameters,
                "trainable": "yes" if trainable == parameters and parameters else ("partly" if trainable else "no"),
            }
        )
    return rows


def totals(model: keras.Model) -> dict[str, int]:
    """Return Keras's own totals: all, trainable and non-trainable parameters."""
    trainable = sum(math.prod(weight.shape) for weight in model.trainable_weights)
    return {"total": model.count_params(), "trainable": trainable, "non-trainable": model.count_params() - trainable}


def compare_standard_and_separable(kernel_size: int, in_channels: int, filters: int) -> dict[str, dict]:
    """Return the parameter formulas of a standard and a depthwise-separable convolution side by side."""
    standard = kernel_size * kernel_size * in_channels * filters + filters
    separable = kernel_size * kernel_size * in_channels + in_channels * filters + filters
    k = f"{kernel_size}×{kernel_size}"
    return {
        "standard": {
            "formula": f"{k}×{in_channels}×{filters} + {filters} = {count(standard)}",
            "count": standard,
            "how": f"each of the {filters} filters has its own {k}×{in_channels} kernel",
        },
        "separable": {
            "formula": f"{k}×{in_channels} + {in_channels}×{filters} + {filters} = {count(separable)}",
            "count": separable,
            "how": f"one {k} kernel per input channel, then a 1×1 convolution mixes the {in_channels} "
            f"channels into {filters}",
        },
        "ratio": {
            "formula": f"{count(standard)} / {count(separable)} = {standard / separable:.1f}× fewer",
            "count": standard / separable,
            "how": "",
        },
    }


def weight_sharing_arithmetic(image_side: int = 1000, window: int = 10) -> list[dict]:
    """Return the weights needed to connect an image_side² image to as many hidden units, three ways."""
    pixels = image_side * image_side
    return [
        {
            "connection": "dense: every unit sees every pixel",
            "formula": f"{count(pixels)} pixels × {count(pixels)} units",
            "weights": pixels * pixels,
        },
        {
            "connection": f"local: every unit sees a {window}×{window} window",
            "formula": f"{count(pixels)} units × {window}×{window}",
            "weights": pixels * window * window,
        },
        {
            "connection": "shared: one kernel slid everywhere (a convolution)",
            "formula": f"{window}×{window}",
            "weights": window * window,
        },
    ]
