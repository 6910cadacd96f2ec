"""Keep each complete epoch's weights while training (the worker's side of the time-lapse, learning/time_lapse.py).

Called from the streaming callback at each complete epoch's end, after the model file and before the
history line; it costs a few milliseconds for the small networks (BENCHMARKS.md, "Time-lapse snapshots").
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
from keras import ops

from cnnviz.learning.layer_chain import chain_layers
from cnnviz.runtime import epoch_snapshots


def weight_bytes(model: keras.Model) -> int:
    """Return how many bytes the model's weights take (float32: four a parameter)."""
    return sum(int(np.prod(weight.shape)) * 4 for weight in model.weights)


def first_convolution(model: keras.Model):
    """Return the model's first convolution layer (inside a nested base too), or None when it has none."""
    return next((layer for layer in chain_layers(model) if "Conv" in type(layer).__name__), None)


def save_snapshot(model: keras.Model, folder: Path, epoch: int) -> Path | None:
    """Keep one complete epoch's weights: the whole network up to ~20 MB, else its first convolution only."""
    if epoch_snapshots.keeps_whole(weight_bytes(model)):
        return epoch_snapshots.write_weights(folder, epoch, model.get_weights())
    layer = first_convolution(model)
    if layer is None:
        return None
    kernel = ops.convert_to_numpy(layer.kernel if hasattr(layer, "kernel") else layer.depthwise_kernel)
    bias = ops.convert_to_numpy(layer.bias) if getattr(layer, "bias", None) is not None else None
    return epoch_snapshots.write_first_layer(folder, epoch, kernel, bias)
