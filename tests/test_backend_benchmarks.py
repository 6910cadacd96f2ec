"""The GPU check's and the overhead benchmark's own arithmetic and data, without training anything."""

import pytest

from benchmarks import generated_images, gpu_check, training_overhead
from cnnviz.data import folders


def test_images_per_second_counts_only_the_epochs_after_the_first():
    # Epoch ends at 10 s (compiling), 12 s and 14 s: two epochs of 100 images in 4 s.
    assert training_overhead.rate_after_first_epoch([10.0, 12.0, 14.0], 100) == pytest.approx(50.0)
    with pytest.raises(RuntimeError, match="at least 2 epochs"):
        training_overhead.rate_after_first_epoch([10.0], 100)


def test_a_table_row_shows_the_ratio_only_when_both_sides_ran():
    both = gpu_check.Row("jax", "fashion_separable", "3.3/4.3", 13_702.0, 15_202.0, 0.89)
    assert both.cells()[3:7] == ["13,702", "15,202", "0.901", "0.890"]
    assert gpu_check.Row("torch", "fashion_separable", note="skipped: out of time").cells()[5] == ""


def test_the_made_images_are_a_two_class_train_and_validation_folder(tmp_path):
    generated_images.write_folder(tmp_path, train=6, validation=4, size=32)
    dataset = folders.load_folder(tmp_path, image_size=(32, 32))
    assert dataset.class_names == ["discs", "squares"]
    assert len(dataset.train) == 6 and len(dataset.validation) == 4
    images, labels = dataset.train.to_numpy()
    assert images.shape == (6, 32, 32, 3) and sorted(labels.tolist()) == [0, 0, 0, 1, 1, 1]


def test_the_workloads_pass_the_same_arguments_to_the_worker_and_the_bare_script(tmp_path):
    workload = training_overhead.Workload("catsdogs_baseline", "folder", 3, dataset_path=tmp_path)
    assert workload.arguments() == [
        "--recipe",
        "catsdogs_baseline",
        "--dataset",
        "folder",
        "--epochs",
        "3",
        "--dataset-path",
        str(tmp_path),
    ]
