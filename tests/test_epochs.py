"""Epoch / batch / step arithmetic: counted by hand, against the datasets as loaded, and against Keras's batching."""

import numpy as np
import pytest

from cnnviz.data import datasets
from cnnviz.data.sources import DatasetName, DatasetSource
from cnnviz.errors import CnnvizError
from cnnviz.lesson import epochs


def test_the_tutorials_numbers():
    arithmetic = epochs.epoch_arithmetic(DatasetName.FASHION_MNIST, None, 32, 10)
    assert (arithmetic.images, arithmetic.steps_per_epoch, arithmetic.last_batch) == (55_000, 1_719, 24)
    assert 1_718 * 32 + 24 == 55_000  # by hand: 1,718 full batches and one of 24
    assert arithmetic.total_steps == 17_190
    assert "55,000 images ÷ batch 32 = 1,719 steps an epoch" in arithmetic.describe()
    assert "the last one 24 images" in arithmetic.describe() and "17,190 steps" in arithmetic.describe()


def test_an_even_split_has_no_short_last_batch():
    arithmetic = epochs.EpochArithmetic(1_000, 50, 2)
    assert arithmetic.steps_per_epoch == 20 and arithmetic.last_batch == 50 and "last one" not in arithmetic.describe()


@pytest.mark.parametrize("limit", [None, 2_000])
def test_the_count_is_the_loaded_fashion_mnist_training_split(limit):
    loaded = datasets.load(DatasetSource(DatasetName.FASHION_MNIST), limit=limit)
    arithmetic = epochs.epoch_arithmetic(DatasetName.FASHION_MNIST, limit or 0, 64, 1)
    assert arithmetic.images == len(loaded.train)


def test_the_count_is_the_loaded_lfw_training_split():
    loaded = datasets.load(DatasetSource(DatasetName.LFW_FACES))
    assert epochs.epoch_arithmetic(DatasetName.LFW_FACES, 0, 32, 1).images == len(loaded.train) == 120


@pytest.mark.parametrize(("images", "batch_size"), [(55_000, 32), (120, 32), (2_000, 64), (7, 7)])
def test_steps_match_the_batches_keras_makes(images, batch_size):
    keras = pytest.importorskip("keras")
    from keras.src.trainers.data_adapters.array_data_adapter import ArrayDataAdapter

    adapter = ArrayDataAdapter(np.zeros((images, 1), "float32"), np.zeros(images, "float32"), batch_size=batch_size)
    assert keras is not None and epochs.EpochArithmetic(images, batch_size, 1).steps_per_epoch == adapter.num_batches


def test_a_folder_has_no_count_before_it_is_read_and_nonsense_is_refused():
    assert epochs.epoch_arithmetic(DatasetName.FOLDER, 0, 32, 1) is None
    with pytest.raises(CnnvizError, match="at least 1"):
        epochs.EpochArithmetic(100, 0, 1)
