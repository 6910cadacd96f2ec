"""The tutorials' networks as they trained them: malaria's at 64×64×3 on data of any size and on the tutorial's
500 + 500 images, Caltech's two classes at 640 + 160 images each for 5 epochs, trained for real through the CLI."""

from collections import Counter

import numpy as np
import pytest

from cnnviz.data import datasets
from cnnviz.data.sources import DatasetSource
from cnnviz.learning import recipes, training
from cnnviz.lesson import architecture
from cnnviz.runtime import json_files
from tests.apptest_helpers import run_cnnviz
from tests.photo_folders import make_class_folders

# The malaria tutorial's summary, by hand: conv 3×3×3×32+32, BN 4×32, conv 3×3×32×32+32, BN 4×32,
# Dense 16·16·32×512+512, BN 4×512, Dense 512×256+256, BN 4×256, Dense 256×2+2.
MALARIA_BY_HAND = 896 + 128 + 9_248 + 128 + (16 * 16 * 32 * 512 + 512) + 2_048 + (512 * 256 + 256) + 1_024 + 514
CALTECH_CLASSES = ["Motorbikes", "airplanes"]  # cnnviz orders classes as flow_from_directory does: by name


def train_cli(tmp_path, *arguments: str) -> dict:
    """Train through the CLI into tmp_path/runs and return the run's status."""
    runs_dir = tmp_path / "runs"
    result = run_cnnviz("train", *arguments, "--epochs", "1", "--runs-dir", str(runs_dir))
    assert result.returncode == 0, result.stderr[-3000:]
    (folder,) = runs_dir.iterdir()
    return json_files.read_json(folder / "status.json")


def per_class(split) -> dict[int, int]:
    """Return how many images of each class label a split holds."""
    return dict(Counter(int(label) for label in split.labels))


def test_the_malaria_count_is_the_tutorials_by_hand_and_on_layers():
    assert MALARIA_BY_HAND == 4_340_130
    assert architecture.recipe_table("malaria_batchnorm").totals.total == MALARIA_BY_HAND


@pytest.mark.parametrize("dataset", ["fashion_mnist", "lfw_faces"])
def test_malaria_takes_its_64x64x3_and_the_data_is_resized_to_it(dataset):
    loaded = datasets.load(dataset, limit=40)
    malaria = recipes.get_recipe("malaria_batchnorm")
    assert training.choose_input_shape(malaria, loaded) == (64, 64, 3), "the recipe's input, not the data's"
    # The other from-scratch recipes still take a small dataset's own size where they can.
    assert training.choose_input_shape(recipes.get_recipe("fashion_separable"), loaded) == loaded.image_shape


def test_malaria_trains_an_epoch_on_a_folder_of_another_size_with_the_layers_count(tmp_path):
    folder = make_class_folders(tmp_path / "cells", {"Parasitized": 12, "Uninfected": 12}, size=(90, 100))
    status = train_cli(tmp_path, "--recipe", "malaria_batchnorm", "--dataset", "folder", "--dataset-path", str(folder))
    assert status["state"] == "finished", status.get("message")
    assert status["input_shape"] == [64, 64, 3]
    assert status["parameters"] == MALARIA_BY_HAND == architecture.recipe_table("malaria_batchnorm").totals.total


def test_malaria_on_grey_fashion_mnist_trains_at_64x64x3(tmp_path):
    status = train_cli(tmp_path, "--recipe", "malaria_batchnorm", "--dataset", "fashion_mnist", "--limit", "64")
    assert status["state"] == "finished", status.get("message")
    assert status["input_shape"] == [64, 64, 3], "grey 28×28 repeated into RGB and resized, as the tutorial's input"
    ten_classes = MALARIA_BY_HAND - (256 * 2 + 2) + (256 * 10 + 10)  # only the output layer differs
    assert status["parameters"] == ten_classes


def test_the_tutorials_500_plus_500_subset_takes_500_of_each_class(tmp_path):
    folder = make_class_folders(tmp_path / "cells", {"Parasitized": 640, "Uninfected": 640}, size=(24, 24))
    malaria = recipes.get_recipe("malaria_batchnorm")
    assert malaria.tutorial_limit == 1000 and malaria.tutorial_subset == "500 + 500 images"
    config = training.default_config("malaria_batchnorm", DatasetSource.folder(folder), limit=malaria.tutorial_limit)
    dataset = training.load_dataset(config)
    assert per_class(dataset.train) == {0: 500, 1: 500}
    assert per_class(dataset.validation) == {0: 128, 1: 128}, "validation keeps its fifth of each class"


def make_caltech(root, per_class_count: dict[str, int], size=(30, 40)):
    """Return a Caltech 101 download's layout: caltech-101/101_ObjectCategories/<class>/image_NNNN.jpg."""
    return make_class_folders(root / "caltech-101" / "101_ObjectCategories", per_class_count, size=size).parent


