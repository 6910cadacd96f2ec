"""Channels and depth: a filter spans every input channel, and a layer stacks its filters' outputs.

A toy RGB input small enough to read, a 3×3×3 kernel with a bias, and several filters whose feature
maps stack into the output's depth: where `3×3×3×32 + 32 = 896` on the Layers page comes from.
"""

from __future__ import annotations

import numpy as np

from cnnviz.errors import CnnvizError
from cnnviz.lesson import convolution, output_sizes

MAX_FILTERS = 8


def toy_rgb_image() -> np.ndarray:
    """Return a 4×4×3 image of small whole numbers: red rising to the right, green downwards, blue a diagonal."""
    rows, columns = np.mgrid[0:4, 0:4]
    red = columns + 1
    green = rows + 1
    blue = np.where(rows == columns, 3, 0)
    return np.stack([red, green, blue], axis=-1).astype(float)


def toy_rgb_kernel() -> np.ndarray:
    """Return a 3×3×3 kernel: the X kernel on red, an edge on green, the centre on blue."""
    red = convolution.kernel_presets(3)["X kernel"]
    green = np.array([[-1, 0, 1], [-1, 0, 1], [-1, 0, 1]], dtype=float)
    blue = convolution.kernel_presets(3)["identity"]
    return np.stack([red, green, blue], axis=-1)


def filter_bank(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return `count` 3×3×3 kernels (k, k, C, filters) of −1, 0 and 1, the first the toy kernel, and their biases."""
    if not 1 <= count <= MAX_FILTERS:
        raise CnnvizError(f"Choose between 1 and {MAX_FILTERS} filters; got {count}.")
    rng = np.random.default_rng(seed)
    kernels = rng.integers(-1, 2, size=(3, 3, 3, count)).astype(float)
    kernels[..., 0] = toy_rgb_kernel()
    biases = rng.integers(-2, 3, size=count).astype(float)
    biases[0] = 1.0
    return kernels, biases


def filter_outputs(
    image: object, kernels: np.ndarray, biases: np.ndarray, padding: output_sizes.Padding = "valid"
) -> np.ndarray:
    """Return every filter's feature map stacked along the last axis: a Conv2D layer's output (H', W', filters)."""
    kernels = np.asarray(kernels, dtype=float)
    if kernels.ndim != 4 or len(biases) != kernels.shape[3]:
        raise CnnvizError(
            f"Kernels must be (k, k, channels, filters) with one bias per filter; got {kernels.shape} and "
            f"{len(biases)} bias(es)."
        )
    maps = [
        convolution.conv2d(image, kernels[..., index], padding=padding, bias=float(biases[index]))
        for index in range(kernels.shape[3])
    ]
    return np.stack(maps, axis=-1)


def parameter_formula(kernel_size: int, channels: int, filters: int) -> str:
    """Return a Conv2D layer's parameter count written out: `3×3×3×32 + 32 = 896` (one bias per filter)."""
    total = kernel_size * kernel_size * channels * filters + filters
    return f"{kernel_size}×{kernel_size}×{channels}×{filters} + {filters} = {total:,}"
