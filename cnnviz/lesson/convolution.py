"""Convolution and pooling in plain numpy, one window at a time: the lesson itself.

Like Keras, "convolution" here is cross-correlation: the kernel is not flipped. A convolution takes
an (H, W) grid or an (H, W, C) image with a (k, k) or (k, k, C) kernel, a dilation (Keras's
`dilation_rate`) and a bias: one filter, one 2-D feature map. Pooling works on 2-D grids.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from cnnviz.errors import CnnvizError, InvalidGrid
from cnnviz.lesson.output_sizes import Padding, check_dilation, dilated_size, output_size, resolve_padding

POOLING_MODES = ("max", "average", "sum")  # sum = average × the window's area
MAX_ABS_VALUE = 1_000_000


def check_grid(values: object, name: str = "input") -> np.ndarray:
    """Return values as a 2-D float array, or raise InvalidGrid saying what is wrong."""
    array = np.asarray(values, dtype=float)
    if array.ndim != 2 or array.size == 0:
        raise InvalidGrid(f"The {name} must be a 2-D grid of numbers (rows × columns); got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise InvalidGrid(f"The {name} contains NaN or infinity; use finite numbers only.")
    return array


def check_image(values: object, name: str = "input") -> np.ndarray:
    """Return values as an (H, W) or (H, W, C) float array, or raise InvalidGrid saying what is wrong."""
    array = np.asarray(values, dtype=float)
    if array.ndim not in (2, 3) or array.size == 0:
        raise InvalidGrid(
            f"The {name} must be a 2-D grid (rows × columns) or an image with channels (rows × columns × "
            f"channels); got shape {array.shape}."
        )
    if not np.all(np.isfinite(array)):
        raise InvalidGrid(f"The {name} contains NaN or infinity; use finite numbers only.")
    return array


def with_channels(values: np.ndarray) -> np.ndarray:
    """Return an (H, W) grid as (H, W, 1), and an (H, W, C) image as it is."""
    return values[:, :, None] if values.ndim == 2 else values


def check_channels(image: np.ndarray, kernel: np.ndarray) -> None:
    """Refuse a kernel whose channels do not match the input's: a Conv2D filter spans every input channel."""
    image_channels, kernel_channels = with_channels(image).shape[2], with_channels(kernel).shape[2]
    if image_channels == kernel_channels:
        return
    height, width = kernel.shape[:2]
    raise InvalidGrid(
        f"The kernel has {kernel_channels} channel(s) but the input has {image_channels}. A Conv2D filter spans "
        f"every input channel: give the kernel the shape ({height}, {width}, {image_channels}), "
        f"or give the input {kernel_channels} channel(s)."
    )


def check_bias(bias: float) -> float:
    """Return the bias as a float, refusing NaN, infinity and anything that is not a number."""
    try:
        value = float(bias)
    except (TypeError, ValueError):
        raise CnnvizError(f"The bias must be one number; got {bias!r}.") from None
    if not math.isfinite(value):
        raise CnnvizError(f"The bias must be a finite number; got {bias!r}.")
    return value


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
    dilation: int = 1
    bias: float = 0.0

    def cells(self) -> list[tuple[int, int]]:
        """Return the (row, column) of every cell under the window on the padded input, in kernel order."""
        height, width = self.window.shape[:2]
        return [
            (self.top + row * self.dilation, self.left + column * self.dilation)
            for row in range(height)
            for column in range(width)
        ]

    def winner(self) -> tuple[int, int]:
        """Return the (row, column) on the input of the largest value under the window (the first, on a tie)."""
        return self.cells()[int(np.argmax(self.window.ravel()))]

    def channel_sums(self) -> list[float]:
        """Return, per input channel, the sum of that channel's products (before the bias)."""
        products = with_channels(self.window) * with_channels(self.weights)
        return [float(products[:, :, channel].sum()) for channel in range(products.shape[2])]

    def channel_arithmetic(self, channel: int) -> str:
        """Return one channel's products written out, e.g. `1×1 + 0×2 + … = 35`."""
        window, weights = with_channels(self.window)[:, :, channel], with_channels(self.weights)[:, :, channel]
        return f"{product_terms(weights, window)} = {format_number(self.channel_sums()[channel])}"

    def arithmetic(self) -> str:
        """Return this step written out, e.g. `1×1 + 0×2 + 1×3 + … = 35` (channel by channel, then the bias)."""
        values = [format_number(v) for v in self.window.ravel()]
        result = format_number(self.value)
        if self.mode == "max":
            return f"max({', '.join(values)}) = {result}"
        if self.mode == "average":
            return f"({' + '.join(values)}) / {self.window.size} = {result}"
        if self.mode == "sum":
            return f"{' + '.join(values)} = {result}"
        # Channel by channel, as a person adds them up: all of channel 1's products, then channel 2's, …
        window, weights = with_channels(self.window), with_channels(self.weights)
        terms = " + ".join(product_terms(weights[:, :, c], window[:, :, c]) for c in range(window.shape[2]))
        bias = f" + {format_factor(self.bias)}" if self.bias else ""
        return f"{terms}{bias} = {result}"


