"""Convolution and pooling in plain numpy, one window at a time: the lesson itself.

Like Keras, "convolution" here is cross-correlation: the kernel is not flipped. Every function
works on 2-D grids (one channel), which is what a person can read number by number.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnviz.errors import CnnvizError, InvalidGrid

Padding = str | int

POOLING_MODES = ("max", "average")
MAX_ABS_VALUE = 1_000_000


def resolve_padding(input_size: int, kernel_size: int, stride: int = 1, padding: Padding = "valid") -> tuple[int, int]:
    """Return the zeros added before and after one axis, exactly as Keras pads."""
    check_stride(stride)
    if padding == "valid":
        return 0, 0
    if padding == "same":
        # Keras/TensorFlow "same": output = ceil(n / s); any odd zero goes after, not before.
        output = math.ceil(input_size / stride)
        total = max((output - 1) * stride + kernel_size - input_size, 0)
        return total // 2, total - total // 2
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool) and padding >= 0:
        return int(padding), int(padding)
    raise CnnvizError(f"Padding must be 'valid', 'same' or a whole number of zeros >= 0; got {padding!r}.")


def check_stride(stride: int) -> None:
    """Refuse a stride that is not a whole number of at least 1."""
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise CnnvizError(f"Stride must be a whole number of at least 1; got {stride!r}.")


def output_size(input_size: int, kernel_size: int, stride: int = 1, padding: Padding = "valid") -> int:
    """Return the output length along one axis: floor((n + padding - k) / s) + 1."""
    before, after = resolve_padding(input_size, kernel_size, stride, padding)
    padded_size = input_size + before + after
    if kernel_size < 1:
        raise CnnvizError(f"The kernel must be at least 1 wide; got {kernel_size}.")
    if kernel_size > padded_size:
        raise CnnvizError(
            f"A {kernel_size}-wide kernel does not fit in an input {padded_size} wide (after padding). "
            "Use a smaller kernel, a bigger input, or more padding."
        )
    return (padded_size - kernel_size) // stride + 1


def output_size_formula(input_size: int, kernel_size: int, stride: int = 1, padding: Padding = "valid") -> str:
    """Return the output-size formula written out with these numbers, as shown to students."""
    size = output_size(input_size, kernel_size, stride, padding)
    n, k, s = input_size, kernel_size, stride
    if padding == "valid":
        return f"⌊(n − k) / s⌋ + 1 = ⌊({n} − {k}) / {s}⌋ + 1 = {size}"
    if padding == "same":
        before, after = resolve_padding(n, k, s, padding)
        return f"⌈n / s⌉ = ⌈{n} / {s}⌉ = {size}   (Keras adds {before} zero(s) before and {after} after)"
    return f"⌊(n + 2p − k) / s⌋ + 1 = ⌊({n} + 2×{padding} − {k}) / {s}⌋ + 1 = {size}"


def check_grid(values: object, name: str = "input") -> np.ndarray:
    """Return values as a 2-D float array, or raise InvalidGrid saying what is wrong."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 2 or array.size == 0:
        raise InvalidGrid(f"The {name} must be a 2-D grid of numbers (rows × columns); got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise InvalidGrid(f"The {name} contains NaN or infinity; use finite numbers only.")
    return array


@dataclass(frozen=True)
class Step:
    """One position of the window: where it is, what it covers and the number it produces."""

    index: int
    row: int
    column: int
    top: int
    left: int
    window: np.ndarray
    weights: np.ndarray | None
    mode: str
    value: float

    def arithmetic(self) -> str:
        """Return this step written out, e.g. `1×1 + 0×2 + 1×3 + … = 35`."""
        values = [format_number(v) for v in self.window.ravel()]
        result = format_number(self.value)
        if self.mode == "max":
            return f"max({', '.join(values)}) = {result}"
        if self.mode == "average":
            return f"({' + '.join(values)}) / {self.window.size} = {result}"
        terms = [f"{format_factor(w)}×{format_factor(v)}" for w, v in zip(self.weights.ravel(), self.window.ravel())]
        return f"{' + '.join(terms)} = {result}"


@dataclass(frozen=True)
class Trace:
    """A whole convolution or pooling, kept so that any single step can be drawn on its own."""

    mode: str
    padded_input: np.ndarray
    padding: tuple[tuple[int, int], tuple[int, int]]
    window_shape: tuple[int, int]
    stride: int
    weights: np.ndarray | None
    output: np.ndarray

    @property
    def num_steps(self) -> int:
        """Return how many window positions there are (one per output cell)."""
        return int(self.output.size)

    def step(self, index: int) -> Step:
        """Return step `index` (0-based, row by row)."""
        if not 0 <= index < self.num_steps:
            raise CnnvizError(f"Step {index + 1} does not exist; there are {self.num_steps} steps.")
        row, column = divmod(index, self.output.shape[1])
        top, left = row * self.stride, column * self.stride
        height, width = self.window_shape
        window = self.padded_input[top : top + height, left : left + width]
        return Step(index, row, column, top, left, window, self.weights, self.mode, float(self.output[row, column]))

    def partial_output(self, steps_done: int) -> np.ndarray:
        """Return the output with only the first `steps_done` cells filled in, NaN elsewhere."""
        partial = np.full(self.output.size, np.nan)
        partial[:steps_done] = self.output.ravel()[:steps_done]
        return partial.reshape(self.output.shape)


def trace_conv2d(image: object, kernel: object, stride: int = 1, padding: Padding = "valid") -> Trace:
    """Slide `kernel` over `image` and keep every step; padding is 'valid', 'same' or a number of zeros."""
    image, kernel = check_grid(image, "input"), check_grid(kernel, "kernel")
    rows = resolve_padding(image.shape[0], kernel.shape[0], stride, padding)
    columns = resolve_padding(image.shape[1], kernel.shape[1], stride, padding)
    for axis in (0, 1):
        output_size(image.shape[axis], kernel.shape[axis], stride, padding)
    padded = np.pad(image, (rows, columns))
    windows = extract_windows(padded, kernel.shape, stride)
    # Each output cell is one window times the kernel, summed: that is all a Conv2D filter does.
    output = np.einsum("ijkl,kl->ij", windows, kernel)
    return Trace("convolution", padded, (rows, columns), kernel.shape, stride, kernel, output)


def trace_pool2d(feature_map: object, size: int = 2, stride: int | None = None, mode: str = "max") -> Trace:
    """Take the max or mean of each `size`×`size` window ('valid' windows, as Keras pools by default)."""
    feature_map = check_grid(feature_map, "feature map")
    if mode not in POOLING_MODES:
        raise CnnvizError(f"Pooling mode must be one of {POOLING_MODES}; got {mode!r}.")
    stride = size if stride is None else stride
    for axis in (0, 1):
        output_size(feature_map.shape[axis], size, stride, "valid")
    windows = extract_windows(feature_map, (size, size), stride)
    output = windows.max(axis=(2, 3)) if mode == "max" else windows.mean(axis=(2, 3))
    return Trace(mode, feature_map, ((0, 0), (0, 0)), (size, size), stride, None, output)


def conv2d(image: object, kernel: object, stride: int = 1, padding: Padding = "valid") -> np.ndarray:
    """Return the feature map of `kernel` slid over the 2-D `image`."""
    return trace_conv2d(image, kernel, stride, padding).output


def pool2d(feature_map: object, size: int = 2, stride: int | None = None, mode: str = "max") -> np.ndarray:
    """Return the max- or average-pooled feature map; stride defaults to the window size."""
    return trace_pool2d(feature_map, size, stride, mode).output


def extract_windows(padded: np.ndarray, window_shape: tuple[int, int], stride: int) -> np.ndarray:
    """Return every window position as an array of shape (out_rows, out_columns, height, width)."""
    # A view, not a copy: the windows share memory with the input, so a photo costs nothing extra.
    return sliding_window_view(padded, window_shape)[::stride, ::stride]


def relu(values: np.ndarray) -> np.ndarray:
    """Return max(0, x): the activation that follows most convolutions."""
    return np.maximum(values, 0)


def kernel_presets(kernel_size: int = 3) -> dict[str, np.ndarray]:
    """Return the named kernels that exist at this size (the classic 3×3 filters only at 3×3)."""
    if not 1 <= kernel_size <= 5:
        raise CnnvizError(f"Kernel size must be between 1 and 5; got {kernel_size}.")
    identity = np.zeros((kernel_size, kernel_size))
    identity[kernel_size // 2, kernel_size // 2] = 1
    diagonals = np.eye(kernel_size) + np.fliplr(np.eye(kernel_size))
    presets = {
        "X kernel": np.minimum(diagonals, 1),
        "identity": identity,
        "box blur": np.full((kernel_size, kernel_size), 1 / kernel_size**2),
    }
    if kernel_size == 3:
        sobel_x = np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]], dtype=float)
        presets |= {
            "sharpen": np.array([[0, -1, 0], [-1, 5, -1], [0, -1, 0]], dtype=float),
            "Sobel x": sobel_x,
            "Sobel y": sobel_x.T.copy(),
            "Laplacian": np.array([[0, 1, 0], [1, -4, 1], [0, 1, 0]], dtype=float),
        }
    return presets


