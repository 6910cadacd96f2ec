"""Every network of the source tutorials as a recipe: its layers, its settings, and how it trains.

This module does not import Keras (the body functions import it when a model is built), so the
Train, Compare and Layers pages can list recipes at once. Adding a recipe touches this file only:
what the network takes, its training stages and its pretrained base are fields, not name checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum

from cnnviz.data.splits import ClassSelection
from cnnviz.errors import CnnvizError
from cnnviz.learning.augmentation_spec import TUTORIAL_AUGMENTATION, AugmentationSpec
from cnnviz.learning.recipe_bodies import (
    caltech_small_body,
    catsdogs_body,
    fashion_separable_body,
    malaria_body,
    vgg16_features_body,
    vgg16_frozen_body,
)
from cnnviz.runtime.run_config import Optimizer, Weights

CHOLLET = "Chollet, Deep Learning with Python (1st ed.), 5.2-5.3: cats vs dogs"
CHOLLET_NOTEBOOK = "the book's notebook 5.3-using-a-pretrained-convnet (fchollet/deep-learning-with-python-notebooks)"


class Head(Enum):
    """A recipe's output layer."""

    SIGMOID = "sigmoid"  # Dense(1, sigmoid) for two classes
    SOFTMAX = "softmax"  # Dense(num_classes, softmax)


class PretrainedBase(str, Enum):
    """A pretrained convolutional base a recipe builds on (the value is its layer's name in the model)."""

    VGG16 = "vgg16"  # ImageNet's VGG16 conv base


@dataclass(frozen=True)
class ReportedFigure:
    """An accuracy a tutorial reported for its network: a reference line, not a promise."""

    accuracy: float
    split: str  # "validation", "test" or "training", as the tutorial measured it
    when: str  # e.g. "after 10 epochs"
    source: str | None = None  # where it was printed, when not the recipe's own source


class NetworkInput(Enum):
    """What the trained network takes: raw images, or features a frozen pretrained base computed once."""

    IMAGES = "images"
    VGG16_FEATURES = "vgg16_features"


@dataclass(frozen=True, kw_only=True)
class TrainingStage:
    """One call of fit: its share of the run's epochs, its learning rate, and which base layers train."""

    epoch_share: float = 1.0
    learning_rate: float | None = None  # None: the run's own learning rate
    trainable_base_prefix: str | None = None  # e.g. "block5_conv": those pretrained layers train in this stage


@dataclass(frozen=True, kw_only=True)
class Recipe:
    """A network from a tutorial with the settings it was trained with there."""

    name: str
    title: str
    description: str
    source: str
    input_shape: tuple[int, int, int]  # what the Keras model takes
    head: Head
    num_classes: int
    optimizer: Optimizer
    learning_rate: float
    batch_size: int
    epochs: int
    body: Callable[..., list]
    augmentation: AugmentationSpec | None = None
    dropout_rate: float | None = None
    book_accuracy: float | None = None  # Deep Learning with Python's validation accuracy
    reported: tuple[ReportedFigure, ...] = ()  # what the recipe's own tutorial reported (its `source`)
    pretrained_base: PretrainedBase | None = None
    network_input: NetworkInput = NetworkInput.IMAGES
    image_shape: tuple[int, int, int] | None = None  # the images fed in, when the network takes features
    stages: tuple[TrainingStage, ...] = (TrainingStage(),)
    note: str = ""  # where cnnviz's recipe and its tutorial differ, in one line
    cnnviz_layers: tuple[str, ...] = ()  # layers cnnviz adds to the tutorial's network: Dropout, gone when it is off
    resizes_data: bool = False  # data of another size is resized to input_shape (the tutorial's), not the net to it
    tutorial_limit: int | None = None  # the training images the tutorial used, a subset the Train page offers
    class_selection: ClassSelection | None = None  # the classes (and images of each) the tutorial took from a set

    @property
    def fed_image_shape(self) -> tuple[int, int, int]:
        """Return the shape of the images this recipe is fed (the features' source images for VGG16 features)."""
        return self.image_shape or self.input_shape

    @property
    def keeps_image_size(self) -> bool:
        """Return whether the network takes a dataset's own image size (a pretrained base or the tutorial fix it)."""
        return self.pretrained_base is None and not self.resizes_data

    @property
    def tutorial_subset(self) -> str:
        """Return the training images the tutorial used in words, one term a class: "500 + 500 images"."""
        if self.tutorial_limit is None:
            return ""
        return " + ".join([f"{self.tutorial_limit // self.num_classes:,}"] * self.num_classes) + " images"

    @property
    def default_weights(self) -> Weights | None:
        """Return the pretrained weights a run starts from by default."""
        return Weights.IMAGENET if self.pretrained_base else None

    def stage_epochs(self, epochs: int) -> list[int]:
        """Return how many of `epochs` each training stage runs (each at least one)."""
        if len(self.stages) == 1:
            return [epochs]
        counts = [max(1, round(epochs * stage.epoch_share)) for stage in self.stages[:-1]]
        return [*counts, max(1, epochs - sum(counts))]


