"""Datasets from tensorflow-datasets: a set resized and split 80/10/10, or only a tutorial's classes of it.

Offline, tfds fails in many ways and retries its download for minutes first: every failure here is a
DatasetUnavailable that says to bring the images as a folder instead, and a set not on this machine yet is
refused at once when the internet cannot be reached.
"""

from __future__ import annotations

import importlib.util
import socket
from dataclasses import replace
from types import ModuleType

import numpy as np

from cnnviz.data import images
from cnnviz.data.sources import DatasetName
from cnnviz.data.splits import VALIDATION_FRACTION, ClassSelection, Dataset, Split
from cnnviz.errors import DatasetUnavailable

TFDS_ALL_SPLITS = {DatasetName.CALTECH101: "train+test"}
# tfds downloads from its copy on Google Cloud Storage first. Offline it retries for minutes (205 s measured for
# cats_vs_dogs) before it fails, so a set not on this machine yet is refused at once when that cannot be reached.
TFDS_DOWNLOAD_HOST = ("storage.googleapis.com", 443)
INTERNET_CHECK_SECONDS = 3
TFDS_NEXT_STEP = (
    "Bring the images as a folder or a zip of class subfolders instead (Datasets page: folder or zip upload)."
)


def import_tfds(name: DatasetName) -> ModuleType:
    """Return the tensorflow_datasets module, or raise DatasetUnavailable when it is not installed."""
    if importlib.util.find_spec("tensorflow_datasets") is None:
        raise DatasetUnavailable(f"{name} needs tensorflow-datasets, which is not installed. {TFDS_NEXT_STEP}")
    import tensorflow_datasets as tfds

    return tfds


def unavailable(name: DatasetName, error: Exception) -> DatasetUnavailable:
    """Return the error to raise when tensorflow-datasets fails (offline, it fails in many ways)."""
    return DatasetUnavailable(f"tensorflow-datasets could not load {name} ({error}). {TFDS_NEXT_STEP}")


def can_reach_internet() -> bool:
    """Return whether tensorflow-datasets' download host answers within a few seconds."""
    try:
        socket.create_connection(TFDS_DOWNLOAD_HOST, timeout=INTERNET_CHECK_SECONDS).close()
    except OSError:
        return False
    return True


def check_tfds_downloadable(tfds: ModuleType, name: DatasetName) -> None:
    """Raise DatasetUnavailable at once when a set is not on this machine yet and cannot be downloaded now."""
    try:
        prepared = tfds.builder(name.value).is_prepared()
    except Exception:  # noqa: BLE001 - let tfds.load say what is wrong
        return
    if not prepared and not can_reach_internet():
        raise DatasetUnavailable(
            f"tensorflow-datasets could not load {name}: it is not on this machine yet, and the internet, which it "
            f"downloads from, cannot be reached. {TFDS_NEXT_STEP}"
        )


def read_tfds_classes(tfds: ModuleType, name: DatasetName) -> list[str]:
    """Return a tensorflow-datasets set's class names (from its code: no download)."""
    try:
        return list(tfds.builder(name.value).info.features["label"].names)
    except Exception as error:  # noqa: BLE001 - tfds fails in many ways
        raise unavailable(name, error) from None


