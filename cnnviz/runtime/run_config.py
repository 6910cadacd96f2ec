"""A run's settings as a validated, frozen RunConfig, and the label people tell runs apart by."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, fields

from cnnviz.errors import CnnvizError, InvalidDataset

OPTIMIZERS = ("rmsprop", "adam", "sgd")
VARIANTS = ("baseline", "dropout", "augmentation", "both")
DATASET_TITLES = {
    "fashion_mnist": "Fashion-MNIST",
    "lfw_faces": "LFW faces",
    "folder": "a folder",
    "cats_vs_dogs": "dogs vs cats",
    "malaria": "malaria cells",
    "caltech101": "Caltech 101",
}
MAX_LABEL_LENGTH = 80


@dataclass(frozen=True, kw_only=True)
class RunConfig:
    """Everything that decides a run: recipe, data, hyperparameters, seed, and how people call it."""

    recipe: str
    dataset: str
    epochs: int
    batch_size: int
    learning_rate: float
    optimizer: str
    dataset_path: str | None = None
    limit: int | None = None
    validation_limit: int | None = None
    augment: bool = False
    dropout: bool = False
    seed: int = 0
    weights: str | None = None
    label: str = ""
    variant: str | None = None
    experiment: str | None = None
    backend: str = ""
    device: str = ""
    versions: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[a-z0-9_]{1,40}", self.recipe or ""):
            raise CnnvizError(f"A recipe name is lowercase letters, digits and _; got {self.recipe!r}.")
        if self.dataset == "folder" and not self.dataset_path:
            raise InvalidDataset("A folder dataset needs its path: give the folder that holds the class folders.")
        for name, minimum in (("epochs", 1), ("batch_size", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
                shown = name.replace("_", " ").capitalize()
                raise CnnvizError(f"{shown} must be a whole number ≥ {minimum}; got {value!r}.")
        if not (isinstance(self.learning_rate, (int, float)) and 0 < self.learning_rate < 10):
            raise CnnvizError(f"The learning rate must be a number between 0 and 10; got {self.learning_rate!r}.")
        if self.optimizer not in OPTIMIZERS:
            raise CnnvizError(f"The optimizer must be one of {', '.join(OPTIMIZERS)}; got {self.optimizer!r}.")
        for name in ("limit", "validation_limit"):
            value = getattr(self, name)
            if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
                raise CnnvizError(
                    f"A {name.replace('_', ' ')} is a whole number of images ≥ 1, or none; got {value!r}."
                )
        if self.variant is not None and self.variant not in VARIANTS:
            raise CnnvizError(f"An experiment variant is one of {', '.join(VARIANTS)}; got {self.variant!r}.")
        object.__setattr__(self, "label", clean_label(self.label) or describe_settings(self))

    def to_json(self) -> dict:
        """Return the config as the JSON object stored in config.json."""
        return asdict(self)

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


def describe_data(dataset: str, limit: int | None) -> str:
    """Return what a run trains on in words, e.g. 'Fashion-MNIST · 1,000 images'."""
    images = f"{limit:,} images" if limit else "all images"
    return f"{DATASET_TITLES.get(dataset, dataset)} · {images}"


def describe_settings(config: RunConfig) -> str:
    """Return a label to tell runs apart by, e.g. 'Fashion-MNIST · 1,000 images · dropout + augmentation'."""
    switches = (("dropout", config.dropout), ("augmentation", config.augment))
    regularisation = " + ".join(name for name, on in switches if on) or "no dropout, no augmentation"
    return f"{describe_data(config.dataset, config.limit)} · {regularisation}"
