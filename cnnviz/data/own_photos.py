"""A class's own photo datasets: named classes, photos from a camera or uploads, saved as a folder dataset.

Each dataset is a folder of class folders under CNNVIZ_DATASETS_DIR/own/, so Train, Compare and Predict read
it like any other folder (folders.load_folder splits each class 80/20, seeded). A hidden file beside the
class folders keeps the name the student gave, the classes in their order, and the key that opens it
again: only the page session (or the link) that made a dataset can add to it or delete from it.
"""

from __future__ import annotations

import json
import os
import re
import secrets
import time
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image

from cnnviz.data import images
from cnnviz.data.splits import VALIDATION_FRACTION
from cnnviz.errors import InvalidDataset, InvalidImage
from cnnviz.runtime import settings

MIN_CLASSES, MAX_CLASSES = 2, 10
MIN_PHOTOS_PER_CLASS = 5  # 4 to train on and 1 to validate with: the least an 80/20 split can make of a class
MAX_PHOTOS_PER_CLASS = 200
MAX_SIDE = 256  # photos are kept at most this many pixels a side: the networks take 64, thumbnails 96
MAX_NAME_LENGTH = 40
THUMBNAIL_SIDE = 96
SPLIT_SEED = 0
JPEG_QUALITY = 90
OWN_FOLDER = "own"
METADATA_FILE = ".cnnviz-own-photos.json"  # hidden: folder scans skip names that start with a dot
# A class name becomes a folder name and the label a model predicts: letters (any language), digits, spaces
# and - _ ' . ( ), nothing that could be a path.
CLASS_NAME_PATTERN = re.compile(r"[\w][\w \-'.()]*")


@dataclass(frozen=True)
class OwnDataset:
    """A dataset of a student's own photos: where it lives, its name, its classes and the key that opens it."""

    folder: Path
    title: str
    class_names: tuple[str, ...]
    key: str = field(repr=False)

    @property
    def folder_name(self) -> str:
        """Return the dataset's folder name, which is also its id in a link."""
        return self.folder.name

    def class_folder(self, class_name: str) -> Path:
        """Return the folder of one class's photos, refusing a name that is not one of the dataset's classes."""
        if class_name not in self.class_names:
            raise InvalidDataset(
                f"{self.title} has no class {class_name!r}; its classes are {', '.join(self.class_names)}."
            )
        return self.folder / class_name


@dataclass(frozen=True)
class Photo:
    """One saved photo: its class, its id (the file's name) and a small picture of it."""

    class_name: str
    photo_id: str
    thumbnail: np.ndarray


@dataclass(frozen=True)
class ClassCount:
    """How many photos one class has, and how the seeded 80/20 split shares them."""

    class_name: str
    photos: int
    train: int
    validation: int

    @property
    def missing(self) -> int:
        """Return how many more photos the class needs before it can be trained on."""
        return max(0, MIN_PHOTOS_PER_CLASS - self.photos)


@dataclass(frozen=True)
class AddResult:
    """What an upload or a camera shot did: the photos saved, and each file refused with the reason."""

    class_name: str
    saved: int
    refused: tuple[tuple[str, str], ...] = ()

    def saved_line(self) -> str:
        """Return what was saved, in words: '3 photos saved to cup.'"""
        return f"{self.saved} photo{'' if self.saved == 1 else 's'} saved to {self.class_name}."

    def refused_lines(self) -> list[str]:
        """Return one line per reason a file was refused, naming the files it refused (the same reason once)."""
        by_reason: dict[str, list[str]] = {}
        for name, reason in self.refused:
            by_reason.setdefault(reason, []).append(name)
        return [f"{', '.join(names)}: {reason}" for reason, names in by_reason.items()]


def own_root() -> Path:
    """Return the folder that holds every own-photo dataset (CNNVIZ_DATASETS_DIR/own)."""
    return settings.datasets_dir() / OWN_FOLDER


def clean_name(text: str) -> str:
    """Return a name with its whitespace tidied and Unicode composed (é typed two ways is one é)."""
    return " ".join(unicodedata.normalize("NFC", str(text or "")).split())


def check_class_name(name: str) -> str:
    """Return a class name made tidy, or raise InvalidDataset saying what a class name may hold."""
    name = clean_name(name)
    if not name:
        raise InvalidDataset("A class name is empty: give each class a name, like cup or phone.")
    if len(name) > MAX_NAME_LENGTH:
        raise InvalidDataset(f"The class name {name[:20]!r}… is longer than {MAX_NAME_LENGTH} characters; shorten it.")
    if "/" in name or "\\" in name or name.startswith(".") or not CLASS_NAME_PATTERN.fullmatch(name):
        raise InvalidDataset(
            f"The class name {name!r} looks like a path or holds signs a class name cannot: use letters, digits, "
            "spaces, - or _ (like red cup)."
        )
    return name


