"""One image through every layer of a trained network: each feature map, its shape, and the probabilities.

One forward pass, layer by layer (the chain explain.py splits for Grad-CAM), keeping the output of
each layer a student can look at: convolutions, poolings, and activations or batch normalizations
where they are layers of their own. A nested base (VGG16's) shows its blocks, the output of each
block's pooling: thirteen 150×150 convolutions do not fit a screen, five blocks do.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from cnnviz.learning import arithmetic, explain

# BatchNormalization shows where it acts on feature maps (the malaria net's conv blocks); after a Dense it has none.
SHOWN_LAYERS = (
    "Conv2D", "SeparableConv2D", "DepthwiseConv2D", "MaxPooling2D", "AveragePooling2D", "Activation", "ReLU",
    "BatchNormalization",
)  # fmt: skip
POOLING_LAYERS = ("MaxPooling2D", "AveragePooling2D")


@dataclass(frozen=True)
class LayerOutput:
    """One layer's feature maps for the image, on one colour scale for the whole layer."""

    name: str
    kind: str  # the Keras class name, e.g. "SeparableConv2D"
    maps: np.ndarray  # (height, width, channels) float32
    explained: bool  # a click on one of its numbers can show the arithmetic

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


@dataclass(frozen=True)
class NetworkView:
    """The image as the first layer receives it, every shown layer's maps, and the output probabilities."""

    image: np.ndarray  # (height, width, channels) as the model takes it, raw 0..255
    layers: tuple[LayerOutput, ...]
    probabilities: np.ndarray

    def layer(self, name: str) -> LayerOutput:
        """Return one layer's output by name."""
        return next(output for output in self.layers if output.name == name)

    @property
    def names(self) -> list[str]:
        """Return the shown layers' names, input to output."""
        return [output.name for output in self.layers]

    def describe_shapes(self) -> str:
        """Return the shapes in order, e.g. '28×28×1 → 28×28×32 → 14×14×32 → … → 10 probabilities'."""
        shapes = ["×".join(map(str, self.image.shape)), *(output.shape_text for output in self.layers)]
        return " → ".join(shapes) + f" → {len(self.probabilities)} probabilities"


def nested_layer_names(model: keras.Model) -> set[str]:
    """Return the names of the layers inside a nested model (a pretrained base), which show as blocks."""
    names: set[str] = set()
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            names |= {inner.name for inner in explain.chain_layers(layer)}
    return names


def is_shown(layer, nested: set[str]) -> bool:
    """Return whether a layer gets a column: shown kinds, and inside a nested base only each block's pooling."""
    kind = type(layer).__name__
    if layer.name in nested:
        return kind in POOLING_LAYERS
    return kind in SHOWN_LAYERS


def network_view(model: keras.Model, batch: np.ndarray) -> NetworkView:
    """Return every shown layer's output for the first image of the batch, in one pass through the network."""
    nested = nested_layer_names(model)
    outputs = []
    x = ops.convert_to_tensor(batch)
    for layer in explain.chain_layers(model):
        x = layer(x, training=False)
        if len(x.shape) == 4 and is_shown(layer, nested):
            maps = ops.convert_to_numpy(x)[0].astype(np.float32)
            outputs.append(LayerOutput(layer.name, type(layer).__name__, maps, arithmetic.explains(layer)))
    final = ops.convert_to_numpy(x)[0]
    probabilities = np.array([1 - final[0], final[0]]) if final.shape[-1] == 1 else final
    return NetworkView(np.asarray(batch[0]), tuple(outputs), probabilities)