def counting_grid(rows: int, columns: int | None = None) -> np.ndarray:
    """Return the grid 1, 2, 3, … filled row by row, the tutorials' default input."""
    columns = rows if columns is None else columns
    return np.arange(1, rows * columns + 1, dtype=float).reshape(rows, columns)


def parse_grid(text: str, name: str = "grid", max_size: int = 10) -> np.ndarray:
    """Read a grid typed as rows of numbers (spaces or commas between them), or raise InvalidGrid."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    if not lines:
        raise InvalidGrid(f"The {name} is empty: type one row of numbers per line.")
    rows = []
    for row_number, line in enumerate(lines, start=1):
        tokens = [token for token in re.split(r"[\s,;]+", line.strip()) if token]
        rows.append([parse_cell(token, name, row_number, column) for column, token in enumerate(tokens, start=1)])
    widths = {len(row) for row in rows}
    if len(widths) != 1:
        raise InvalidGrid(f"Every row of the {name} needs the same number of values; the rows have {sorted(widths)}.")
    if len(rows) > max_size or len(rows[0]) > max_size:
        raise InvalidGrid(f"The {name} is {len(rows)}×{len(rows[0])}; at most {max_size}×{max_size} fits on screen.")
    return np.array(rows, dtype=float)


def parse_cell(token: str, name: str, row: int, column: int) -> float:
    """Read one typed cell, refusing text, NaN, infinity and numbers too large to show."""
    where = f"Row {row}, column {column} of the {name}"
    try:
        value = float(token.replace("−", "-"))
    except ValueError:
        raise InvalidGrid(f"{where} is '{token}', which is not a number.") from None
    if not math.isfinite(value):
        raise InvalidGrid(f"{where} is '{token}'; only finite numbers are allowed.")
    if abs(value) > MAX_ABS_VALUE:
        raise InvalidGrid(f"{where} is {token}; keep values between −{MAX_ABS_VALUE:,} and {MAX_ABS_VALUE:,}.")
    return value


def format_grid(values: np.ndarray) -> str:
    """Return a grid as text, one row per line, the inverse of parse_grid."""
    return "\n".join(" ".join(format_number(v) for v in row) for row in np.asarray(values))


def format_number(value: float) -> str:
    """Return a number the way a person writes it: 35, 3.5, 0.1111, −2."""
    value = float(value)
    if value.is_integer() and abs(value) < 1e15:
        text = str(int(value))
    else:
        text = f"{value:.4g}"
    return text.replace("-", "−")


def format_factor(value: float) -> str:
    """Return a number for a product term, negatives in brackets so `1×(−2)` reads right."""
    text = format_number(value)
    return f"({text})" if text.startswith("−") else text
