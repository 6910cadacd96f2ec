"""Caltech's two classes from tensorflow-datasets, on tfds's own mock: the real caltech101 feature spec and labels.

tfds.testing.mock_data generates examples offline (no download); its labels are uniform over caltech101's 102
classes, so 1,000 examples hold only a few of each: the first test asks for 6 + 2 of each instead of 640 + 160.
The second feeds the mock 800 airplanes and 798 motorbikes (Caltech's real counts) to check the recipe's own.
"""

from collections import Counter

import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from cnnviz.data import datasets, images, tfds_sets
from cnnviz.data.sources import DatasetName
from cnnviz.data.splits import ClassSelection
from cnnviz.errors import DatasetUnavailable
from cnnviz.learning import recipes, training

CALTECH_SIZE = recipes.get_recipe("caltech_small").input_shape[:2]  # (150, 150)
SMALL = ClassSelection(("airplanes", "Motorbikes"), train_per_class=6, validation_per_class=2)


@pytest.fixture(autouse=True)
def downloadable(monkeypatch):
    """The mock stands in for the download, so the internet is taken as reachable (this machine is offline)."""
    monkeypatch.setattr(tfds_sets, "can_reach_internet", lambda: True)


def mocked(num_examples: int = 1000, **options):
    """Return tfds's mock with the datasets' real code (feature specs, label names) and generated examples."""
    return tfds.testing.mock_data(num_examples=num_examples, policy=tfds.testing.MockPolicy.USE_CODE, **options)


def mocked_examples(name: str, split: str) -> list[tuple[np.ndarray, str]]:
    """Return the mock's (image, tfds class name) pairs of a split, read straight from tfds (inside mocked())."""
    part, info = tfds.load(name, split=split, as_supervised=True, with_info=True)
    names = info.features["label"].names
    return [(image, names[label]) for image, label in tfds.as_numpy(part)]


def expected_counts(found: int, selection: ClassSelection) -> tuple[int, int, int]:
    """Return (train, validation, test) of a class with `found` images: a fifth to validation, the rest to train,
    each at most the selection's count, the rest to test."""
    validation = min(selection.validation_per_class, max(1, round(found / 5)))
    train = min(selection.train_per_class, found - validation)
    return train, validation, found - validation - train


def fingerprints(pictures) -> Counter:
    """Return a multiset of images by their bytes, to compare which images came back."""
    return Counter(np.ascontiguousarray(picture).tobytes() for picture in pictures)


def test_caltech_from_tfds_keeps_airplanes_and_motorbikes_only_in_a_folders_order():
    with mocked():
        examples = mocked_examples("caltech101", "train+test")
        dataset = datasets.load(DatasetName.CALTECH101, image_size=CALTECH_SIZE, selection=SMALL)
        again = datasets.load(DatasetName.CALTECH101, image_size=CALTECH_SIZE, selection=SMALL)
    found = Counter(class_name for _, class_name in examples)
    assert (found["airplanes"], found["motorbikes"]) == (6, 14), "the mock's labels, counted here (of 1,000)"
    assert dataset.class_names == ["Motorbikes", "airplanes"], "the selection's names, in a folder's order"
    table = {row["class"]: row for row in dataset.count_table()}
    for class_name, tfds_name in (("airplanes", "airplanes"), ("Motorbikes", "motorbikes")):
        train, validation, test = expected_counts(found[tfds_name], SMALL)
        assert (table[class_name]["train"], table[class_name]["validation"]) == (train, validation)
        assert table[class_name]["test"] == test
    assert [table["total"][split] for split in ("train", "validation", "test")] == [11, 3, 6]
    for split in dataset.splits().values():
        assert set(split.labels.tolist()) == {0, 1} or split.name == "test"
        assert split.images.shape[1:] == (*CALTECH_SIZE, 3) and split.images.dtype == np.uint8
    for label, tfds_name in enumerate(("motorbikes", "airplanes")):
        kept = [split.images[split.labels == label] for split in dataset.splits().values()]
        mine = [images.fit_image(image, (*CALTECH_SIZE, 3)).astype(np.uint8) for image, name in examples]
        wanted = [picture for picture, (_, name) in zip(mine, examples) if name == tfds_name]
        assert fingerprints(np.concatenate(kept)) == fingerprints(wanted), f"label {label} holds {tfds_name} only"
    assert np.array_equal(dataset.train.images, again.train.images), "the same images each time (seeded)"
    assert "airplanes and Motorbikes" in dataset.source and "tensorflow-datasets caltech101" in dataset.source


