"""Every network of the source tutorials as a recipe, built with Keras 3 layers only.

Every model takes raw pixel values (0..255) and scales them itself (a Rescaling layer, or the
augmentation layer's rescale), so a dropped photo and a training batch go in the same way.
Neither adds parameters, so the counts are the tutorials' own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import keras
from keras import layers

from cnnviz.errors import CnnvizError, WeightsUnavailable
from cnnviz.learning.augment import TUTORIAL_AUGMENTATION, AugmentationSpec

CHOLLET = "Chollet, Deep Learning with Python (1st ed.), 5.2-5.3: cats vs dogs"
VGG16_WEIGHTS_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
DEFAULT = object()  # "use the recipe's own setting"


@dataclass(frozen=True)
class Recipe:
    """A network from a tutorial with the settings it was trained with there."""

    name: str
    title: str
    description: str
    source: str
    input_shape: tuple[int, int, int]
    head: str  # "sigmoid": Dense(1) for two classes; "softmax": Dense(num_classes)
    num_classes: int
    optimizer: str
    learning_rate: float
    batch_size: int
    epochs: int
    body: Callable[..., list]
    augmentation: AugmentationSpec | None = None
    dropout_rate: float | None = None
    uses_vgg16: bool = False
    book_accuracy: float | None = None
    extra: dict = field(default_factory=dict)


def dropout(rate: float | None, factor: float = 1) -> list:
    """Return a new Dropout(rate × factor) layer in a list, or an empty list when dropout is off."""
    return [layers.Dropout(min(0.9, rate * factor))] if rate else []


def conv_pool_blocks(filters: list[int], padding: str = "valid") -> list:
    """Return Conv2D(3×3, relu) + MaxPooling2D(2) for each filter count."""
    blocks = []
    for count in filters:
        blocks += [layers.Conv2D(count, 3, activation="relu", padding=padding), layers.MaxPooling2D(2)]
    return blocks


def catsdogs_body(dropout_rate: float | None, **_) -> list:
    """The book's small convnet: four conv/pool blocks, Dense(512)."""
    return [
        *conv_pool_blocks([32, 64, 128, 128]),
        layers.Flatten(),
        *dropout(dropout_rate),
        layers.Dense(512, activation="relu"),
    ]


def vgg16_features_body(dropout_rate: float | None, **_) -> list:
    """The densely connected classifier trained on VGG16's 4×4×512 conv features."""
    return [layers.Flatten(), layers.Dense(256, activation="relu"), *dropout(dropout_rate)]


def vgg16_frozen_body(vgg16_base: keras.Model, **_) -> list:
    """VGG16's convolutional base, then Flatten and Dense(256)."""
    return [vgg16_base, layers.Flatten(), layers.Dense(256, activation="relu")]