def read_tfds(
    tfds: ModuleType,
    name: DatasetName,
    split: str,
    image_size: tuple[int, int],
    limit: int | None = None,
    keep: set[int] | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Return a tfds split's images resized (uint8) and labels: only those whose label is in `keep`, when given."""
    shape = (*image_size, 3)
    try:
        part = tfds.load(name.value, split=split, as_supervised=True)
        pairs = [
            (images.fit_image(image, shape).astype(np.uint8), int(label))  # fit_image's pixels are whole numbers
            for image, label in tfds.as_numpy(part.take(limit) if limit else part)
            if keep is None or int(label) in keep
        ]
    except Exception as error:  # noqa: BLE001 - offline, tfds fails in many ways
        raise unavailable(name, error) from None
    pictures = np.stack([image for image, _ in pairs]) if pairs else np.empty((0, *shape), np.uint8)
    return pictures, np.array([label for _, label in pairs], dtype=np.int64)


def selected_labels(name: DatasetName, class_names: list[str], selection: ClassSelection) -> list[int] | None:
    """Return the set's label of each selected class, in the selection's order (names match in any case, as tfds
    lowercases them: motorbikes); None when it has none of them; raise DatasetUnavailable when it lacks some."""
    by_name = {class_name.lower(): label for label, class_name in enumerate(class_names)}
    labels = [by_name.get(class_name.lower()) for class_name in selection.classes]
    if all(label is None for label in labels):
        return None  # another dataset: take it whole, as a folder without the classes is
    missing = [class_name for class_name, label in zip(selection.classes, labels) if label is None]
    if missing:
        raise DatasetUnavailable(
            f"tensorflow-datasets' {name} has no class {', '.join(missing)}, which the tutorial takes "
            f"({selection.describe()}). Bring those classes as a folder or a zip of class subfolders instead "
            "(Datasets page: folder or zip upload)."
        )
    return labels


def split_selection(labels: np.ndarray, selection: ClassSelection, seed: int = 0) -> dict[str, np.ndarray]:
    """Return each split's indices, class by class (shuffled, seeded): a fifth to validation and the rest to train
    as a folder is split, each at most the selection's count of a class; what is left to test."""
    rng = np.random.default_rng(seed)
    parts: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for label, class_name in enumerate(selection.classes):
        indices = rng.permutation(np.flatnonzero(labels == label))
        validation = min(selection.validation_per_class, max(1, round(len(indices) * VALIDATION_FRACTION)))
        train = min(selection.train_per_class, len(indices) - validation)
        if train < 1:
            raise DatasetUnavailable(
                f"Only {len(indices)} image(s) of {class_name} came from tensorflow-datasets: too few to split. "
                f"{TFDS_NEXT_STEP}"
            )
        parts["validation"] += list(indices[:validation])
        parts["train"] += list(indices[validation : validation + train])
        parts["test"] += list(indices[validation + train :])
    return {split: np.array(chosen, dtype=int) for split, chosen in parts.items()}


def load_tfds_selection(
    tfds: ModuleType, name: DatasetName, image_size: tuple[int, int], selection: ClassSelection, labels: list[int]
) -> Dataset:
    """Return only the selection's classes of a tfds set, from every split it has, named and ordered as it says."""
    pictures, found = read_tfds(tfds, name, TFDS_ALL_SPLITS.get(name, "train"), image_size, keep=set(labels))
    relabelled = np.array([labels.index(label) for label in found], dtype=np.int64)
    shape = (*image_size, 3)
    splits = {
        split: Split(split, relabelled[chosen], shape, pictures[chosen])
        for split, chosen in split_selection(relabelled, selection).items()
    }
    return Dataset(
        name.value,
        list(selection.classes),
        shape,
        splits["train"],
        splits["validation"],
        splits["test"] if len(splits["test"]) else None,
        source=f"tensorflow-datasets {name.value}",
    )


def load_tfds(
    name: DatasetName,
    limit: int | None = None,
    image_size: tuple[int, int] = (150, 150),
    selection: ClassSelection | None = None,
) -> Dataset:
    """Return a tensorflow-datasets set resized, split 80/10/10 (or only the selection's classes when it has them),
    or raise DatasetUnavailable."""
    tfds = import_tfds(name)
    class_names = read_tfds_classes(tfds, name)
    # Named and numbered as a folder's classes are (Keras sorts them: capitals first), so label 0 is one class.
    ordered = None if selection is None else replace(selection, classes=tuple(sorted(selection.classes)))
    labels = None if ordered is None else selected_labels(name, class_names, ordered)
    check_tfds_downloadable(tfds, name)
    if labels is not None:
        dataset = load_tfds_selection(tfds, name, image_size, ordered, labels)
        dataset.source += f"; the tutorial's {selection.describe()}"  # in the recipe's words
        return dataset
    splits = []
    for split_name, part in zip(("train", "validation", "test"), ("train[:80%]", "train[80%:90%]", "train[90%:]")):
        pictures, found = read_tfds(tfds, name, part, image_size, limit)
        splits.append(Split(split_name, found, (*image_size, 3), pictures))
    return Dataset(name.value, class_names, (*image_size, 3), *splits, source=f"tensorflow-datasets {name.value}")
