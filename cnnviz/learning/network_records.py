"""What the network view hands the pictures: one layer's maps, the whole view, and how one number was made.

Plain data (numpy only), so cnnviz.pictures draws them without importing Keras; network_view.py and
arithmetic.py fill them in from a Keras model.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

import numpy as np


class CellKind(Enum):
    """What kind of layer made the number, which decides how its arithmetic reads."""

    CONVOLUTION = "Conv2D"
    SEPARABLE = "SeparableConv2D"
    POOLING = "pooling"
    ELEMENTWISE = "elementwise"  # an activation or batch normalization layer of its own: one input number


@dataclass(frozen=True)
class ChannelTerm:
    """One input channel's share of a convolution cell: the window it saw, the kernel slice, their sum."""

    channel: int
    window: np.ndarray  # (kernel height, kernel width): the layer's input under the kernel, zeros in the padding
    kernel: np.ndarray  # (kernel height, kernel width): the learned weights for this channel
    total: float  # sum(window × kernel)


@dataclass(frozen=True)
class CellArithmetic:
    """How the value at (row, column, channel) of one layer's output was computed."""

    layer: str
    kind: CellKind
    row: int
    column: int
    channel: int
    terms: tuple[ChannelTerm, ...]  # convolution: one per input channel; separable: the depthwise stage
    pointwise: np.ndarray | None  # separable only: the weight of each depthwise result in this filter's sum
    bias: float
    pre_activation: float  # the sum (plus bias) before the activation; a pooling's result
    activation: str  # "relu", "linear", …; "max" or "average" for a pooling
    value: float  # what the layer output holds at this cell
    pool_window: np.ndarray | None = None  # pooling only: the input window
    winner: tuple[int, int] | None = None  # max pooling only: where in the window the largest value is
    padded: bool = False  # the window reaches into the zero padding

    @property
    def depthwise_values(self) -> np.ndarray:
        """Return each channel's sum: the convolution's terms, or the separable's depthwise results."""
        return np.array([term.total for term in self.terms])

    def largest_terms(self, count: int = 4) -> list[ChannelTerm]:
        """Return the channels that contribute most (by size) to the sum, for a picture of a few of them."""
        shares = np.abs(self.contributions())
        return [self.terms[index] for index in np.argsort(-shares, kind="stable")[:count]]

    def contributions(self) -> np.ndarray:
        """Return each input channel's contribution to the sum (after the pointwise weight for a separable)."""
        values = self.depthwise_values
        return values * self.pointwise if self.pointwise is not None else values

    def describe(self) -> str:
        """Return the arithmetic as one line, e.g. `Σ 32 channels 1.9040 + bias −0.0310 = 1.8730 → relu → 1.8730`."""
        if self.kind is CellKind.POOLING:
            size = "×".join(map(str, self.pool_window.shape))
            return f"{self.activation} of the {size} window = {self.value:.4f}"
        if self.kind is CellKind.ELEMENTWISE:
            return f"{self.activation}({self.pre_activation:.4f}) = {self.value:.4f}"
        total = float(self.contributions().sum())
        channels = f"Σ {len(self.terms)} channel{'s' * (len(self.terms) > 1)} {total:.4f}"
        return f"{channels} + bias {self.bias:.4f} = {self.pre_activation:.4f} → {self.activation} → {self.value:.4f}"


@dataclass(frozen=True)
class LayerOutput:
    """One layer's feature maps for the image, on one colour scale for the whole layer."""

    name: str
    kind: str  # the Keras class name, e.g. "SeparableConv2D"
    maps: np.ndarray  # (height, width, channels) float32
    explained: bool  # a click on one of its numbers can show the arithmetic
    inputs: np.ndarray | None = None  # what an explained layer received: its arithmetic needs no second pass

    @property
    def shape_text(self) -> str:
        """Return the output's shape as a student reads it, e.g. '28×28×32'."""
        return "×".join(map(str, self.maps.shape))

    @property
    def scale(self) -> tuple[float, float]:
        """Return the colour scale every map of the layer shares: its smallest and largest value."""
        return float(self.maps.min()), float(self.maps.max())

    def strongest_channels(self, count: int) -> list[int]:
        """Return the channels with the largest mean response, strongest first (a few maps worth showing)."""
        means = self.maps.reshape(-1, self.maps.shape[-1]).mean(axis=0)
        return [int(channel) for channel in np.argsort(-means, kind="stable")[:count]]

    def strongest_cell(self, channel: int) -> tuple[int, int]:
        """Return the (row, column) of a map's largest value: the number worth explaining first."""
        values = self.maps[..., channel]
        return tuple(int(index) for index in np.unravel_index(np.argmax(values), values.shape))


@dataclass(frozen=True)
class NetworkView:
    """The image as the first layer receives it, every shown layer's maps, and the output probabilities."""

    image: np.ndarray  # (height, width, channels) as the model takes it, raw 0..255
    layers: tuple[LayerOutput, ...]
    probabilities: np.ndarray
    from_logits: bool = False  # the model gave scores, turned into probabilities by a softmax here

    @property
    def nbytes(self) -> int:
        """Return the bytes its arrays hold (what keeping it in a cache costs)."""
        arrays = [self.image, self.probabilities]
        arrays += [array for output in self.layers for array in (output.maps, output.inputs) if array is not None]
        return sum(array.nbytes for array in arrays)

    def layer(self, name: str) -> LayerOutput:
        """Return one layer's output by name."""
        return next(output for output in self.layers if output.name == name)

    @property
    def names(self) -> list[str]:
        """Return the shown layers' names, input to output."""
        return [output.name for output in self.layers]

    @property
    def answer(self) -> int:
        """Return the class the network gives the image."""
        return int(np.argmax(self.probabilities))

    def default_map(self) -> tuple[str, int]:
        """Return the map a student looks at first: the third convolution's (the first deep one) strongest."""
        convolutions = [output.name for output in self.layers if "Conv" in output.kind] or self.names
        name = convolutions[min(2, len(convolutions) - 1)]
        return name, self.layer(name).strongest_channels(1)[0]

    def shown_channels(self, count: int, selected: tuple[str, int]) -> dict[str, list[int]]:
        """Return, per layer, the `count` maps the overview shows: those that respond most, and the selected one."""
        shown = {output.name: output.strongest_channels(count) for output in self.layers}
        layer, channel = selected
        if layer in shown and channel not in shown[layer]:
            shown[layer] = [*shown[layer][:-1], channel]
        return shown

    def describe_shapes(self) -> str:
        """Return the shapes in order, e.g. '28×28×1 → 28×28×32 → 14×14×32 → … → 10 probabilities'."""
        shapes = ["×".join(map(str, self.image.shape)), *(output.shape_text for output in self.layers)]
        return " → ".join(shapes) + f" → {len(self.probabilities)} probabilities"
