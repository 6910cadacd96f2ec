"""Building, compiling and adapting the recipes' networks with Keras 3 layers only.

Every model takes raw pixel values (0..255) and scales them itself (a Rescaling layer, or the
augmentation layer's rescale), so a dropped photo and a training batch go in the same way.
Neither adds parameters, so the counts are the tutorials' own.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import keras
from keras import layers

from cnnviz.errors import CnnvizError, WeightsUnavailable
from cnnviz.learning import augment
from cnnviz.learning.augmentation_spec import AugmentationSpec
from cnnviz.learning.recipes import Head, NetworkInput, PretrainedBase, Recipe, TrainingStage, get_recipe
from cnnviz.runtime.run_config import Optimizer, Weights, parse_choice

VGG16_WEIGHTS_FILE = "vgg16_weights_tf_dim_ordering_tf_kernels_notop.h5"
DEFAULT = object()  # "use the recipe's own setting"


def build(
    name: str,
    input_shape: tuple[int, int, int] | None = None,
    num_classes: int | None = None,
    weights: Weights | Path | None = None,
    dropout_rate: float | None | object = DEFAULT,
    augmentation: AugmentationSpec | None | object = DEFAULT,
    final_stage: bool = True,
) -> keras.Model:
    """Build recipe `name`, adapted to another input shape or number of classes when given.

    A recipe trained in stages (fine-tuning) is built as its last stage has it, or its first with
    final_stage=False.

    weights only matters for the VGG16 recipes: Weights.IMAGENET (Keras cache, else download), a local
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
    takes_images = recipe.network_input is NetworkInput.IMAGES
    if recipe.pretrained_base is PretrainedBase.VGG16 and takes_images:
        vgg16_base = build_vgg16_base(input_shape, weights)
        apply_stage(vgg16_base, recipe.stages[-1] if final_stage else recipe.stages[0])
    preprocessing = [input_scaling(augmentation)] if takes_images else []
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
    return augment.make_layer(replace(augmentation, rescale=1 / 255))


def output_layer(recipe: Recipe, num_classes: int) -> keras.layers.Layer:
    """Return Dense(1, sigmoid) for a two-class sigmoid recipe, else Dense(num_classes, softmax)."""
    if recipe.head is Head.SIGMOID and num_classes == 2:
        return layers.Dense(1, activation="sigmoid", name="prediction")
    return layers.Dense(num_classes, activation="softmax", name="prediction")


def loss_name(model: keras.Model) -> str:
    """Return the loss that fits the model's output: binary for one sigmoid unit, else sparse categorical."""
    return "binary_crossentropy" if model.output_shape[-1] == 1 else "sparse_categorical_crossentropy"


def compile_model(
    model: keras.Model, recipe: Recipe, learning_rate: float | None = None, optimizer: Optimizer | None = None
) -> keras.Model:
    """Compile with the recipe's optimizer and learning rate (or the ones given) and accuracy."""
    optimizers = {
        Optimizer.RMSPROP: keras.optimizers.RMSprop,
        Optimizer.ADAM: keras.optimizers.Adam,
        Optimizer.SGD: keras.optimizers.SGD,
    }
    chosen = parse_choice(Optimizer, optimizer or recipe.optimizer, "Optimizer")
    model.compile(
        optimizer=optimizers[chosen](learning_rate or recipe.learning_rate),
        loss=loss_name(model),
        metrics=["accuracy"],
    )
    return model


def build_vgg16_base(input_shape: tuple[int, int, int], weights: Weights | Path | str | None) -> keras.Model:
    """Return VGG16's conv base, or raise WeightsUnavailable naming both ways to supply the weights."""
    if weights is not None and weights != Weights.IMAGENET and not Path(weights).is_file():
        raise WeightsUnavailable(f"No VGG16 weights file at {weights}. Give the path of {VGG16_WEIGHTS_FILE}.")
    try:
        return keras.applications.VGG16(
            weights=keras_weights_argument(weights), include_top=False, input_shape=input_shape
        )
    except Exception as error:  # noqa: BLE001 - a failed download surfaces as many exception types
        if weights != Weights.IMAGENET:
            raise WeightsUnavailable(f"The file {weights} does not hold VGG16's conv-base weights ({error}).") from None
        raise WeightsUnavailable(
            "VGG16's ImageNet weights are not in the Keras cache and could not be downloaded "
            f"({type(error).__name__}). Either put {VGG16_WEIGHTS_FILE} in ~/.keras/models/, or give its path as "
            "the weights (as the tutorial did offline). Without them the network starts from random weights, "
            "which is not transfer learning."
        ) from None


def keras_weights_argument(weights: Weights | Path | str | None) -> str | None:
    """Return keras.applications' `weights`: "imagenet", a file path, or None for random weights."""
    if weights is None:
        return None
    return Weights.IMAGENET.value if weights == Weights.IMAGENET else str(weights)


def apply_stage(base: keras.Model, stage: TrainingStage) -> None:
    """Freeze a pretrained base, except the layers the stage trains (block5_conv1..3 in fine-tuning stage 2)."""
    prefix = stage.trainable_base_prefix
    base.trainable = prefix is not None
    if prefix is not None:
        for layer in base.layers:
            layer.trainable = layer.name.startswith(prefix)


def build_feature_extractor(
    weights: Weights | Path | None, image_shape: tuple[int, int, int] = (150, 150, 3)
) -> keras.Model:
    """Return the frozen VGG16 base that maps raw 0..255 images to 4×4×512 features (book scaling: /255)."""
    base = build_vgg16_base(image_shape, weights)
    extractor = keras.Sequential(
        [keras.Input(image_shape), layers.Rescaling(1 / 255, name="rescaling"), base], name="vgg16_features"
    )
    extractor.trainable = False
    return extractor