def parse_class_names(text: str) -> list[str]:
    """Return the classes typed one a line (or separated by commas), checked: 2 to 10 names, no two the same."""
    names = [check_class_name(part) for part in re.split(r"[\n,]", text or "") if part.strip()]
    if len(names) < MIN_CLASSES:
        shown = f"only one class ({names[0]})" if names else "no class"
        raise InvalidDataset(
            f"You gave {shown}: a classifier tells at least {MIN_CLASSES} apart. Add another class, one name a line."
        )
    if len(names) > MAX_CLASSES:
        raise InvalidDataset(
            f"You gave {len(names)} classes; at most {MAX_CLASSES}. Remove some, or make two datasets."
        )
    seen: dict[str, str] = {}
    for name in names:
        folded = name.casefold()
        if folded in seen:
            raise InvalidDataset(
                f"Two classes are called {name!r}"
                + ("" if seen[folded] == name else f" and {seen[folded]!r}")
                + ": every class needs its own name. Rename one."
            )
        seen[folded] = name
    return names


def folder_name_for(title: str) -> str:
    """Return a safe folder name made from a dataset's title: lowercase letters, digits and dashes."""
    ascii_title = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_title.lower()).strip("-")[:MAX_NAME_LENGTH].strip("-")
    return slug or "photos"


def create(title: str, class_names_text: str) -> OwnDataset:
    """Make a new, empty dataset in a folder of its own (a taken name gets -2, -3, …); return it."""
    title = clean_name(title)
    if not title:
        raise InvalidDataset("Give the dataset a name (like kitchen things), then make it.")
    if len(title) > MAX_NAME_LENGTH:
        raise InvalidDataset(f"The dataset's name is longer than {MAX_NAME_LENGTH} characters; shorten it.")
    class_names = parse_class_names(class_names_text)
    root = own_root()
    root.mkdir(parents=True, exist_ok=True)
    base = folder_name_for(title)
    for number in range(1, 10_000):
        folder = root / (base if number == 1 else f"{base}-{number}")
        try:
            folder.mkdir()  # atomic: two students pressing at once never share a folder
        except FileExistsError:
            continue
        dataset = OwnDataset(folder, title, tuple(class_names), secrets.token_hex(8))
        write_metadata(dataset)
        return dataset
    raise InvalidDataset("Every name like this one is taken on this server; choose another name.")


def write_metadata(dataset: OwnDataset) -> None:
    """Write the dataset's name, classes and key beside its class folders, atomically."""
    data = {"title": dataset.title, "class_names": list(dataset.class_names), "key": dataset.key}
    temporary = dataset.folder / f"{METADATA_FILE}.partial"
    temporary.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    os.replace(temporary, dataset.folder / METADATA_FILE)


def read_dataset(folder: Path) -> OwnDataset | None:
    """Return the own-photo dataset in `folder`, or None when the folder is not one (or its file is damaged)."""
    try:
        data = json.loads((folder / METADATA_FILE).read_text(encoding="utf-8"))
        return OwnDataset(
            folder, str(data["title"]), tuple(str(name) for name in data["class_names"]), str(data["key"])
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def is_own_dataset(path: str | Path) -> bool:
    """Return whether a folder is one of the class's own photo datasets."""
    folder = Path(path).resolve()
    return folder.parent == own_root().resolve() and read_dataset(folder) is not None


def list_datasets() -> list[OwnDataset]:
    """Return every own-photo dataset on this server, in folder-name order."""
    root = own_root()
    if not root.is_dir():
        return []
    found = (read_dataset(folder) for folder in sorted(root.iterdir()) if folder.is_dir())
    return [dataset for dataset in found if dataset is not None]


def open_dataset(folder_name: str, key: str) -> OwnDataset:
    """Return the dataset a link names, only with its key; else raise InvalidDataset saying what to do."""
    missing = InvalidDataset(
        "The dataset this link opens is not on this server, or the link is incomplete. Make a new dataset below "
        "(your runs on Train are kept)."
    )
    if not re.fullmatch(r"[a-z0-9-]{1,60}", folder_name or ""):
        raise missing
    dataset = read_dataset(own_root() / folder_name)
    if dataset is None or not secrets.compare_digest(dataset.key, str(key or "")):
        raise missing
    return dataset


def photo_files(dataset: OwnDataset, class_name: str) -> list[Path]:
    """Return one class's saved photos, oldest first (the names start with the time they were saved)."""
    folder = dataset.class_folder(class_name)
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir() if path.suffix == ".jpg" and not path.name.startswith("."))


def class_counts(dataset: OwnDataset) -> list[ClassCount]:
    """Return each class's photo count and its train/validation shares (the rule folders.load_folder splits by)."""
    counts = []
    for class_name in dataset.class_names:
        total = len(photo_files(dataset, class_name))
        validation = max(1, round(total * VALIDATION_FRACTION)) if total else 0
        counts.append(ClassCount(class_name, total, total - validation, validation))
    return counts