def fashion_separable_body(dropout_rate: float | None, **_) -> list:
    """Conv2D then SeparableConv2D (same padding) at 32, 64 and 128 filters, each pair pooled.

    Dropout (after each pool, doubled before the classifier) is cnnviz's addition: it has no
    parameters, so the counts stay the tutorial's, and it keeps the net from overfitting by epoch 7.
    """
    body = []
    for count in (32, 64, 128):
        body += [
            layers.Conv2D(count, 3, padding="same", activation="relu"),
            layers.SeparableConv2D(count, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            *dropout(dropout_rate),
        ]
    return [*body, layers.Flatten(), layers.Dense(128, activation="relu"), *dropout(dropout_rate, 2)]


def caltech_small_body(dropout_rate: float | None, **_) -> list:
    """Three small conv/pool blocks and a Dense(128) (the article gives no sizes: 128 is ours)."""
    return [*conv_pool_blocks([16, 32, 64]), layers.Flatten(), layers.Dense(128, activation="relu")]


def malaria_body(dropout_rate: float | None, **_) -> list:
    """Two conv blocks and two dense blocks, each with batch normalization and dropout."""
    body = []
    for _ in range(2):
        body += [
            layers.Conv2D(32, 3, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.BatchNormalization(),
            *dropout(dropout_rate),
        ]
    body.append(layers.Flatten())
    for units in (512, 256):
        body += [layers.Dense(units, activation="relu"), layers.BatchNormalization(), *dropout(dropout_rate, 2)]
    return body


RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in [
        Recipe(
            "catsdogs_baseline",
            "Cats vs dogs: small convnet",
            "Four Conv2D/MaxPooling2D blocks and Dense(512) trained from scratch on 2,000 images: it overfits "
            "within a few epochs.",
            CHOLLET + " (listing 5.5)",
            (150, 150, 3),
            "sigmoid",
            2,
            "rmsprop",
            1e-4,
            20,
            30,
            catsdogs_body,
            book_accuracy=0.71,
        ),
        Recipe(
            "catsdogs_dropout_augment",
            "Cats vs dogs: dropout + augmentation",
            "The same convnet with Dropout(0.5) before the dense layer and the tutorial's augmentation.",
            CHOLLET + " (listing 5.13)",
            (150, 150, 3),
            "sigmoid",
            2,
            "rmsprop",
            1e-4,
            32,
            100,
            catsdogs_body,
            augmentation=TUTORIAL_AUGMENTATION,
            dropout_rate=0.5,
            book_accuracy=0.82,
        ),
        Recipe(
            "vgg16_feature_extraction",
            "VGG16 feature extraction",
            "VGG16's conv base (ImageNet weights) turns each 150×150 image into 4×4×512 features once; only "
            "this small classifier trains on them.",
            CHOLLET + " (listing 5.17-5.18)",
            (4, 4, 512),
            "sigmoid",
            2,
            "rmsprop",
            2e-5,
            20,
            30,
            vgg16_features_body,
            dropout_rate=0.5,
            uses_vgg16=True,
            book_accuracy=0.90,
            extra={"image_shape": (150, 150, 3)},
        ),
        Recipe(
            "vgg16_frozen_augment",
            "VGG16 frozen base + augmentation",
            "VGG16's conv base, frozen, inside the model with a new classifier on top, trained with augmentation.",
            CHOLLET + " (listing 5.20-5.21)",
            (150, 150, 3),
            "sigmoid",
            2,
            "rmsprop",
            2e-5,
            20,
            30,
            vgg16_frozen_body,
            augmentation=TUTORIAL_AUGMENTATION,
            uses_vgg16=True,
            book_accuracy=0.96,
        ),
        Recipe(
            "vgg16_fine_tune",
            "VGG16 fine-tuning (block5 unfrozen)",
            "Stage 1 trains the classifier on the frozen base; stage 2 unfreezes block5_conv1..3 and trains on "
            "with a smaller learning rate. build() returns the stage-2 model.",
            CHOLLET + " (listing 5.22-5.23)",
            (150, 150, 3),
            "sigmoid",
            2,
            "rmsprop",
            1e-5,
            20,
            100,
            vgg16_frozen_body,
            augmentation=TUTORIAL_AUGMENTATION,
            uses_vgg16=True,
            book_accuracy=0.97,
            extra={"first_stage_learning_rate": 2e-5, "first_stage_epochs": 30},
        ),
        Recipe(
            "fashion_separable",
            "Fashion-MNIST with separable convolutions",
            "Conv2D + SeparableConv2D pairs: the separable layer needs far fewer weights for the same output.",
            "Fashion-MNIST separable-convolution tutorial",
            (28, 28, 1),
            "softmax",
            10,
            "adam",
            1e-3,
            32,
            10,
            fashion_separable_body,
            dropout_rate=0.25,
        ),
        Recipe(
            "caltech_small",
            "Airplanes vs motorbikes (Caltech 101)",
            "A small three-block convnet. The article omits the exact sizes: 3×3 kernels and Dense(128) are "
            "cnnviz's choice, which gives a little over 2 million parameters as it reports.",
            "Airplanes vs motorbikes article (Caltech 101)",
            (150, 150, 3),
            "sigmoid",
            2,
            "adam",
            1e-3,
            32,
            15,
            caltech_small_body,
        ),
        Recipe(
            "malaria_batchnorm",
            "Malaria cells with batch normalization",
            "Two conv blocks and two dense blocks, each followed by BatchNormalization and Dropout "
            "(0.2 after the conv blocks, 0.4 after the dense ones: cnnviz's choice where the tutorial is silent).",
            "Malaria cell images tutorial (NIH dataset)",
            (64, 64, 3),
            "softmax",
            2,
            "adam",
            1e-3,
            32,
            25,
            malaria_body,
            dropout_rate=0.2,
        ),
    ]
}


def get_recipe(name: str) -> Recipe:
    """Return the recipe called `name`, or raise CnnvizError listing the names there are."""
    if name not in RECIPES:
        raise CnnvizError(f"There is no recipe called {name!r}; choose one of {', '.join(RECIPES)}.")
    return RECIPES[name]


def build(
    name: str,
    input_shape: tuple[int, int, int] | None = None,
    num_classes: int | None = None,
    weights: str | Path | None = None,
    dropout_rate: float | None | object = DEFAULT,
    augmentation: AugmentationSpec | None | object = DEFAULT,
) -> keras.Model:
    """Build recipe `name`, adapted to another input shape or number of classes when given.

    weights only matters for the VGG16 recipes: "imagenet" (Keras cache, else download), a local
    .h5 path (the tutorial's own offline workaround), or None for random weights.
    """
    recipe = get_recipe(name)
    input_shape = tuple(input_shape or recipe.input_shape)
    num_classes = num_classes or recipe.num_classes
    if num_classes < 2:
        raise CnnvizError(f"A classifier needs at least 2 classes; got {num_classes}.")
    dropout_rate = recipe.dropout_rate if dropout_rate is DEFAULT else dropout_rate
    augmentation = recipe.augmentation if augmentation is DEFAULT else augmentation
    vgg16_base = None
    if recipe.uses_vgg16 and recipe.name != "vgg16_feature_extraction":
        vgg16_base = build_vgg16_base(input_shape, weights)
        vgg16_base.trainable = False
        if recipe.name == "vgg16_fine_tune":
            unfreeze_block5(vgg16_base)
    preprocessing = [] if recipe.name == "vgg16_feature_extraction" else [input_scaling(augmentation)]
    model = keras.Sequential(name=recipe.name)
    model.add(keras.Input(input_shape))
    try:
        for layer in [
            *preprocessing,
            *recipe.body(dropout_rate=dropout_rate, vgg16_base=vgg16_base),
            output_layer(recipe, num_classes),
        ]:
            model.add(layer)
    except ValueError as error:
        raise CnnvizError(
            f"{recipe.title} cannot take {input_shape[0]}×{input_shape[1]} images: the feature maps shrink to "
            f"nothing before the end. Resize the images to at least the recipe's {recipe.input_shape[0]}×"
            f"{recipe.input_shape[1]}. ({error})"
        ) from None
    return model


def input_scaling(augmentation: AugmentationSpec | None) -> keras.layers.Layer:
    """Return the layer that scales raw pixels by 1/255 (as the tutorials' rescale), augmenting when training.

    The book fed VGG16's ImageNet weights 0..1 pixels too, not VGG16's own caffe preprocessing.
    """
    if augmentation is None:
        return layers.Rescaling(1 / 255, name="rescaling")
    return replace(augmentation, rescale=1 / 255).as_layer()


def output_layer(recipe: Recipe, num_classes: int) -> keras.layers.Layer:
    """Return Dense(1, sigmoid) for a two-class sigmoid recipe, else Dense(num_classes, softmax)."""
    if recipe.head == "sigmoid" and num_classes == 2:
        return layers.Dense(1, activation="sigmoid", name="prediction")
    return layers.Dense(num_classes, activation="softmax", name="prediction")


def loss_name(model: keras.Model) -> str:
    """Return the loss that fits the model's output: binary for one sigmoid unit, else sparse categorical."""
    return "binary_crossentropy" if model.output_shape[-1] == 1 else "sparse_categorical_crossentropy"


def compile_model(
    model: keras.Model, recipe: Recipe, learning_rate: float | None = None, optimizer: str | None = None
) -> keras.Model:
    """Compile with the recipe's optimizer and learning rate (or the ones given) and accuracy."""
    optimizers = {"rmsprop": keras.optimizers.RMSprop, "adam": keras.optimizers.Adam, "sgd": keras.optimizers.SGD}
    optimizer = optimizer or recipe.optimizer
    if optimizer not in optimizers:
        raise CnnvizError(f"Optimizer must be one of {', '.join(optimizers)}; got {optimizer!r}.")
    model.compile(
        optimizer=optimizers[optimizer](learning_rate or recipe.learning_rate),
        loss=loss_name(model),
        metrics=["accuracy"],
    )
    return model


def build_vgg16_base(input_shape: tuple[int, int, int], weights: str | Path | None) -> keras.Model:
    """Return VGG16's conv base, or raise WeightsUnavailable naming both ways to supply the weights."""
    if weights is not None and weights != "imagenet" and not Path(weights).is_file():
        raise WeightsUnavailable(f"No VGG16 weights file at {weights}. Give the path of {VGG16_WEIGHTS_FILE}.")
    try:
        return keras.applications.VGG16(
            weights=None if weights is None else str(weights), include_top=False, input_shape=input_shape
        )
    except Exception as error:  # noqa: BLE001 - a failed download surfaces as many exception types
        if weights != "imagenet":
            raise WeightsUnavailable(f"The file {weights} does not hold VGG16's conv-base weights ({error}).") from None
        raise WeightsUnavailable(
            "VGG16's ImageNet weights are not in the Keras cache and could not be downloaded "
            f"({type(error).__name__}). Either put {VGG16_WEIGHTS_FILE} in ~/.keras/models/, or give its path as "
            "the weights (as the tutorial did offline). Without them the network starts from random weights, "
            "which is not transfer learning."
        ) from None


def unfreeze_block5(vgg16_base: keras.Model) -> None:
    """Make block5_conv1..3 trainable and keep everything before them frozen (fine-tuning stage 2)."""
    vgg16_base.trainable = True
    for layer in vgg16_base.layers:
        layer.trainable = layer.name.startswith("block5_conv")


def build_feature_extractor(
    weights: str | Path | None, image_shape: tuple[int, int, int] = (150, 150, 3)
) -> keras.Model:
    """Return the frozen VGG16 base that maps raw 0..255 images to 4×4×512 features (book scaling: /255)."""
    base = build_vgg16_base(image_shape, weights)
    extractor = keras.Sequential([keras.Input(image_shape), layers.Rescaling(1 / 255), base], name="vgg16_features")
    extractor.trainable = False
    return extractor
