"""The one Dataset shape: train / validation / optional test splits of raw 0..255 images, in memory or as files."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path

import numpy as np

from cnnviz.data import images
from cnnviz.errors import CnnvizError, InvalidDataset

VALIDATION_FRACTION = 0.2  # of a class's images: a folder's, an own-photo dataset's and a tfds selection's split


@dataclass(frozen=True)
class ClassSelection:
    """The classes a tutorial took from a larger dataset, and at most how many images of each it trained and validated.

    Caltech 101's airplanes and motorbikes, 640 + 160 of each: folders.load_folder reads only these class folders.
    """

    classes: tuple[str, ...]
    train_per_class: int
    validation_per_class: int

    def describe(self) -> str:
        """Return the selection in words: 'airplanes and Motorbikes, at most 640 + 160 images of each'."""
        names = " and ".join(self.classes)
        return f"{names}, at most {self.train_per_class:,} + {self.validation_per_class:,} images of each"


@dataclass
class Split:
    """One split of a dataset: images in memory or as files, decoded and resized batch by batch."""

    name: str
    labels: np.ndarray
    image_shape: tuple[int, int, int]
    images: np.ndarray | None = None
    paths: list[Path] | None = None

    def __len__(self) -> int:
        return len(self.labels)

    def load(self, indices: np.ndarray | list[int], image_shape: tuple[int, int, int] | None = None) -> np.ndarray:
        """Return the images at `indices` as float32 (n, H, W, C), resized and re-channelled if asked."""
        target = tuple(image_shape or self.image_shape)
        if self.images is not None:
            batch = self.images[np.asarray(indices, dtype=int)]
            if batch.shape[1:] == target:
                return batch.astype("float32")
            return np.stack([images.fit_image(image, target) for image in batch])
        return np.stack([images.fit_image(read_image_file(self.paths[i]), target) for i in indices])

    def to_numpy(self, image_shape: tuple[int, int, int] | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Return every image and label of the split as numpy arrays (for small splits)."""
        return self.load(np.arange(len(self)), image_shape), self.labels

    def batches(
        self, batch_size: int, image_shape: tuple[int, int, int] | None = None, shuffle: bool = False, seed: int = 0
    ) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """Yield (images, labels) batches once through the split."""
        order = np.random.default_rng(seed).permutation(len(self)) if shuffle else np.arange(len(self))
        for start in range(0, len(self), batch_size):
            indices = order[start : start + batch_size]
            yield self.load(indices, image_shape), self.labels[indices]

    def as_py_dataset(
        self, batch_size: int, image_shape: tuple[int, int, int] | None = None, shuffle: bool = False, seed: int = 0
    ):
        """Return a keras.utils.PyDataset over the split that never holds more than one batch in memory."""
        from cnnviz.data.feeding import SplitSequence

        return SplitSequence(self, batch_size, image_shape, shuffle, seed)

    def per_class_limited(self, per_class: int) -> Split:
        """Return at most `per_class` images of each class of the split, the first of each in its order."""
        chosen = np.sort(
            np.concatenate([np.flatnonzero(self.labels == label)[:per_class] for label in np.unique(self.labels)])
        )
        return self.subset(chosen)

    def subset(self, chosen: np.ndarray) -> Split:
        """Return the split's images at the indices `chosen`, in that order."""
        return Split(
            self.name,
            self.labels[chosen],
            self.image_shape,
            None if self.images is None else self.images[chosen],
            None if self.paths is None else [self.paths[index] for index in chosen],
        )

    def limited(self, limit: int | None) -> Split:
        """Return `limit` images of the split taking classes in turn, so every class stays (all when None)."""
        if limit is None or limit >= len(self):
            return self
        # Round-robin over classes: splits made from folders are stored class by class.
        per_class = [np.flatnonzero(self.labels == label) for label in np.unique(self.labels)]
        chosen = np.sort([index for group in zip_longest(*per_class) for index in group if index is not None][:limit])
        return self.subset(chosen)


@dataclass
class Dataset:
    """Train, validation and optional test splits with their class names and where they came from."""

    name: str
    class_names: list[str]
    image_shape: tuple[int, int, int]
    train: Split
    validation: Split
    test: Split | None
    source: str
    skipped: list[tuple[str, str]] = field(default_factory=list)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)

    @property
    def held_out(self) -> Split:
        """Return the images kept from training to judge it: the test split, else the validation split."""
        split = self.test if self.test is not None and len(self.test) else self.validation
        if split is None or len(split) == 0:
            raise CnnvizError("This dataset has neither a test nor a validation split to evaluate on.")
        return split

    def splits(self) -> dict[str, Split]:
        """Return the splits that exist, by name."""
        return {split.name: split for split in (self.train, self.validation, self.test) if split is not None}

    def counts(self) -> list[dict]:
        """Return one row per split and class: how many images it has."""
        return [
            {"split": split.name, "class": class_name, "images": int(np.sum(split.labels == index))}
            for split in self.splits().values()
            for index, class_name in enumerate(self.class_names)
        ]

    def count_table(self) -> list[dict]:
        """Return one row per class with its images in each split, and a total row last (for a table)."""
        names = list(self.splits())
        table = [{"class": row_class, **{name: 0 for name in names}} for row_class in self.class_names]
        for row in self.counts():
            table[self.class_names.index(row["class"])][row["split"]] = row["images"]
        return [*table, {"class": "total", **{name: sum(row[name] for row in table) for name in names}}]

    def samples_by_class(self, per_class: int = 4) -> dict[str, list[np.ndarray]]:
        """Return up to `per_class` training images of each class, ready to show (grey as 2-D, colour as RGB)."""
        grouped: dict[str, list[np.ndarray]] = {name: [] for name in self.class_names}
        for class_name, picture in self.samples(per_class):
            grouped[class_name].append(picture[..., 0] if picture.shape[-1] == 1 else picture)
        return grouped

    def samples(self, per_class: int = 4, split: str = "train") -> list[tuple[str, np.ndarray]]:
        """Return up to `per_class` (class name, uint8 image) pairs of each class, for a sample grid."""
        chosen = self.splits()[split]
        pairs = []
        for index, class_name in enumerate(self.class_names):
            indices = np.flatnonzero(chosen.labels == index)[:per_class]
            if len(indices):
                pairs += [(class_name, np.clip(image, 0, 255).astype(np.uint8)) for image in chosen.load(indices)]
        return pairs


def read_image_file(path: Path) -> np.ndarray:
    """Return an image file decoded to uint8 RGB, or raise InvalidDataset naming the file."""
    try:
        return images.load_image(Path(path).read_bytes())
    except (OSError, CnnvizError) as error:
        raise InvalidDataset(f"{Path(path).name} could not be read: {error}") from None
