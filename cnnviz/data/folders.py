"""Image folders as datasets: class folders or train/validation/test, zips unpacked safely, dogs-vs-cats."""

from __future__ import annotations

import hashlib
import io
import shutil
import stat
import zipfile
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np
from PIL import Image

from cnnviz.data import images, own_photos
from cnnviz.data.splits import VALIDATION_FRACTION, Dataset, Split
from cnnviz.errors import InvalidDataset
from cnnviz.runtime import settings

SPLIT_FOLDERS = {
    "train": "train",
    "validation": "validation",
    "val": "validation",
    "valid": "validation",
    "test": "test",
}
LAYOUT_NAMES = {"splits": "train/validation/test folders", "classes": "class folders, split by cnnviz"}
IGNORED_NAMES = {"__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"}
LAYOUT_HELP = (
    "Put each class's images in its own folder (cats/…, dogs/…), or make train/ and validation/ "
    "(and optionally test/) folders that each hold the same class folders."
)


@dataclass
class FolderScan:
    """What a folder holds: image files per split and class, and every file that was skipped and why."""

    root: Path
    layout: str
    splits: dict[str, dict[str, list[Path]]]
    skipped: list[tuple[str, str]] = field(default_factory=list)
    sizes: list[tuple[int, int]] = field(default_factory=list)


def visible_children(folder: Path) -> list[Path]:
    """Return a folder's entries, without hidden files and OS litter, sorted by name."""
    return sorted(
        child for child in folder.iterdir() if child.name not in IGNORED_NAMES and not child.name.startswith(".")
    )


def descend_wrappers(root: Path) -> Path:
    """Skip folders that only wrap one other folder (a zip of `my_data/`), at most three deep."""
    for _ in range(3):
        children = visible_children(root)
        only = children[0] if len(children) == 1 and children[0].is_dir() else None
        # A wrapper holds folders and no images of its own; a lone class folder holds images.
        if (
            only is not None
            and only.name.lower() not in SPLIT_FOLDERS
            and not has_images(only)
            and any(child.is_dir() for child in visible_children(only))
        ):
            root = only
        else:
            break
    return root


def has_images(folder: Path) -> bool:
    """Return whether a folder holds image files directly (not in subfolders)."""
    return any(child.suffix.lower() in images.IMAGE_SUFFIXES for child in folder.iterdir() if child.is_file())


def scan_class_folders(
    folder: Path, scan: FolderScan, split: str, only: Collection[str] | None = None
) -> dict[str, list[Path]]:
    """Return the readable images in each class subfolder of `folder` (those named in `only`, when given)."""
    classes: dict[str, list[Path]] = {}
    for child in visible_children(folder):
        if only is not None and child.name not in only:
            continue  # a larger dataset's other classes (Caltech 101's other 100): never read
        if not child.is_dir():
            scan.skipped.append((str(child.relative_to(scan.root)), "a file beside the class folders"))
            continue
        files = []
        for path in sorted(p for p in child.rglob("*") if p.is_file() and not p.name.startswith(".")):
            relative = str(path.relative_to(scan.root))
            if path.is_symlink():
                scan.skipped.append((relative, "a symbolic link"))
            elif path.suffix.lower() not in images.IMAGE_SUFFIXES:
                scan.skipped.append((relative, "not an image file"))
            else:
                try:
                    with Image.open(path) as picture:  # reads the header only: fast, and catches most damage
                        scan.sizes.append(picture.size)
                    files.append(path)
                except Exception as error:  # noqa: BLE001 - Pillow raises many types on damaged headers
                    scan.skipped.append((relative, f"unreadable image ({type(error).__name__})"))
        classes[child.name] = files
    if not classes:
        raise InvalidDataset(f"The {split} folder has no class subfolders. {LAYOUT_HELP}")
    empty = [name for name, files in classes.items() if not files]
    if empty:
        raise InvalidDataset(
            f"Class folder(s) {', '.join(empty)} in {split} hold no readable images. "
            "Add images or remove the empty folder."
        )
    if len(classes) < 2:
        raise InvalidDataset(
            f"Only one class ({next(iter(classes))}) in {split}: a classifier needs at least two "
            f"class folders. {LAYOUT_HELP}"
        )
    return classes


