"""Datasets: the real Fashion-MNIST and LFW files, and folders and zips of images made here."""

import importlib.util
import io
import os
import zipfile

import numpy as np
import pytest
from PIL import Image

from cnnviz.data import datasets, folders
from cnnviz.data.sources import DatasetSource
from cnnviz.errors import CnnvizError, DatasetUnavailable, InvalidDataset
from cnnviz.runtime import settings
from tests.helpers import encode_image


@pytest.fixture(autouse=True)
def own_datasets_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATASETS_DIR", str(tmp_path / "owned"))


def test_fashion_mnist_real_files_split_as_the_tutorial():
    dataset = datasets.load("fashion_mnist")
    assert (len(dataset.train), len(dataset.validation), len(dataset.test)) == (55_000, 5_000, 10_000)
    assert dataset.image_shape == (28, 28, 1) and dataset.class_names[9] == "Ankle boot"
    x, y = next(dataset.train.batches(32))
    assert x.shape == (32, 28, 28, 1) and x.dtype == np.float32 and 0 <= x.min() and x.max() == 255
    # The first training label of Fashion-MNIST is an ankle boot (9), the first test label too.
    assert dataset.train.labels[0] == 9 and dataset.test.labels[0] == 9
    assert sum(row["images"] for row in dataset.counts() if row["split"] == "test") == 10_000


def test_fashion_mnist_limit_and_scalings():
    limited = datasets.load("fashion_mnist", limit=500)
    assert (len(limited.train), len(limited.validation), len(limited.test)) == (500, 100, 100)
    unit = datasets.load_fashion_mnist(limit=100, scaling="unit")
    assert unit.train.to_numpy()[0].max() == pytest.approx(1.0)
    standard = datasets.load_fashion_mnist(scaling="standardize")
    pixels = standard.train.images.reshape(55_000, -1)
    assert abs(pixels.mean()) < 1e-3 and abs(pixels[:, 400].std() - 1) < 1e-3
    with pytest.raises(CnnvizError, match="scaling must be one of"):
        datasets.load_fashion_mnist(scaling="log")


def test_fashion_mnist_missing_and_offline_is_a_clear_message(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "fashion_mnist_dirs", lambda: [tmp_path / "cache", tmp_path / "debian"])

    def refuse_download():
        raise OSError("network is unreachable")

    monkeypatch.setattr(datasets, "download_fashion_mnist", refuse_download)
    with pytest.raises(DatasetUnavailable, match="apt-get install dataset-fashion-mnist"):
        datasets.load("fashion_mnist")


def test_lfw_faces_real_and_stratified():
    dataset = datasets.load("lfw_faces")
    assert [len(split) for split in dataset.splits().values()] == [120, 40, 40]
    assert dataset.image_shape == (25, 25, 1) and dataset.class_names == ["face", "not face"]
    for split in dataset.splits().values():
        assert np.sum(split.labels == 0) == np.sum(split.labels == 1)
    train_images = dataset.train.to_numpy()[0]
    assert train_images.max() > 200, "raw 0..255 pixels"
    assert dataset.train.load([0], (150, 150, 3)).shape == (1, 150, 150, 3), "resized for a bigger network"


def write_image(path, colour=(200, 10, 10), size=(20, 16)):
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path)


def make_class_folder(root, classes=("cats", "dogs"), per_class=6):
    for index, name in enumerate(classes):
        for i in range(per_class):
            write_image(root / name / f"{i}.png", colour=(index * 120, 50, 50))
    return root


def test_class_folders_are_split_per_class_and_labelled_alphabetically(tmp_path):
    make_class_folder(tmp_path / "data", classes=("dogs", "cats"), per_class=10)
    (tmp_path / "data" / "cats" / "notes.txt").write_text("not an image")
    (tmp_path / "data" / "dogs" / "broken.jpg").write_bytes(b"\xff\xd8 nothing")
    dataset = folders.load_folder(tmp_path / "data", image_size=(32, 32), validation_fraction=0.2, test_fraction=0.2)
    assert dataset.class_names == ["cats", "dogs"]
    assert [len(split) for split in dataset.splits().values()] == [12, 4, 4]
    reasons = dict(dataset.skipped)
    assert reasons["cats/notes.txt"] == "not an image file" and "unreadable" in reasons["dogs/broken.jpg"]
    x, y = dataset.train.to_numpy()
    assert x.shape == (12, 32, 32, 3)
    # dogs were written first (red 0) and cats second (red 120); labels follow the sorted folder names.
    assert np.all(x[y == 0][:, 0, 0, 0] == 120) and np.all(x[y == 1][:, 0, 0, 0] == 0), "labels follow folders"


def test_split_layout_folders_and_a_wrapper_folder(tmp_path):
    for split in ("train", "validation", "test"):
        make_class_folder(tmp_path / "wrapper" / "small" / split, per_class=3)
    dataset = datasets.load(DatasetSource.folder(tmp_path / "wrapper"))
    assert [len(split) for split in dataset.splits().values()] == [6, 6, 6]
    batch = next(iter(dataset.validation.as_py_dataset(batch_size=4, image_shape=(150, 150, 3))))
    assert batch[0].shape == (4, 150, 150, 3) and batch[1].shape == (4,)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda root: make_class_folder(root, classes=("cats",)), "Only one class"),
        (lambda root: (make_class_folder(root), (root / "birds").mkdir()), "hold no readable images"),
        (lambda root: root.mkdir(), "no class subfolders"),
        (lambda root: make_class_folder(root / "train"), "needs both train/ and validation/"),
        (
            lambda root: (make_class_folder(root / "train"), make_class_folder(root / "validation", ("cats", "cows"))),
            "different class folders",
        ),
    ],
)
def test_bad_layouts_say_what_to_fix(tmp_path, build, message):
    build(tmp_path / "data")
    with pytest.raises(InvalidDataset, match=message):
        datasets.load(DatasetSource.folder(tmp_path / "data"))
    with pytest.raises(InvalidDataset, match="There is no folder"):
        datasets.load(DatasetSource.folder(tmp_path / "nowhere"))


