"""Every dataset of the tutorials behind one Dataset shape: splits, class names, image shape, source.

Images are kept and served as raw pixel values (0..255); the models scale them themselves.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import numpy as np

from cnnviz.data import folders, images
from cnnviz.data.sources import DatasetName, DatasetSource
from cnnviz.data.splits import ClassSelection, Dataset, Split
from cnnviz.errors import CnnvizError, DatasetUnavailable, InvalidDataset

FASHION_CLASSES = [
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
]
FASHION_FILES = {
    "train_images": "train-images-idx3-ubyte.gz",
    "train_labels": "train-labels-idx1-ubyte.gz",
    "test_images": "t10k-images-idx3-ubyte.gz",
    "test_labels": "t10k-labels-idx1-ubyte.gz",
}
DEBIAN_FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
SCALINGS = ("none", "unit", "standardize")

FASHION_TRAINING_IMAGES = 55_000  # the first 55,000 of Fashion-MNIST's 60,000 train; the other 5,000 validate
LFW_TRAINING_PER_CLASS = 60  # of each class's 100: 60 train, 20 validation, 20 test
VALIDATION_FRACTION = 0.2  # of a class's images, as folders.load_folder splits a folder of class folders
# Caltech 101's train split holds 30 images a class; the tutorial's 800 airplanes are in train and test together.
TFDS_ALL_SPLITS = {DatasetName.CALTECH101: "train+test"}
TFDS_NEXT_STEP = (
    "Bring the images as a folder or a zip of class subfolders instead (Datasets page: folder or zip upload)."
)


def training_images(name: DatasetName, limit: int | None = None) -> int | None:
    """Return how many training images a built-in dataset gives a run (None for a folder: unknown unread)."""
    full = {DatasetName.FASHION_MNIST: FASHION_TRAINING_IMAGES, DatasetName.LFW_FACES: 2 * LFW_TRAINING_PER_CLASS}.get(
        name
    )
    return None if full is None else min(limit or full, full)


@dataclass(frozen=True)
class Look:
    """What a dataset's images look like, so Predict can tell when an upload does not."""

    description: str
    dark_background: bool | None  # True: objects light on black; None: no typical background
    square_fit: images.SquareFit = images.SquareFit.SQUASH  # how a photo of another shape is made square


LOOKS = {
    DatasetName.FASHION_MNIST: Look(
        "28×28 grey photos of one garment each, white on a black background, centred", True, images.SquareFit.PAD
    ),
    DatasetName.LFW_FACES: Look("25×25 grey crops of faces and of other parts of photos", None, images.SquareFit.CROP),
}


def look_of(dataset: DatasetName) -> Look | None:
    """Return what a dataset's images look like, when cnnviz knows."""
    return LOOKS.get(dataset)


def keras_cache_dir() -> Path:
    """Return the Keras cache folder (KERAS_HOME, else ~/.keras), without importing Keras."""
    return Path(os.environ.get("KERAS_HOME") or Path.home() / ".keras")


def fashion_mnist_dirs() -> list[Path]:
    """Return where Fashion-MNIST's four files are looked for, in order."""
    return [keras_cache_dir() / "datasets" / "fashion-mnist", DEBIAN_FASHION_DIR]


def download_fashion_mnist() -> Path:
    """Download Fashion-MNIST into the Keras cache with Keras's own loader, and return the folder."""
    import keras

    keras.datasets.fashion_mnist.load_data()
    return fashion_mnist_dirs()[0]


def find_fashion_mnist() -> Path:
    """Return a folder holding the four Fashion-MNIST files, downloading them as a last resort."""
    for folder in fashion_mnist_dirs():
        if all((folder / name).is_file() for name in FASHION_FILES.values()):
            return folder
    try:
        return download_fashion_mnist()
    except Exception as error:  # noqa: BLE001 - offline, a download fails in many ways
        raise DatasetUnavailable(
            f"Fashion-MNIST is not in {fashion_mnist_dirs()[0]} nor in {DEBIAN_FASHION_DIR}, and the download failed "
            f"({type(error).__name__}). Install Debian's copy (apt-get install dataset-fashion-mnist) or put the four "
            f"files ({', '.join(FASHION_FILES.values())}) in {fashion_mnist_dirs()[0]}."
        ) from None


