"""The kernels a trained model learned in its first convolution layer, as plain numpy."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from cnnviz.errors import CnnvizError


def first_conv_weights(model_path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Return the first Conv2D layer's kernels (k, k, channels, filters) and biases (filters,) of a saved model."""
    path = Path(model_path)
    if not path.is_file():
        raise CnnvizError(f"There is no saved model at {path}: train the run (or let it finish an epoch) first.")
    # Keras is imported here, not at the top, so the mechanics pages that import this module stay light.
    from cnnviz.learning import explain

    model = explain.load_model_file(path)  # safe mode, with the messages a broken or unsafe file gets
    layer = find_first_conv2d(model)
    if layer is None:
        raise CnnvizError(f"The model at {path} has no Conv2D layer: pick a run of a convolutional recipe.")
    weights = layer.get_weights()
    kernels = np.asarray(weights[0], dtype=float)
    biases = np.asarray(weights[1], dtype=float) if len(weights) > 1 else np.zeros(kernels.shape[3])
    return kernels, biases


def find_first_conv2d(model: object) -> object | None:
    """Return the first plain Conv2D layer, looking inside nested models (VGG16's block1_conv1 too)."""
    import keras

    for layer in getattr(model, "layers", []):
        if type(layer) is keras.layers.Conv2D:
            return layer
        nested = find_first_conv2d(layer) if isinstance(layer, keras.Model) else None
        if nested is not None:
            return nested
    return None
