"""The layers of every recipe's network, after its input scaling and before its output layer.

Each body is a function of the run's switches (dropout rate, a pretrained base) that returns new Keras
layers; the imports are inside, so recipes.py lists recipes without importing Keras.
"""

from __future__ import annotations

# Every layer gets a name from its recipe (conv1, pool1, …): Keras's own names (conv2d_3) count per
# process, so the Layers page, Predict and a model loaded elsewhere would name the same layer differently.


def dropout(rate: float | None, name: str, factor: float = 1) -> list:
    """Return a new Dropout(rate × factor) layer in a list, or an empty list when dropout is off."""
    from keras import layers

    return [layers.Dropout(min(0.9, rate * factor), name=name)] if rate else []


def conv_pool_blocks(filters: list[int], padding: str = "valid") -> list:
    """Return Conv2D(3×3, relu) + MaxPooling2D(2) for each filter count, named conv1, pool1, conv2, …"""
    from keras import layers

    blocks = []
    for number, count in enumerate(filters, start=1):
        blocks += [
            layers.Conv2D(count, 3, activation="relu", padding=padding, name=f"conv{number}"),
            layers.MaxPooling2D(2, name=f"pool{number}"),
        ]
    return blocks


def catsdogs_body(dropout_rate: float | None, **_) -> list:
    """The book's small convnet: four conv/pool blocks, Dense(512)."""
    from keras import layers

    return [
        *conv_pool_blocks([32, 64, 128, 128]),
        layers.Flatten(name="flatten"),
        *dropout(dropout_rate, "dropout"),
        layers.Dense(512, activation="relu", name="dense"),
    ]


def vgg16_features_body(dropout_rate: float | None, **_) -> list:
    """The densely connected classifier trained on VGG16's 4×4×512 conv features."""
    from keras import layers

    return [
        layers.Flatten(name="flatten"),
        layers.Dense(256, activation="relu", name="dense"),
        *dropout(dropout_rate, "dropout"),
    ]


def vgg16_frozen_body(vgg16_base, **_) -> list:
    """VGG16's convolutional base, then Flatten and Dense(256)."""
    from keras import layers

    return [vgg16_base, layers.Flatten(name="flatten"), layers.Dense(256, activation="relu", name="dense")]


def fashion_separable_body(dropout_rate: float | None, **_) -> list:
    """Conv2D then SeparableConv2D (same padding) at 32, 64 and 128 filters, each pair pooled.

    Dropout (after each pool, doubled before the classifier) is cnnviz's addition: it has no
    parameters, so the counts stay the tutorial's, and it keeps the net from overfitting by epoch 7.
    """
    from keras import layers

    body = []
    for number, count in enumerate((32, 64, 128), start=1):
        body += [
            layers.Conv2D(count, 3, padding="same", activation="relu", name=f"conv{number}"),
            layers.SeparableConv2D(count, 3, padding="same", activation="relu", name=f"separable{number}"),
            layers.MaxPooling2D(2, name=f"pool{number}"),
            *dropout(dropout_rate, f"dropout{number}"),
        ]
    return [
        *body,
        layers.Flatten(name="flatten"),
        layers.Dense(128, activation="relu", name="dense"),
        *dropout(dropout_rate, "dropout4", factor=2),
    ]


def caltech_small_body(dropout_rate: float | None, **_) -> list:
    """Three small conv/pool blocks and a Dense(128) (the article gives no sizes: 128 is ours)."""
    from keras import layers

    return [
        *conv_pool_blocks([16, 32, 64]),
        layers.Flatten(name="flatten"),
        layers.Dense(128, activation="relu", name="dense"),
    ]


def malaria_body(dropout_rate: float | None, **_) -> list:
    """Two conv blocks and two dense blocks, each with batch normalization and dropout."""
    from keras import layers

    body = []
    for number in (1, 2):
        body += [
            layers.Conv2D(32, 3, padding="same", activation="relu", name=f"conv{number}"),
            layers.MaxPooling2D(2, name=f"pool{number}"),
            layers.BatchNormalization(name=f"batchnorm{number}"),
            *dropout(dropout_rate, f"dropout{number}"),
        ]
    body.append(layers.Flatten(name="flatten"))
    for number, units in ((3, 512), (4, 256)):
        body += [
            layers.Dense(units, activation="relu", name=f"dense{number - 2}"),
            layers.BatchNormalization(name=f"batchnorm{number}"),
            *dropout(dropout_rate, f"dropout{number}", factor=2),
        ]
    return body