def test_server_paths_can_be_switched_off(tmp_path, monkeypatch):
    make_class_folder(tmp_path / "data")
    monkeypatch.setenv("CNNVIZ_ALLOW_SERVER_PATHS", "0")
    with pytest.raises(InvalidDataset, match="Upload the images as a zip instead"):
        datasets.load(DatasetSource.folder(tmp_path / "data"))


def zip_bytes(entries: dict[str, bytes], symlinks: tuple[str, ...] = ()) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
        for name in symlinks:
            info = zipfile.ZipInfo(name)
            info.external_attr = 0o120777 << 16
            archive.writestr(info, "/etc/passwd")
    return buffer.getvalue()


def png(colour=(1, 2, 3)) -> bytes:
    return encode_image(Image.new("RGB", (8, 8), colour))


def test_a_zip_is_unpacked_into_a_folder_cnnviz_owns_and_loaded(monkeypatch):
    monkeypatch.setenv("CNNVIZ_ALLOW_SERVER_PATHS", "0")  # zips still work where paths do not
    data = zip_bytes({f"pets/{animal}/{i}.png": png() for animal in ("cats", "dogs") for i in range(4)})
    folder = folders.extract_zip(data)
    assert folder.is_relative_to(settings.datasets_dir())
    assert folder.parent.name == "uploads" and (folder / ".complete").is_file()
    assert folders.extract_zip(data) == folder, "the same zip is not unpacked twice"
    dataset = datasets.load(DatasetSource.folder(folder))
    assert dataset.class_names == ["cats", "dogs"] and len(dataset.train) + len(dataset.validation) == 8


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (zip_bytes({"../../evil.png": png()}), "points outside"),
        (zip_bytes({"/etc/evil.png": png()}), "points outside"),
        (zip_bytes({"cats/1.png": png()}, symlinks=("cats/link.png",)), "symbolic link"),
        (zip_bytes({"big.bin": bytes(50_000_000)}), "zip bomb"),
        (b"PK\x03\x04 but not really a zip", "not a zip"),
        (b"", "not a zip"),
    ],
)
def test_hostile_zips_are_refused(data, message):
    with pytest.raises(InvalidDataset, match=message):
        folders.extract_zip(data)


def test_zip_limits_on_entries_and_size():
    data = zip_bytes({f"c{i % 2}/{i}.png": png() for i in range(30)})
    with pytest.raises(InvalidDataset, match="30 entries"):
        folders.extract_zip(data, max_entries=10)
    with pytest.raises(InvalidDataset, match="would unpack"):
        folders.extract_zip(data, max_total_bytes=100)


def make_kaggle_folder(root, per_class):
    root.mkdir(parents=True)
    jpeg = encode_image(Image.new("RGB", (10, 10)), "JPEG")
    for animal in ("cat", "dog"):
        for i in range(per_class):
            (root / f"{animal}.{i}.jpg").write_bytes(jpeg)


def test_dogs_vs_cats_small_split_is_the_tutorials_and_idempotent(tmp_path):
    make_kaggle_folder(tmp_path / "train", per_class=20)
    calls = []
    target = folders.make_dogs_vs_cats_small(
        tmp_path / "train",
        tmp_path / "small",
        train=10,
        validation=5,
        test=5,
        progress=lambda done, total: calls.append((done, total)),
    )
    assert sorted(os.listdir(target / "train" / "cats"))[:2] == ["cat.0.jpg", "cat.1.jpg"]
    assert (target / "validation" / "dogs" / "dog.10.jpg").is_file() and (
        target / "test" / "cats" / "cat.19.jpg"
    ).is_file()
    assert calls[-1] == (40, 40)
    modified = (target / "train" / "cats" / "cat.0.jpg").stat().st_mtime_ns
    folders.make_dogs_vs_cats_small(tmp_path / "train", tmp_path / "small", train=10, validation=5, test=5)
    assert (target / "train" / "cats" / "cat.0.jpg").stat().st_mtime_ns == modified, "nothing copied twice"
    dataset = datasets.load(DatasetSource.folder(target))
    assert [len(split) for split in dataset.splits().values()] == [20, 10, 10]


def test_dogs_vs_cats_refuses_a_source_too_small(tmp_path):
    make_kaggle_folder(tmp_path / "train", per_class=30)
    with pytest.raises(InvalidDataset, match="first missing: cat.30.jpg"):
        folders.make_dogs_vs_cats_small(tmp_path / "train", tmp_path / "small")


def test_tfds_datasets_without_the_package_say_how_to_bring_a_folder(monkeypatch):
    # tensorflow-datasets is in the lock: hide it the way datasets.load_tfds looks for it, so this never skips.
    find_spec = importlib.util.find_spec
    monkeypatch.setattr(
        importlib.util,
        "find_spec",
        lambda name, *rest: None if name == "tensorflow_datasets" else find_spec(name, *rest),
    )
    for name in ("cats_vs_dogs", "malaria", "caltech101"):
        with pytest.raises(DatasetUnavailable, match=f"{name} needs tensorflow-datasets, which is not installed.*zip"):
            datasets.load(name)
    with pytest.raises(CnnvizError, match="no dataset called"):
        datasets.load("imagenet")
