"""One image through every layer of a trained network: each feature map, its shape, and the probabilities.

One forward pass, layer by layer (the chain explain.py splits for Grad-CAM), keeping the output of
each layer a student can look at: convolutions, poolings, and activations or batch normalizations
where they are layers of their own. A nested base (VGG16's) shows its blocks, the output of each
block's pooling: thirteen 150×150 convolutions do not fit a screen, five blocks do.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from cnnviz.errors import CnnvizError
from cnnviz.learning import arithmetic, explain
from cnnviz.learning.network_records import LayerOutput, NetworkView

# BatchNormalization shows where it acts on feature maps (the malaria net's conv blocks); after a Dense it has none.
SHOWN_LAYERS = (
    "Conv2D", "SeparableConv2D", "DepthwiseConv2D", "MaxPooling2D", "AveragePooling2D", "Activation", "ReLU",
    "BatchNormalization",
)  # fmt: skip
POOLING_LAYERS = ("MaxPooling2D", "AveragePooling2D")


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
    try:
        for layer in explain.chain_layers(model):
            inputs, x = x, layer(x, training=False)
            if len(x.shape) == 4 and is_shown(layer, nested):
                maps = ops.convert_to_numpy(x)[0].astype(np.float32)
                explained = arithmetic.explains(layer)
                received = ops.convert_to_numpy(inputs)[0] if explained else None
                outputs.append(LayerOutput(layer.name, type(layer).__name__, maps, explained, received))
    except (ValueError, TypeError) as error:  # a merge layer called on one tensor, a branch's shape mismatch
        raise CnnvizError(
            "This model is not one chain of layers (it has branches or merges, as a ResNet does), so it cannot be "
            f"shown column by column ({type(error).__name__}). Use a model trained here, or a Sequential one."
        ) from None
    final = ops.convert_to_numpy(x)[0].astype(np.float64)
    if final.shape[-1] == 1:
        return NetworkView(np.asarray(batch[0]), tuple(outputs), np.array([1 - final[0], final[0]]))
    if final.min() < 0 or abs(final.sum() - 1) > 1e-3:  # scores (logits), not probabilities: a softmax makes them so
        exponentials = np.exp(final - final.max())
        return NetworkView(np.asarray(batch[0]), tuple(outputs), exponentials / exponentials.sum(), from_logits=True)
    return NetworkView(np.asarray(batch[0]), tuple(outputs), final)