def scan_folder(path: str | Path, only: Collection[str] | None = None) -> FolderScan:
    """Return what an image folder holds (the class folders named in `only`, when given), or raise InvalidDataset."""
    root = Path(path)
    if not root.is_dir():
        raise InvalidDataset(f"There is no folder at {path}. Check the path, or upload a zip instead.")
    root = descend_wrappers(root)
    split_dirs = {
        SPLIT_FOLDERS[child.name.lower()]: child
        for child in visible_children(root)
        if child.is_dir() and child.name.lower() in SPLIT_FOLDERS
    }
    scan = FolderScan(root, "splits" if split_dirs else "classes", {})
    if not split_dirs:
        scan.splits["all"] = scan_class_folders(root, scan, "top", only)
        return scan
    if "train" not in split_dirs or "validation" not in split_dirs:
        raise InvalidDataset(
            f"Found {', '.join(sorted(split_dirs))} but a split layout needs both train/ and validation/. {LAYOUT_HELP}"
        )
    for split, folder in split_dirs.items():
        scan.splits[split] = scan_class_folders(folder, scan, split, only)
    names = {split: sorted(classes) for split, classes in scan.splits.items()}
    if len({tuple(classes) for classes in names.values()}) != 1:
        raise InvalidDataset(
            "The splits have different class folders: "
            + "; ".join(f"{split}: {', '.join(classes)}" for split, classes in names.items())
        )
    return scan


def load_folder(
    path: str | Path,
    image_size: tuple[int, int] = (150, 150),
    channels: int = 3,
    validation_fraction: float = VALIDATION_FRACTION,
    test_fraction: float = 0.0,
    seed: int = 0,
    only: Collection[str] | None = None,
) -> Dataset:
    """Return a folder as a Dataset (its class folders named in `only`, when given); plain class folders are split
    per class by the fractions, seeded."""
    scan = scan_folder(path, only)
    first = next(iter(scan.splits.values()))
    class_names = sorted(first)  # flow_from_directory's order: alphabetical
    shape = (image_size[0], image_size[1], channels)
    if scan.layout == "splits":
        splits = {name: make_split(name, classes, class_names, shape) for name, classes in scan.splits.items()}
    else:
        if not 0 < validation_fraction < 1 or not 0 <= test_fraction < 1 - validation_fraction:
            raise InvalidDataset("validation_fraction must be in (0, 1) and leave room for training.")
        parts: dict[str, dict[str, list[Path]]] = {"train": {}, "validation": {}, "test": {}}
        rng = np.random.default_rng(seed)
        for class_name in class_names:
            files = [first[class_name][i] for i in rng.permutation(len(first[class_name]))]
            validation = max(1, round(len(files) * validation_fraction))
            test = round(len(files) * test_fraction)
            if len(files) - validation - test < 1:
                raise InvalidDataset(
                    f"Class {class_name} has only {len(files)} image(s): too few to split. Add images to it."
                )
            parts["validation"][class_name] = files[:validation]
            parts["test"][class_name] = files[validation : validation + test]
            parts["train"][class_name] = files[validation + test :]
        splits = {
            name: make_split(name, classes, class_names, shape)
            for name, classes in parts.items()
            if any(classes.values())
        }
    return Dataset(
        "folder",
        class_names,
        shape,
        splits["train"],
        splits["validation"],
        splits.get("test"),
        source=f"folder {scan.root} ({LAYOUT_NAMES[scan.layout]})",
        skipped=scan.skipped,
    )


def make_split(name: str, classes: dict[str, list[Path]], class_names: list[str], shape) -> Split:
    """Return a lazily decoded Split of the files of each class."""
    paths = [path for class_name in class_names for path in classes.get(class_name, [])]
    labels = np.array([index for index, class_name in enumerate(class_names) for _ in classes.get(class_name, [])])
    return Split(name, labels, shape, paths=paths)


def load_user_folder(path: str | Path, **options) -> Dataset:
    """Load a folder a person typed: allowed only with CNNVIZ_ALLOW_SERVER_PATHS, or inside cnnviz's own folder."""
    resolved = Path(path).expanduser().resolve()
    if not settings.allow_server_paths() and not resolved.is_relative_to(settings.datasets_dir()):
        raise InvalidDataset(
            "This server does not read folder paths (CNNVIZ_ALLOW_SERVER_PATHS=0). Upload the images as a zip instead."
        )
    own_photos.check_ready(resolved)  # a class's own photos: every class has enough photos to split
    return load_folder(resolved, **options)


def check_zip_entries(archive: zipfile.ZipFile, max_entries: int, max_total_bytes: int, max_ratio: float) -> None:
    """Refuse a zip with links, paths that leave the folder, too many files, too many bytes or a bomb's ratio."""
    entries = archive.infolist()
    if len(entries) > max_entries:
        raise InvalidDataset(f"The zip holds {len(entries):,} entries; the limit is {max_entries:,}.")
    total = 0
    for entry in entries:
        name = PurePosixPath(entry.filename.replace("\\", "/"))
        if name.is_absolute() or ".." in name.parts or (name.parts and ":" in name.parts[0]):
            raise InvalidDataset(f"The zip entry {entry.filename!r} points outside its folder; refusing the zip.")
        if stat.S_ISLNK(entry.external_attr >> 16):
            raise InvalidDataset(f"The zip entry {entry.filename!r} is a symbolic link; zips of plain files only.")
        total += entry.file_size
        if entry.file_size > 1_000_000 and entry.file_size > max_ratio * max(entry.compress_size, 1):
            raise InvalidDataset(
                f"The zip entry {entry.filename!r} expands {entry.file_size / max(entry.compress_size, 1):,.0f}"
                f" times (a zip bomb?); the limit is {max_ratio:,.0f}."
            )
    if total > max_total_bytes:
        raise InvalidDataset(
            f"The zip would unpack to {total / 1e6:,.0f} MB; the limit is {max_total_bytes / 1e6:,.0f} MB."
        )