def tutorial_sized_caltech(self, split, decoders=None, read_config=None, **_):
    """Return a caltech101 tf.data set holding Caltech's real class sizes: 800 airplanes, 798 motorbikes, 30 faces."""
    names = self.info.features["label"].names
    sizes = {"airplanes": 800, "motorbikes": 798, "faces_easy": 30}

    def examples():
        for class_name, count in sizes.items():
            for index in range(count):
                picture = np.full((6, 8, 3), index % 256, np.uint8)
                yield {"image": picture, "image/file_name": f"{index}.jpg", "label": names.index(class_name)}

    signature = {
        "image": tf.TensorSpec((None, None, 3), tf.uint8),
        "image/file_name": tf.TensorSpec((), tf.string),
        "label": tf.TensorSpec((), tf.int64),
    }
    return tf.data.Dataset.from_generator(examples, output_signature=signature)


def test_the_recipe_takes_640_plus_160_of_each_class_from_tfds():
    with mocked(as_dataset_fn=tutorial_sized_caltech):
        dataset = training.load_dataset(training.default_config("caltech_small", "caltech101"))
    # Numbered as a folder's classes are (Keras sorts them, capitals first): label 0 is Motorbikes either way.
    assert dataset.class_names == ["Motorbikes", "airplanes"] and dataset.image_shape == (150, 150, 3)
    table = {row["class"]: row for row in dataset.count_table()}
    assert (table["airplanes"]["train"], table["airplanes"]["validation"]) == (640, 160)
    assert (table["Motorbikes"]["train"], table["Motorbikes"]["validation"]) == (638, 160), "798: a fifth is 160"
    assert dataset.test is None, "nothing left over: the tutorial used every image of the two classes"
    assert dataset.train.images.shape == (1278, 150, 150, 3)


def test_a_selection_naming_a_class_caltech_lacks_says_to_bring_a_folder():
    selection = ClassSelection(("airplanes", "unicorns"), train_per_class=6, validation_per_class=2)
    with mocked(), pytest.raises(DatasetUnavailable, match="no class unicorns") as raised:
        datasets.load(DatasetName.CALTECH101, image_size=(32, 32), selection=selection)
    assert "folder or a zip of class subfolders" in str(raised.value)


def test_a_tfds_set_with_none_of_the_selections_classes_is_taken_whole():
    with mocked(num_examples=10):
        dataset = datasets.load(DatasetName.CATS_VS_DOGS, image_size=(32, 32), selection=SMALL)
    assert dataset.class_names == ["cat", "dog"], "as a folder without the classes: its own classes"
    assert len(dataset.train) == 10 and dataset.train.images.shape[1:] == (32, 32, 3)


def test_a_set_not_on_this_machine_is_refused_at_once_offline(monkeypatch):
    # A real tfds.load offline retries its download for minutes (205 s measured) before it fails.
    monkeypatch.setattr(tfds_sets, "can_reach_internet", lambda: False)
    monkeypatch.setattr(tfds, "load", lambda *arguments, **options: pytest.fail("tfds.load was called offline"))
    with pytest.raises(DatasetUnavailable, match="not on this machine yet") as raised:
        datasets.load(DatasetName.CALTECH101, image_size=(32, 32), selection=SMALL)
    assert "folder or a zip of class subfolders" in str(raised.value)