def product_terms(weights: np.ndarray, values: np.ndarray) -> str:
    """Return `w×v + w×v + …` for a 2-D window, negatives in brackets."""
    return " + ".join(f"{format_factor(w)}×{format_factor(v)}" for w, v in zip(weights.ravel(), values.ravel()))


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
    dilation: int = 1
    bias: float = 0.0

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
        height, width = (dilated_size(size, self.dilation) for size in self.window_shape)
        window = self.padded_input[top : top + height : self.dilation, left : left + width : self.dilation]
        value = float(self.output[row, column])
        return Step(index, row, column, top, left, window, self.weights, self.mode, value, self.dilation, self.bias)

    def never_centred(self) -> list[tuple[int, int]]:
        """Return the real input's cells (on the padded grid) that no window is centred on: without padding, the
        border the kernel only ever sees at a window's edge (an even kernel's centre: the cell above-left of it)."""
        rows, columns = self.padded_input.shape[:2]
        (top, bottom), (left, right) = self.padding
        centre = [self.dilation * ((size - 1) // 2) for size in self.window_shape]
        output_rows, output_columns = self.output.shape
        centred = {
            (row * self.stride + centre[0], column * self.stride + centre[1])
            for row in range(output_rows)
            for column in range(output_columns)
        }
        real = ((row, column) for row in range(top, rows - bottom) for column in range(left, columns - right))
        return [cell for cell in real if cell not in centred]

    def boundary_note(self) -> str:
        """Return the boundary effect in words with this grid's numbers: which cells are never a window's centre."""
        rows, columns = self.padded_input.shape[:2]
        (top, bottom), (left, right) = self.padding
        height, width = rows - top - bottom, columns - left - right
        missed = self.never_centred()
        size = f"{height}×{width} → {self.output.shape[0]}×{self.output.shape[1]}"
        if not missed:
            return (
                f"**The boundary:** the zeros around it (grey) let the kernel's centre visit every cell, so the map "
                f"keeps its size ({size}); the border windows read zeros, which is padding's price."
            )
        border = sum(
            1 for row, column in missed if row in (top, rows - bottom - 1) or column in (left, columns - right - 1)
        )
        reason = "the kernel's centre never lands on them"
        if border < len(missed):
            reason += f" ({len(missed) - border} are skipped by stride {self.stride})"
        padded = self.padding != ((0, 0), (0, 0))
        fix = (
            "More padding lets the centre reach them."
            if padded
            else "Padding 'same' adds zeros around the grid so every cell gets its turn at the centre."
        )
        return (
            f"**The boundary:** {len(missed)} of {height * width} cells, dashed, are never a window's centre: "
            f"{reason}. A border cell is only ever at a window's edge, so it counts in fewer sums and the map "
            f"shrinks ({size}). {fix}"
        )

    def partial_output(self, steps_done: int) -> np.ndarray:
        """Return the output with only the first `steps_done` cells filled in, NaN elsewhere."""
        partial = np.full(self.output.size, np.nan)
        partial[:steps_done] = self.output.ravel()[:steps_done]
        return partial.reshape(self.output.shape)


def trace_conv2d(
    image: object,
    kernel: object,
    stride: int = 1,
    padding: Padding = "valid",
    dilation: int = 1,
    bias: float = 0.0,
) -> Trace:
    """Slide `kernel` over `image` and keep every step: one Conv2D filter, as Keras computes it.

    `image` is (H, W) or (H, W, C), `kernel` (k, k) or (k, k, C) with the same C; padding is 'valid',
    'same' or a number of zeros; dilation is Keras's `dilation_rate`; the bias is added to every cell.
    """
    image, kernel = check_image(image, "input"), check_image(kernel, "kernel")
    check_channels(image, kernel)
    check_dilation(dilation, stride)
    bias = check_bias(bias)
    padding_per_axis = []
    for axis in (0, 1):
        output_size(image.shape[axis], kernel.shape[axis], stride, padding, dilation)
        padding_per_axis.append(resolve_padding(image.shape[axis], kernel.shape[axis], stride, padding, dilation))
    rows, columns = padding_per_axis
    padded = np.pad(image, [rows, columns] + [(0, 0)] * (image.ndim - 2))
    span = (dilated_size(kernel.shape[0], dilation), dilated_size(kernel.shape[1], dilation))
    # Windows as a view (no copy): shape (out_rows, out_columns, channels, span_rows, span_columns),
    # then every d-th cell of each span: the cells a dilated kernel touches.
    windows = sliding_window_view(with_channels(padded), span, axis=(0, 1))[::stride, ::stride]
    windows = windows[..., ::dilation, ::dilation]
    # Each output cell is one window times the kernel, summed over rows, columns and channels, plus
    # the bias: that is all a Conv2D filter does.
    output = np.einsum("ijckl,klc->ij", windows, with_channels(kernel)) + bias
    return Trace("convolution", padded, (rows, columns), kernel.shape[:2], stride, kernel, output, dilation, bias)


def trace_pool2d(feature_map: object, size: int = 2, stride: int | None = None, mode: str = "max") -> Trace:
    """Take the max, mean or sum of each `size`×`size` window ('valid' windows, as Keras pools by default)."""
    feature_map = check_grid(feature_map, "feature map")
    if mode not in POOLING_MODES:
        raise CnnvizError(f"Pooling mode must be one of {POOLING_MODES}; got {mode!r}.")
    stride = size if stride is None else stride
    for axis in (0, 1):
        output_size(feature_map.shape[axis], size, stride, "valid")
    windows = extract_windows(feature_map, (size, size), stride)
    reduce = {"max": np.max, "average": np.mean, "sum": np.sum}[mode]
    output = reduce(windows, axis=(2, 3))
    return Trace(mode, feature_map, ((0, 0), (0, 0)), (size, size), stride, None, output)


def conv2d(
    image: object,
    kernel: object,
    stride: int = 1,
    padding: Padding = "valid",
    dilation: int = 1,
    bias: float = 0.0,
) -> np.ndarray:
    """Return the 2-D feature map of one filter `kernel` (plus `bias`) slid over `image` (see trace_conv2d)."""
    return trace_conv2d(image, kernel, stride, padding, dilation, bias).output


def pool2d(feature_map: object, size: int = 2, stride: int | None = None, mode: str = "max") -> np.ndarray:
    """Return the max-, average- or sum-pooled feature map; stride defaults to the window size."""
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