def test_caltech_takes_airplanes_and_motorbikes_640_plus_160_of_each(tmp_path):
    counts = {"airplanes": 805, "Motorbikes": 803, "Faces_easy": 6, "BACKGROUND_Google": 6, "accordion": 6}
    root = make_caltech(tmp_path, counts, size=(12, 16))
    dataset = training.load_dataset(training.default_config("caltech_small", DatasetSource.folder(root)))
    assert dataset.class_names == CALTECH_CLASSES
    assert per_class(dataset.train) == {0: 640, 1: 640} and per_class(dataset.validation) == {0: 160, 1: 160}
    assert "airplanes and Motorbikes, at most 640 + 160 images of each" in dataset.source
    files = {path.parent.name for split in (dataset.train, dataset.validation) for path in split.paths}
    assert files == set(CALTECH_CLASSES), "no image of the other classes"
    assert not any("Faces_easy" in name for name, _ in dataset.skipped), "the other classes are never read"


def test_caltech_trains_five_epochs_by_default_on_its_two_classes(tmp_path):
    assert training.default_config("caltech_small", "lfw_faces").epochs == 5, "the tutorial's 5 epochs"
    root = make_caltech(tmp_path, {"airplanes": 10, "Motorbikes": 10, "Faces_easy": 10}, size=(60, 80))
    status = train_cli(tmp_path, "--recipe", "caltech_small", "--dataset", "folder", "--dataset-path", str(root))
    assert status["state"] == "finished", status.get("message")
    assert status["class_names"] == CALTECH_CLASSES and status["input_shape"] == [150, 150, 3]
    assert status["parameters"] == architecture.recipe_table("caltech_small").totals.total


def test_caltech_on_a_folder_without_those_classes_takes_the_folders_own(tmp_path):
    folder = make_class_folders(tmp_path / "pets", {"cats": 5, "dogs": 5}, size=(20, 20))
    dataset = training.load_dataset(training.default_config("caltech_small", DatasetSource.folder(folder)))
    assert dataset.class_names == ["cats", "dogs"] and len(dataset.train) + len(dataset.validation) == 10
    assert not datasets.holds_classes(folder, ("airplanes", "Motorbikes"))
    assert not datasets.holds_classes(tmp_path / "missing", ("airplanes",))


def test_a_split_per_class_limit_keeps_the_first_of_each_class():
    from cnnviz.data.splits import Split

    labels = np.array([0, 1, 0, 1, 0, 0, 1])
    split = Split("train", labels, (1, 1, 1), np.arange(7).reshape(7, 1, 1, 1))
    kept = split.per_class_limited(2)
    assert list(kept.labels) == [0, 1, 0, 1] and list(kept.images.ravel()) == [0, 1, 2, 3]


def test_a_tensorflow_datasets_set_is_loaded_at_the_recipes_size_not_150(monkeypatch):
    # TFDS malaria cells come at any size: load_tfds resizes them, and must do so to the network's 64×64.
    asked = {}

    def load_tfds(name, limit=None, image_size=(150, 150), selection=None):
        asked.update(name=name, image_size=image_size, selection=selection)
        raise datasets.DatasetUnavailable("offline")

    monkeypatch.setattr(datasets, "load_tfds", load_tfds)
    config = training.default_config("malaria_batchnorm", "malaria")
    with pytest.raises(datasets.DatasetUnavailable):
        training.load_dataset(config)
    assert asked == {"name": datasets.DatasetName.MALARIA, "image_size": (64, 64), "selection": None}


def test_a_student_who_asks_gets_the_malaria_net_at_another_size(tmp_path):
    folder = make_class_folders(tmp_path / "cells", {"Parasitized": 8, "Uninfected": 8}, size=(90, 100))
    status = train_cli(
        tmp_path,
        "--recipe",
        "malaria_batchnorm",
        "--dataset",
        "folder",
        "--dataset-path",
        str(folder),
        "--input-size",
        "32",
    )
    assert status["state"] == "finished", status.get("message")
    assert status["input_shape"] == [32, 32, 3]
    # Only the first Dense layer changes: 8·8·32 inputs instead of 16·16·32.
    assert status["parameters"] == MALARIA_BY_HAND - (16 * 16 * 32 * 512) + (8 * 8 * 32 * 512) == 1_194_402


def test_an_input_size_is_checked_and_ignored_by_a_pretrained_base():
    from cnnviz.errors import CnnvizError

    with pytest.raises(CnnvizError, match="input size is a whole number of pixels from 8 to 1024"):
        training.default_config("malaria_batchnorm", "lfw_faces", input_size=4)
    vgg16 = recipes.get_recipe("vgg16_frozen_augment")
    assert training.choose_input_shape(vgg16, datasets.load("lfw_faces"), input_size=64) == (150, 150, 3)
