"""A run as a plain Keras script: the same network (counted by Keras), and it trains with cnnviz not importable."""

import subprocess
import sys

import pytest

from cnnviz.errors import CnnvizError
from cnnviz.learning import exporting, models, recipes, training
from cnnviz.runtime import runs
from tests.apptest_helpers import run_cnnviz

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
