"""How big a convolution's or pooling's output is: padding resolved as Keras does, dilation, stride, and the
output-size formula written out with a student's numbers."""

from __future__ import annotations

import math

import numpy as np

from cnnviz.errors import CnnvizError

Padding = str | int


def resolve_padding(
    input_size: int, kernel_size: int, stride: int = 1, padding: Padding = "valid", dilation: int = 1
) -> tuple[int, int]:
    """Return the zeros added before and after one axis, exactly as Keras pads."""
    check_stride(stride)
    if padding == "valid":
        return 0, 0
    if padding == "same":
        # Keras/TensorFlow "same": output = ceil(n / s); any odd zero goes after, not before.
        output = math.ceil(input_size / stride)
        total = max((output - 1) * stride + dilated_size(kernel_size, dilation) - input_size, 0)
        return total // 2, total - total // 2
    if isinstance(padding, (int, np.integer)) and not isinstance(padding, bool) and padding >= 0:
        return int(padding), int(padding)
    raise CnnvizError(f"Padding must be 'valid', 'same' or a whole number of zeros >= 0; got {padding!r}.")


def dilated_size(kernel_size: int, dilation: int = 1) -> int:
    """Return how many cells a dilated kernel spans: d(k − 1) + 1 (a 3-wide kernel at dilation 2 spans 5)."""
    return dilation * (kernel_size - 1) + 1


def check_dilation(dilation: int, stride: int = 1) -> None:
    """Refuse a dilation that is not a whole number >= 1, or one Keras's Conv2D cannot combine with the stride."""
    if isinstance(dilation, bool) or not isinstance(dilation, (int, np.integer)) or dilation < 1:
        raise CnnvizError(f"Dilation must be a whole number of at least 1; got {dilation!r}.")
    if dilation > 1 and stride > 1:
        raise CnnvizError(
            f"Keras's Conv2D cannot use stride {stride} together with dilation {dilation}: set the stride "
            "or the dilation back to 1."
        )


def check_stride(stride: int) -> None:
    """Refuse a stride that is not a whole number of at least 1."""
    if isinstance(stride, bool) or not isinstance(stride, (int, np.integer)) or stride < 1:
        raise CnnvizError(f"Stride must be a whole number of at least 1; got {stride!r}.")


def parse_padding(choice: str) -> Padding:
    """Return a padding choice as the functions take it: 'valid', 'same', or a number of zeros per side."""
    return choice if choice in ("valid", "same") else int(choice)


def output_size(
    input_size: int, kernel_size: int, stride: int = 1, padding: Padding = "valid", dilation: int = 1
) -> int:
    """Return the output length along one axis: floor((n + padding − d(k − 1) − 1) / s) + 1."""
    before, after = resolve_padding(input_size, kernel_size, stride, padding, dilation)
    padded_size = input_size + before + after
    if kernel_size < 1:
        raise CnnvizError(f"The kernel must be at least 1 wide; got {kernel_size}.")
    span = dilated_size(kernel_size, dilation)
    if span > padded_size:
        spans = f" at dilation {dilation} spans {span} cells and" if dilation > 1 else ""
        raise CnnvizError(
            f"A {kernel_size}-wide kernel{spans} does not fit in an input {padded_size} wide (after padding). "
            f"Use a smaller kernel{' or dilation' if dilation > 1 else ''}, a bigger input, or more padding."
        )
    return (padded_size - span) // stride + 1


def output_size_formula(
    input_size: int, kernel_size: int, stride: int = 1, padding: Padding = "valid", dilation: int = 1
) -> str:
    """Return the output-size formula written out with these numbers, as shown to students."""
    size = output_size(input_size, kernel_size, stride, padding, dilation)
    n, k, s, d = input_size, kernel_size, stride, dilation
    if padding == "same":
        before, after = resolve_padding(n, k, s, padding, d)
        return f"⌈n / s⌉ = ⌈{n} / {s}⌉ = {size}   (Keras adds {before} zero(s) before and {after} after)"
    if d > 1:
        p = 0 if padding == "valid" else padding
        return f"⌊(n + 2p − d(k − 1) − 1) / s⌋ + 1 = ⌊({n} + 2×{p} − {d}×({k} − 1) − 1) / {s}⌋ + 1 = {size}"
    if padding == "valid":
        return f"⌊(n − k) / s⌋ + 1 = ⌊({n} − {k}) / {s}⌋ + 1 = {size}"
    return f"⌊(n + 2p − k) / s⌋ + 1 = ⌊({n} + 2×{padding} − {k}) / {s}⌋ + 1 = {size}"
