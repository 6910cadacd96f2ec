"""A run's settings as a validated, frozen RunConfig, and the label people tell runs apart by."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields
from enum import Enum
from pathlib import Path

from cnnviz.data.sources import DatasetName, DatasetSource
from cnnviz.errors import CnnvizError

MAX_LABEL_LENGTH = 80


class Optimizer(str, Enum):
    """The optimizers a run may train with (Keras's names)."""

    def __str__(self) -> str:
        return self.value  # in messages and f-strings, the name config.json stores

    RMSPROP = "rmsprop"
    ADAM = "adam"
    SGD = "sgd"


class Variant(str, Enum):
    """A run's part in the overfitting experiment: which of dropout and augmentation it switched on."""

    def __str__(self) -> str:
        return self.value  # in messages and f-strings, the name config.json stores

    BASELINE = "baseline"
    DROPOUT = "dropout"
    AUGMENTATION = "augmentation"
    BOTH = "both"


class Weights(str, Enum):
    """What a pretrained base (VGG16) starts from; a run may also name a local weights file instead."""

    def __str__(self) -> str:
        return self.value  # in messages and f-strings, the name config.json stores

    IMAGENET = "imagenet"  # ImageNet's weights: the Keras cache, else a download
    RANDOM = "random"  # no pretrained weights: a VGG16 trained from scratch, not transfer learning

    @property
    def title(self) -> str:
        """Return the choice in words, as the Train page offers it."""
        return {
            Weights.IMAGENET: "ImageNet (Keras cache)",
            Weights.RANDOM: "no pretrained weights: this is not transfer learning",
        }[self]


def parse_choice(kind: type[Enum], value: object, what: str) -> Enum:
    """Return `value` as a member of the enum `kind`, or raise CnnvizError naming the choices."""
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise CnnvizError(f"{what} must be one of {choices}; got {value!r}.") from None


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Everything that decides a run: recipe, data, hyperparameters, seed, and how people call it."""

    recipe: str  # a name of cnnviz.learning.recipes.RECIPES (that floor is above this one)
    dataset: DatasetName
    epochs: int
    batch_size: int
    learning_rate: float
    optimizer: Optimizer
    dataset_path: str | None = None
    limit: int | None = None
    validation_limit: int | None = None
    input_size: int | None = None  # the side of the network's square input, when asked for another than the recipe's
    augment: bool = False
    dropout: bool = False
    seed: int = 0
    weights: Weights | str | None = None  # a Weights choice, or the path of a local weights file
    label: str = ""
    variant: Variant | None = None
    experiment: str | None = None
    backend: str = ""
    device: str = ""
    versions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9_]{1,40}", self.recipe or ""):
            raise CnnvizError(f"A recipe name is lowercase letters, digits and _; got {self.recipe!r}.")
        object.__setattr__(self, "dataset", self.source.name)  # checks the name, and a folder's path
        for name, minimum in (("epochs", 1), ("batch_size", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                shown = name.replace("_", " ").capitalize()
                raise CnnvizError(f"{shown} must be a whole number ≥ {minimum}; got {value!r}.")
        if not (isinstance(self.learning_rate, (int, float)) and 0 < self.learning_rate < 10):
            raise CnnvizError(f"The learning rate must be a number between 0 and 10; got {self.learning_rate!r}.")
        object.__setattr__(self, "optimizer", parse_choice(Optimizer, self.optimizer, "The optimizer"))
        for name in ("limit", "validation_limit"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise CnnvizError(
                    f"A {name.replace('_', ' ')} is a whole number of images ≥ 1, or none; got {value!r}."
                )
        size = self.input_size
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or not 8 <= size <= 1024):
            raise CnnvizError(f"An input size is a whole number of pixels from 8 to 1024, or none; got {size!r}.")
        if self.variant is not None:
            object.__setattr__(self, "variant", parse_choice(Variant, self.variant, "An experiment variant"))
        if self.weights in (Weights.IMAGENET.value, Weights.RANDOM.value):
            object.__setattr__(self, "weights", Weights(self.weights))
        object.__setattr__(self, "label", clean_label(self.label) or describe_settings(self))

    @property
    def source(self) -> DatasetSource:
        """Return where the run's images come from: a built-in dataset, or a folder."""
        return DatasetSource(self.dataset, self.dataset_path)

    @property
    def weights_to_load(self) -> Weights | Path | None:
        """Return the pretrained weights a build loads: ImageNet's, a local file, or None (random, or no base)."""
        if self.weights is None or self.weights is Weights.RANDOM:
            return None
        return self.weights if isinstance(self.weights, Weights) else Path(self.weights)

    def to_json(self) -> dict:
        """Return the config as the JSON object stored in config.json (enums as their values)."""
        return {key: value.value if isinstance(value, Enum) else value for key, value in asdict(self).items()}

    @classmethod
    def from_json(cls, data: dict) -> RunConfig:
        """Return the config stored in a config.json object (unknown keys, from older or newer cnnviz, are ignored)."""
        known = {item.name for item in fields(cls)}
        try:
            return cls(**{key: value for key, value in data.items() if key in known})
        except TypeError as error:
            raise CnnvizError(f"This run's config.json is incomplete ({error}); start the run again.") from None


def clean_label(label: str) -> str:
    """Return a label with its whitespace tidied and its length capped (it is shown, never used as a path)."""
    return " ".join(str(label or "").split())[:MAX_LABEL_LENGTH]


def describe_data(dataset: DatasetName, limit: int | None, folder: str | None = None) -> str:
    """Return what a run trains on in words, e.g. 'Fashion-MNIST · 1,000 images', or 'folder cup-and-phone · …'."""
    images = f"{limit:,} images" if limit else "all images"
    # A class server holds many folders (each student's own photos): the folder's name tells their runs apart.
    name = f"folder {Path(folder).name}" if folder else DatasetName.parse(dataset).title
    return f"{name} · {images}"


def describe_settings(config: RunConfig) -> str:
    """Return a label to tell runs apart by, e.g. 'Fashion-MNIST · 1,000 images · dropout + augmentation'."""
    switches = (("dropout", config.dropout), ("augmentation", config.augment))
    regularisation = " + ".join(name for name, on in switches if on) or "no dropout, no augmentation"
    return f"{describe_data(config.dataset, config.limit, config.dataset_path)} · {regularisation}"
