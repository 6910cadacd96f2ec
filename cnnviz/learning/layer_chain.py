"""A network as a chain of layers, nested models (VGG16's base) opened up: what explain, the network view,
filter patterns and the time-lapse all walk."""

from __future__ import annotations

import keras

from cnnviz.errors import CnnvizError


def chain_layers(model: keras.Model) -> list[keras.layers.Layer]:
    """Return the model's layers in order with nested models opened up (InputLayers dropped)."""
    chain = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            chain += chain_layers(layer)
        elif type(layer).__name__ != "InputLayer":
            chain.append(layer)
    return chain


def run_chain(layers: list, x):
    """Run x through a list of layers at inference (augmentation and dropout off)."""
    for layer in layers:
        x = layer(x, training=False)
    return x


def split_at(model: keras.Model, layer_name: str) -> tuple[list, list]:
    """Return (layers up to and including layer_name, the layers after it)."""
    chain = chain_layers(model)
    names = [layer.name for layer in chain]
    if layer_name not in names:
        raise CnnvizError(f"The model has no layer called {layer_name!r}.")
    index = names.index(layer_name)
    return chain[: index + 1], chain[index + 1 :]
