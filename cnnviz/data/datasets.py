"""Every dataset of the tutorials behind one Dataset shape: splits, class names, image shape, source.

Images are kept and served as raw pixel values (0..255); the models scale them themselves.
"""

from __future__ import annotations

import functools
import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnviz.data import folders, images
from cnnviz.data.sources import DatasetName, DatasetSource
from cnnviz.data.splits import ClassSelection, Dataset, Split
from cnnviz.data.tfds_sets import load_tfds
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


# Caltech 101's train split holds 30 images a class; the tutorial's 800 airplanes are in train and test together.
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