def extract_zip(
    data: bytes, max_entries: int = 100_000, max_total_bytes: int = 4_000_000_000, max_ratio: float = 200
) -> Path:
    """Unpack an uploaded zip into a folder cnnviz owns, named by the zip's hash; return that folder."""
    digest = hashlib.sha256(data).hexdigest()[:16]
    target = settings.datasets_dir() / "uploads" / digest
    if (target / ".complete").is_file():
        return target  # the same zip was unpacked before
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise InvalidDataset(
            "The upload is not a zip file. Zip a folder of class subfolders and upload that."
        ) from None
    with archive:
        check_zip_entries(archive, max_entries, max_total_bytes, max_ratio)
        staging = target.with_name(f"{digest}.partial")
        shutil.rmtree(staging, ignore_errors=True)
        written = 0
        for entry in archive.infolist():
            destination = staging.joinpath(*PurePosixPath(entry.filename.replace("\\", "/")).parts)
            if entry.is_dir():
                destination.mkdir(parents=True, exist_ok=True)
                continue
            destination.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(entry) as source, open(destination, "wb") as sink:
                while chunk := source.read(1 << 20):
                    written += len(chunk)
                    if written > max_total_bytes:  # headers can lie about sizes; count what really comes out
                        shutil.rmtree(staging, ignore_errors=True)
                        raise InvalidDataset("The zip unpacks to more than its headers say (a zip bomb?); refusing it.")
                    sink.write(chunk)
    (staging / ".complete").write_text("ok")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def make_dogs_vs_cats_small(
    source_dir: str | Path,
    target_dir: str | Path,
    train: int = 1000,
    validation: int = 500,
    test: int = 500,
    progress: Callable[[int, int], None] | None = None,
) -> Path:
    """Build the tutorial's small split from Kaggle's flat train/ folder (cat.N.jpg, dog.N.jpg), idempotently."""
    source, target = Path(source_dir), Path(target_dir)
    needed = train + validation + test
    if not source.is_dir():
        raise InvalidDataset(
            f"There is no folder at {source_dir}. Unzip Kaggle's dogs-vs-cats train.zip and give "
            "the train/ folder that holds cat.0.jpg … dog.12499.jpg."
        )
    for animal in ("cat", "dog"):
        missing = [i for i in range(needed) if not (source / f"{animal}.{i}.jpg").is_file()]
        if missing:
            raise InvalidDataset(
                f"The source lacks {len(missing)} of {animal}.0.jpg … {animal}.{needed - 1}.jpg "
                f"(first missing: {animal}.{missing[0]}.jpg); the split needs {needed} per class."
            )
    plan = []
    for split, start, stop in (
        ("train", 0, train),
        ("validation", train, train + validation),
        ("test", train + validation, needed),
    ):
        for animal in ("cat", "dog"):
            plan += [
                (source / f"{animal}.{i}.jpg", target / split / f"{animal}s" / f"{animal}.{i}.jpg")
                for i in range(start, stop)
            ]
    for done, (origin, destination) in enumerate(plan, start=1):
        if not destination.is_file() or destination.stat().st_size != origin.stat().st_size:
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(origin, destination)
        if progress is not None:
            progress(done, len(plan))
    return target


def small_split_dir() -> Path:
    """Return where the tutorial's small dogs-vs-cats split is made (in cnnviz's datasets folder)."""
    return settings.datasets_dir() / "dogs_vs_cats_small"


def has_small_split() -> bool:
    """Return whether the small dogs-vs-cats split has been made."""
    return (small_split_dir() / "train").is_dir()


def prepared_folders() -> dict[str, Path]:
    """Return the dataset folders cnnviz prepared (complete uploaded zips, the dogs-vs-cats split), by label."""
    root = settings.datasets_dir()
    uploads = root / "uploads"
    found = sorted(uploads.iterdir()) if uploads.is_dir() else []
    choices = {f"uploaded zip {folder.name[:8]}": folder for folder in found if (folder / ".complete").is_file()}
    if has_small_split():
        choices["dogs vs cats (small split)"] = small_split_dir()
    return choices