def readiness_problem(dataset: OwnDataset) -> str | None:
    """Return why the dataset cannot be trained on yet (a class with too few photos), or None when it can."""
    short = [count for count in class_counts(dataset) if count.missing]
    if not short:
        return None
    listed = "; ".join(f"{count.class_name} has {count.photos}, add {count.missing} more" for count in short)
    return (
        f"Every class needs at least {MIN_PHOTOS_PER_CLASS} photos ({MIN_PHOTOS_PER_CLASS - 1} to train on and 1 to "
        f"check with): {listed}. Add them on the Your data page."
    )


def check_ready(path: str | Path) -> None:
    """Raise InvalidDataset when the own-photo dataset at `path` has a class with too few photos."""
    dataset = read_dataset(Path(path).resolve())
    problem = None if dataset is None else readiness_problem(dataset)
    if problem:
        raise InvalidDataset(f"{dataset.title}: {problem}")


def prepare_photo(data: bytes) -> np.ndarray:
    """Decode an upload or a camera shot and shrink it to at most MAX_SIDE a side, or raise InvalidImage."""
    return images.load_image(data, max_side=MAX_SIDE)


def save_photo(dataset: OwnDataset, class_name: str, pixels: np.ndarray) -> str:
    """Save one photo (already shrunk) as a JPEG in its class's folder, atomically; return its id."""
    if len(photo_files(dataset, class_name)) >= MAX_PHOTOS_PER_CLASS:
        raise InvalidDataset(
            f"{class_name} already has {MAX_PHOTOS_PER_CLASS} photos, the most a class keeps. Delete some first, "
            "or add to another class."
        )
    folder = dataset.class_folder(class_name)
    folder.mkdir(exist_ok=True)
    photo_id = f"{time.time_ns():020d}-{secrets.token_hex(2)}.jpg"  # time first: files sort oldest first
    temporary = folder / f".{photo_id}.partial"
    Image.fromarray(images.ensure_rgb(pixels)).save(temporary, format="JPEG", quality=JPEG_QUALITY)
    os.replace(temporary, folder / photo_id)  # a half-written photo is never seen by a training
    return photo_id


def add_photos(dataset: OwnDataset, class_name: str, files: list[tuple[str, bytes]]) -> AddResult:
    """Save each (file name, bytes) to a class; a file that cannot be used is refused with why, the rest saved."""
    dataset.class_folder(class_name)  # refuse an unknown class before reading anything
    saved, refused = 0, []
    for name, data in files:
        try:
            save_photo(dataset, class_name, prepare_photo(data))
            saved += 1
        except (InvalidImage, InvalidDataset) as error:
            refused.append((name, str(error)))
    return AddResult(class_name, saved, tuple(refused))


def delete_photo(dataset: OwnDataset, class_name: str, photo_id: str) -> None:
    """Delete one photo of a class (a photo id names a file of that class's folder, nothing else)."""
    folder = dataset.class_folder(class_name)
    if not re.fullmatch(r"[0-9]{20}-[0-9a-f]{4}\.jpg", photo_id or ""):
        raise InvalidDataset(f"There is no photo {photo_id!r} in {class_name}.")
    (folder / photo_id).unlink(missing_ok=True)  # deleted twice (two clicks) is deleted


def thumbnails(dataset: OwnDataset, class_name: str, newest: int | None = None) -> list[Photo]:
    """Return a class's photos as small pictures, newest first, at most `newest` of them when given."""
    files = photo_files(dataset, class_name)[::-1]
    photos = []
    for path in files[:newest]:
        with Image.open(path) as picture:
            picture.draft("RGB", (THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            picture.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE))
            photos.append(Photo(class_name, path.name, np.asarray(picture.convert("RGB"))))
    return photos


def version(dataset: OwnDataset) -> tuple[tuple[int, str], ...]:
    """Return each class's photo count and newest photo: it changes whenever a photo is added or deleted."""
    found = [photo_files(dataset, class_name) for class_name in dataset.class_names]
    return tuple((len(files), files[-1].name if files else "") for files in found)


def describe(dataset: OwnDataset) -> str:
    """Return the dataset as a list entry: its name and classes (no count: Train keeps its choice by this text,
    and a photo added meanwhile would change it)."""
    return f"your photos: {dataset.title} ({', '.join(dataset.class_names)})"


SHORTCUT_NOTE = (
    "Heatmap on the background, not on your object? That is shortcut learning: the model tells your classes apart "
    "by where you photographed them. Shoot every class in the same places."
)
CAMERA_HELP = (
    "No picture? Allow the camera (the icon in the address bar). Browsers allow it only on https:// or localhost "
    "pages; elsewhere, upload photos."
)


def shortcut_note(dataset_path: str | None) -> str | None:
    """Return the one-line note on shortcut learning for a model trained on a class's own photos, else None."""
    return SHORTCUT_NOTE if dataset_path and is_own_dataset(dataset_path) else None