@functools.lru_cache(maxsize=8)
def read_idx(path: Path, magic: int) -> np.ndarray:
    """Read one gzipped IDX file (the MNIST format): a magic number, the sizes, then bytes (read-only, cached).

    Cached because a warm worker and the pages load Fashion-MNIST again and again: 0.4 s of gunzip each time.
    """
    with gzip.open(path, "rb") as stream:
        data = stream.read()
    if len(data) < 8 or int.from_bytes(data[:4], "big") != magic:
        raise InvalidDataset(f"{path} is not a Fashion-MNIST file (wrong header). Reinstall dataset-fashion-mnist.")
    dimensions = data[3]
    sizes = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dimensions)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dimensions).reshape(sizes)


def preload_fashion_mnist() -> bool:
    """Read Fashion-MNIST's files into this process's cache where they are installed (never download them);
    return whether it did."""
    folder = next((f for f in fashion_mnist_dirs() if all((f / n).is_file() for n in FASHION_FILES.values())), None)
    if folder is None:
        return False
    for key, name in FASHION_FILES.items():
        read_idx(folder / name, 2051 if key.endswith("images") else 2049)
    return True


def load_fashion_mnist(limit: int | None = None, scaling: str = "none", validation_limit: int | None = None) -> Dataset:
    """Return Fashion-MNIST split 55,000 / 5,000 / 10,000 as the tutorial did (first 55,000 train).

    With a limit, validation and test keep a fifth as many images, or `validation_limit` of each.
    """
    if scaling not in SCALINGS:
        raise CnnvizError(f"scaling must be one of {', '.join(SCALINGS)}; got {scaling!r}.")
    folder = find_fashion_mnist()
    train_images = read_idx(folder / FASHION_FILES["train_images"], 2051)[..., None]
    train_labels = read_idx(folder / FASHION_FILES["train_labels"], 2049).astype(np.int64)
    test_images = read_idx(folder / FASHION_FILES["test_images"], 2051)[..., None]
    test_labels = read_idx(folder / FASHION_FILES["test_labels"], 2049).astype(np.int64)
    if scaling != "none":
        train_float = train_images[:FASHION_TRAINING_IMAGES].astype("float32")
        # StandardScaler as the tutorial used it: per-pixel mean and deviation of the training split.
        mean = train_float.mean(axis=0) if scaling == "standardize" else 0.0
        deviation = np.maximum(train_float.std(axis=0), 1e-6) if scaling == "standardize" else 255.0
        train_images = (train_images.astype("float32") - mean) / deviation
        test_images = (test_images.astype("float32") - mean) / deviation
    shape = (28, 28, 1)
    small = validation_limit or (None if limit is None else max(1, limit // 5))
    return Dataset(
        "fashion_mnist",
        list(FASHION_CLASSES),
        shape,
        Split("train", train_labels[:FASHION_TRAINING_IMAGES], shape, train_images[:FASHION_TRAINING_IMAGES]).limited(
            limit
        ),
        Split(
            "validation", train_labels[FASHION_TRAINING_IMAGES:], shape, train_images[FASHION_TRAINING_IMAGES:]
        ).limited(small),
        Split("test", test_labels, shape, test_images).limited(small),
        source=f"Fashion-MNIST from {folder}" + (f" (scaled: {scaling})" if scaling != "none" else ""),
    )


def load_lfw_faces(seed: int = 0) -> Dataset:
    """Return scikit-image's 200 LFW images, 100 faces then 100 not faces, split 60/20/20 per class."""
    from skimage import data

    pictures = (data.lfw_subset() * 255).astype("float32")[..., None]
    labels = np.array([0] * 100 + [1] * 100)
    rng = np.random.default_rng(seed)
    parts: dict[str, list[int]] = {"train": [], "validation": [], "test": []}
    for label in (0, 1):
        indices = rng.permutation(np.flatnonzero(labels == label))
        parts["train"] += list(indices[:LFW_TRAINING_PER_CLASS])
        parts["validation"] += list(indices[LFW_TRAINING_PER_CLASS:80])
        parts["test"] += list(indices[80:])
    shape = (25, 25, 1)
    splits = {name: Split(name, labels[idx], shape, pictures[idx]) for name, idx in parts.items()}
    return Dataset(
        "lfw_faces",
        ["face", "not face"],
        shape,
        splits["train"],
        splits["validation"],
        splits["test"],
        source="scikit-image lfw_subset (Labeled Faces in the Wild), fixed stratified split, seed 0",
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
        source=f"tensorflow-datasets {name.value}; the tutorial's {selection.describe()}",
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
    labels = None if selection is None else selected_labels(name, class_names, selection)
    if labels is not None:
        return load_tfds_selection(tfds, name, image_size, selection, labels)
    splits = []
    for split_name, part in zip(("train", "validation", "test"), ("train[:80%]", "train[80%:90%]", "train[90%:]")):
        pictures, found = read_tfds(tfds, name, part, image_size, limit)
        splits.append(Split(split_name, found, (*image_size, 3), pictures))
    return Dataset(name.value, class_names, (*image_size, 3), *splits, source=f"tensorflow-datasets {name.value}")


def load(
    source: DatasetSource | DatasetName | str,
    limit: int | None = None,
    validation_limit: int | None = None,
    image_size: tuple[int, int] = (150, 150),
    selection: ClassSelection | None = None,
) -> Dataset:
    """Load a dataset with at most `limit` training images, e.g. load(DatasetName.FASHION_MNIST, limit=2000).

    Fashion-MNIST is large, so a limit shrinks its validation and test splits too (a fifth as many, or
    `validation_limit`); the small datasets keep all their validation images, the way to watch a small
    training set overfit. A folder's and a tensorflow-datasets set's images are resized to `image_size` (the
    network's). A folder or a tensorflow-datasets set that holds every class of `selection` gives only those, as
    many of each as it says.
    """
    source = source if isinstance(source, DatasetSource) else DatasetSource(DatasetName.parse(source))
    if source.name is DatasetName.FASHION_MNIST:
        return load_fashion_mnist(limit=limit, validation_limit=validation_limit)
    if source.is_folder:
        dataset = load_folder_selection(source.path, image_size, selection)
    elif source.name is DatasetName.LFW_FACES:
        dataset = load_lfw_faces()
    else:
        dataset = load_tfds(source.name, limit=limit, image_size=image_size, selection=selection)
    if limit:
        dataset.train = dataset.train.limited(limit)
    return dataset


def holds_classes(path: str | Path, classes: tuple[str, ...]) -> bool:
    """Return whether a folder's class folders (its train/ folder's, in a split layout) include all of `classes`."""
    folder = Path(path).expanduser()
    if not folder.is_dir():
        return False
    root = folders.descend_wrappers(folder)
    children = [child for child in folders.visible_children(root) if child.is_dir()]
    train = next((child for child in children if folders.SPLIT_FOLDERS.get(child.name.lower()) == "train"), root)
    names = {child.name for child in folders.visible_children(train) if child.is_dir()}
    return set(classes) <= names


def load_folder_selection(path: str, image_size: tuple[int, int], selection: ClassSelection | None) -> Dataset:
    """Load a folder: all its classes, or the selection's only (with its images per class) when it holds them all."""
    if selection is None or not holds_classes(path, selection.classes):
        return folders.load_user_folder(path, image_size=image_size)
    dataset = folders.load_user_folder(path, image_size=image_size, only=selection.classes)
    dataset.train = dataset.train.per_class_limited(selection.train_per_class)
    dataset.validation = dataset.validation.per_class_limited(selection.validation_per_class)
    dataset.source += f"; the tutorial's {selection.describe()}"
    return dataset