def own_photos_body(dropout_rate: float | None, **_) -> list:
    """Three small conv/pool blocks (16, 32, 64 filters) and Dense(64): few weights, for a class's 2 × 30 photos."""
    from keras import layers

    blocks = []
    for number, count in enumerate((16, 32, 64), start=1):
        blocks += [
            layers.Conv2D(count, 3, activation="relu", name=f"conv{number}"),
            layers.MaxPooling2D(2, name=f"pool{number}"),
        ]
    return [
        *blocks,
        layers.Flatten(name="flatten"),
        *([layers.Dropout(dropout_rate, name="dropout")] if dropout_rate else []),
        layers.Dense(64, activation="relu", name="dense"),
    ]


RECIPES: dict[str, Recipe] = {
    recipe.name: recipe
    for recipe in [
        Recipe(
            name="catsdogs_baseline",
            title="Cats vs dogs: small convnet",
            description="Four Conv2D/MaxPooling2D blocks and Dense(512) trained from scratch on 2,000 images: it "
            "overfits within a few epochs.",
            source=CHOLLET + " (listing 5.5)",
            input_shape=(150, 150, 3),
            head=Head.SIGMOID,
            num_classes=2,
            optimizer=Optimizer.RMSPROP,
            learning_rate=1e-4,
            batch_size=20,
            epochs=30,
            body=catsdogs_body,
            book_accuracy=0.71,
        ),
        Recipe(
            name="catsdogs_dropout_augment",
            title="Cats vs dogs: dropout + augmentation",
            description="The same convnet with Dropout(0.5) before the dense layer and the tutorial's augmentation.",
            source=CHOLLET + " (listing 5.13)",
            input_shape=(150, 150, 3),
            head=Head.SIGMOID,
            num_classes=2,
            optimizer=Optimizer.RMSPROP,
            learning_rate=1e-4,
            batch_size=32,
            epochs=100,
            body=catsdogs_body,
            augmentation=TUTORIAL_AUGMENTATION,
            dropout_rate=0.5,
            book_accuracy=0.82,
        ),
        Recipe(
            name="vgg16_feature_extraction",
            title="VGG16 feature extraction",
            description="VGG16's conv base (ImageNet weights) turns each 150×150 image into 4×4×512 features once; "
            "only this small classifier trains on them. Predict runs the same base first.",
            source=CHOLLET + " (listing 5.17-5.18)",
            input_shape=(4, 4, 512),
            head=Head.SIGMOID,
            num_classes=2,
            optimizer=Optimizer.RMSPROP,
            learning_rate=2e-5,
            batch_size=20,
            epochs=30,
            body=vgg16_features_body,
            dropout_rate=0.5,
            book_accuracy=0.90,
            pretrained_base=PretrainedBase.VGG16,
            network_input=NetworkInput.VGG16_FEATURES,
            image_shape=(150, 150, 3),
        ),
        Recipe(
            name="vgg16_frozen_augment",
            title="VGG16 frozen base + augmentation",
            description="VGG16's conv base, frozen, inside the model with a new classifier on top, trained with "
            "augmentation.",
            source=CHOLLET + " (listing 5.20-5.21)",
            input_shape=(150, 150, 3),
            head=Head.SIGMOID,
            num_classes=2,
            optimizer=Optimizer.RMSPROP,
            learning_rate=2e-5,
            batch_size=20,
            epochs=30,
            body=vgg16_frozen_body,
            augmentation=TUTORIAL_AUGMENTATION,
            book_accuracy=0.96,
            pretrained_base=PretrainedBase.VGG16,
        ),
        Recipe(
            name="vgg16_fine_tune",
            title="VGG16 fine-tuning (block5 unfrozen)",
            description="Stage 1 trains the classifier on the frozen base; stage 2 unfreezes block5_conv1..3 and "
            "trains on with a smaller learning rate. The layer table shows the stage-2 model.",
            source=CHOLLET + " (listing 5.22-5.23)",
            input_shape=(150, 150, 3),
            head=Head.SIGMOID,
            num_classes=2,
            optimizer=Optimizer.RMSPROP,
            learning_rate=1e-5,
            batch_size=20,
            epochs=100,
            body=vgg16_frozen_body,
            augmentation=TUTORIAL_AUGMENTATION,
            book_accuracy=0.97,
            # The notebook's printed "test acc: 0.967999992371", which the book rounds to 97%.
            reported=(ReportedFigure(0.968, "test", "after 100 epochs at 1e-5", source=CHOLLET_NOTEBOOK),),
            pretrained_base=PretrainedBase.VGG16,
            stages=(
                TrainingStage(epoch_share=0.25, learning_rate=2e-5),
                TrainingStage(trainable_base_prefix="block5_conv"),
            ),
            note="The book's schedule: the tutorial's own notes train 100 epochs at 1e-5 with only block5_conv1 "
            "unfrozen in their code; cnnviz unfreezes block5_conv1..3, after a first stage on the frozen base.",
        ),
        Recipe(
            name="fashion_separable",
            title="Fashion-MNIST with separable convolutions",
            description="Conv2D + SeparableConv2D pairs: the separable layer needs far fewer weights for the same "
            "output.",
            source="Fashion-MNIST separable-convolution tutorial",
            reported=(ReportedFigure(0.8406, "validation", "after 10 epochs"),),
            input_shape=(28, 28, 1),
            head=Head.SOFTMAX,
            num_classes=10,
            optimizer=Optimizer.ADAM,
            learning_rate=1e-3,
            batch_size=32,
            epochs=10,
            body=fashion_separable_body,
            dropout_rate=0.25,
            cnnviz_layers=("dropout1", "dropout2", "dropout3", "dropout4"),
            note="The tutorial's network has no Dropout: dropout1-4 are cnnviz's (no parameters; without them it "
            "overfits by epoch 7). Switch Dropout off to train the network as the tutorial built it.",
        ),
        Recipe(
            name="caltech_small",
            title="Airplanes vs motorbikes (Caltech 101)",
            description="A small three-block convnet. The article omits the exact sizes: 3×3 kernels and Dense(128) "
            "are cnnviz's choice, which gives a little over 2 million parameters as it reports.",
            source="Airplanes vs motorbikes article (Caltech 101)",
            reported=(
                ReportedFigure(0.9969, "training", "after 5 epochs"),
                ReportedFigure(0.9937, "test", "after 5 epochs"),
            ),
            input_shape=(150, 150, 3),
            head=Head.SIGMOID,
            num_classes=2,
            optimizer=Optimizer.ADAM,
            learning_rate=1e-3,
            batch_size=32,
            epochs=5,
            body=caltech_small_body,
            # Caltech 101's folder names: 101_ObjectCategories/airplanes (800 images), …/Motorbikes (798).
            class_selection=ClassSelection(("airplanes", "Motorbikes"), train_per_class=640, validation_per_class=160),
            note="From a Caltech 101 folder or tensorflow-datasets' caltech101 it takes the tutorial's two classes, "
            "airplanes and Motorbikes, 640 + 160 images of each, and trains 5 epochs as the tutorial did.",
        ),
        Recipe(
            name="malaria_batchnorm",
            title="Malaria cells with batch normalization",
            description="Two conv blocks and two dense blocks, each followed by BatchNormalization and Dropout "
            "(0.2 after the conv blocks, 0.4 after the dense ones: cnnviz's choice where the tutorial is silent).",
            source="Malaria cell images tutorial (NIH dataset)",
            reported=(ReportedFigure(0.6950, "test", "its training curve overfitting"),),
            input_shape=(64, 64, 3),
            head=Head.SOFTMAX,
            num_classes=2,
            optimizer=Optimizer.ADAM,
            learning_rate=1e-3,
            batch_size=32,
            epochs=25,
            body=malaria_body,
            dropout_rate=0.2,
            resizes_data=True,
            tutorial_limit=1000,
            note="The tutorial's network takes 64×64×3 images and trained on 500 + 500 of them: images of another "
            "size (tensorflow-datasets' are 150×150, a folder's anything) are resized to 64×64×3, so the count "
            "stays 4,340,130.",
        ),
        Recipe(
            name="own_photos_small",
            title="Your photos: small convnet (64×64)",
            description="Three small Conv2D/MaxPooling2D blocks and Dense(64) from scratch at 64×64, for the "
            "photos a class takes on the Your data page: 30 photos a class overfit within a few dozen epochs.",
            source="cnnviz, for the class's own photos (Your data page)",
            input_shape=(64, 64, 3),
            head=Head.SOFTMAX,
            num_classes=2,
            optimizer=Optimizer.ADAM,
            learning_rate=1e-3,
            batch_size=16,
            epochs=40,
            body=own_photos_body,
            # Photos held by hand: mirrored, a little off centre, nearer or further, in another light. No turns
            # or shears: a phone photographed upright stays upright, and 64×64 pixels have few to spare.
            augmentation=AugmentationSpec(
                width_shift_range=0.1,
                height_shift_range=0.1,
                zoom_range=0.15,
                horizontal_flip=True,
                brightness_range=(0.7, 1.3),
                fill_mode="nearest",
            ),
            dropout_rate=0.5,
        ),
    ]
}


def get_recipe(name: str) -> Recipe:
    """Return the recipe called `name`, or raise CnnvizError listing the names there are."""
    if name not in RECIPES:
        raise CnnvizError(f"There is no recipe called {name!r}; choose one of {', '.join(RECIPES)}.")
    return RECIPES[name]
