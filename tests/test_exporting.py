"""A run as a plain Keras script: the same network (counted by Keras), and it trains with cnnviz not importable."""

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from cnnviz.data.sources import DatasetSource
from cnnviz.data.splits import Split
from cnnviz.errors import CnnvizError
from cnnviz.learning import exporting, models, recipes, training
from cnnviz.runtime import runs
from tests.apptest_helpers import run_cnnviz
from tests.photo_folders import make_class_folders

SCRATCH_RECIPES = [name for name, recipe in recipes.RECIPES.items() if recipe.pretrained_base is None]
# Runs the script as a student would, except that `import cnnviz` fails: the script must not need it.
WITHOUT_CNNVIZ = "import runpy, sys; sys.modules['cnnviz'] = None; runpy.run_path(sys.argv[1], run_name='__main__')"


@pytest.mark.parametrize("recipe_name", SCRATCH_RECIPES)
@pytest.mark.parametrize("dropout", [True, False])
def test_the_exported_network_has_the_recipes_parameters(recipe_name, dropout):
    recipe = recipes.RECIPES[recipe_name]
    config = training.default_config(recipe_name, "fashion_mnist", dropout=dropout)
    namespace: dict = {"__name__": "exported"}
    exec(exporting.export_script(config, recipe.input_shape, recipe.num_classes), namespace)  # noqa: S102
    rate = recipe.dropout_rate if dropout else None
    expected = models.build(recipe_name, dropout_rate=rate, augmentation=None).count_params()
    assert namespace["build_model"]().count_params() == expected


def test_an_exported_run_trains_for_an_epoch_with_keras_alone(tmp_path):
    config = training.default_config("fashion_separable", "fashion_mnist", epochs=1, limit=256, augment=True)
    script = tmp_path / "fashion_separable.py"
    script.write_text(exporting.export_script(config, (28, 28, 1), 10))
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_CNNVIZ, str(script)], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Total params: 265,290" in result.stdout, "the recipe's count, as the Layers page says"
    assert "val_accuracy" in result.stdout


def test_pretrained_bases_are_refused_with_a_reason():
    config = training.default_config("vgg16_fine_tune", "fashion_mnist")
    assert "VGG16" in exporting.export_problem(config)
    with pytest.raises(CnnvizError, match="does not write yet"):
        exporting.export_script(config, (150, 150, 3), 2)


def test_cnnviz_export_writes_a_script_that_resizes_the_data_to_the_network(tmp_path):
    # LFW's 25×25 crops are too small for the cats-vs-dogs net: cnnviz trains it at 150×150, and so must the script.
    folder = runs.create_run(training.default_config("catsdogs_baseline", "lfw_faces", epochs=1), tmp_path)
    target = tmp_path / "home.py"
    result = run_cnnviz("export", folder.name, "--runs-dir", str(tmp_path), "--out", str(target))
    assert result.returncode == 0, result.stderr
    text = target.read_text()
    assert "INPUT_SHAPE = (150, 150, 1)" in text and "lfw_subset" in text and "binary_crossentropy" in text
    trained = subprocess.run(
        [sys.executable, "-c", WITHOUT_CNNVIZ, str(target)], capture_output=True, text=True, cwd=tmp_path, timeout=300
    )
    assert trained.returncode == 0, trained.stderr[-3000:]
    expected = models.build("catsdogs_baseline", input_shape=(150, 150, 1), num_classes=2).count_params()
    assert f"Total params: {expected:,}" in trained.stdout


def run_without_cnnviz(script: Path, folder: Path) -> subprocess.CompletedProcess:
    """Run an exported script in a subprocess where `import cnnviz` fails; return what it printed."""
    return subprocess.run(
        [sys.executable, "-c", WITHOUT_CNNVIZ, str(script)], capture_output=True, text=True, cwd=folder, timeout=300
    )


def test_settings_not_yet_started_export_the_malaria_net_at_its_64x64x3(tmp_path):
    # Train's download before a run: a folder of 90×100 photos is resized to the tutorial's input, as cnnviz trains.
    cells = make_class_folders(tmp_path / "cells", {"Parasitized": 10, "Uninfected": 10}, size=(90, 100))
    config = training.default_config("malaria_batchnorm", DatasetSource.folder(cells), epochs=1)
    name, text = exporting.export_config(config)
    assert name == "malaria_batchnorm.py" and "INPUT_SHAPE = (64, 64, 3)" in text and "EPOCHS = 1" in text
    script = tmp_path / name
    script.write_text(text)
    result = run_without_cnnviz(script, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Total params: 4,340,130" in result.stdout, "the tutorial's count, as the Layers page says"
    assert "val_accuracy" in result.stdout


def test_a_caltech_folder_exports_with_the_tutorials_two_classes_and_counts(tmp_path):
    download = make_class_folders(
        tmp_path / "caltech-101" / "101_ObjectCategories",
        {"airplanes": 12, "Motorbikes": 12, "Faces_easy": 12, "accordion": 12},
        size=(60, 80),
    )
    config = training.default_config("caltech_small", DatasetSource.folder(tmp_path / "caltech-101"), epochs=1)
    _, text = exporting.export_config(config)
    assert f"DATA_FOLDER = {str(download)!r}" in text, "the class folders, past the download's wrappers"
    assert "CLASS_NAMES = ['Motorbikes', 'airplanes']" in text and "PER_CLASS = (640, 160)" in text
    script = tmp_path / "caltech.py"
    script.write_text(text)
    result = run_without_cnnviz(script, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    assert "belonging to 2 classes" in result.stdout, "airplanes and Motorbikes only"
    expected = models.build("caltech_small", augmentation=None).count_params()
    assert f"Total params: {expected:,}" in result.stdout


def test_the_script_takes_a_limit_in_turn_from_each_class_as_cnnviz_does():
    namespace: dict = {"np": np, "LIMIT": None}  # what the script defines above its loader
    exec(textwrap.dedent(exporting.FOLDER_LOADER), namespace)  # noqa: S102
    labels = np.array([0, 0, 0, 0, 1, 1, 1, 1])
    images = np.arange(8)
    _, taken = namespace["in_turn"](images, labels, 5)
    split = Split("train", labels, (1, 1, 1), images.reshape(8, 1, 1, 1))
    assert list(taken) == list(split.limited(5).labels) == [0, 0, 0, 1, 1]
    _, each = namespace["in_turn"](images, labels, 3, True)
    assert list(each) == list(split.per_class_limited(3).labels) == [0, 0, 0, 1, 1, 1]


def test_the_script_repeats_grey_into_rgb_and_resizes_for_the_malaria_net():
    config = training.default_config("malaria_batchnorm", "fashion_mnist", limit=8)
    namespace: dict = {"__name__": "exported"}
    exec(exporting.export_script(config, (64, 64, 3), 10), namespace)  # noqa: S102
    grey = np.zeros((2, 28, 28, 1), dtype="uint8")
    grey[:, 10:18, 10:18] = 200
    fitted = namespace["fit_to_input"](grey)
    assert fitted.shape == (2, 64, 64, 3)
    assert np.allclose(fitted[..., 0], fitted[..., 2]) and fitted.max() > 150, "the same grey in R, G and B"
    assert namespace["build_model"]().count_params() == 4_340_130 - 514 + 2_570, "ten classes: only the output grows"
