"""The backend-sensitive library code on JAX: recipes, the augmentation layer, Grad-CAM, models across backends.

Keras fixes its backend when it is first imported, and pytest runs on TensorFlow, so the JAX half
runs in one subprocess (`KERAS_BACKEND=jax python -m tests.test_backend_jax WORKDIR`) that writes its
findings as JSON; the tests here check them. A model saved on TensorFlow here is loaded there and
one saved there is loaded here: the same probabilities and Grad-CAM on both sides.
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import ROOT

CROSS_RECIPE = "catsdogs_dropout_augment"  # holds the augmentation layer and dropout: the hardest to carry over
JAX_SAVED_RECIPE = "fashion_separable"

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("jax") is None, reason="JAX is not installed (pip install jax)"
)


def sample_batch(shape: tuple[int, ...], count: int = 2, seed: int = 0) -> np.ndarray:
    """Return raw 0..255 pixels, the way every model takes them."""
    return np.random.default_rng(seed).uniform(0, 255, (count, *shape)).astype("float32")


def run_on_jax(workdir: Path) -> dict:
    """Run this module's checks under KERAS_BACKEND=jax and return what they found."""
    environment = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(ROOT), "JAX_PLATFORMS": "cpu"}
    result = subprocess.run(
        [sys.executable, "-m", "tests.test_backend_jax", str(workdir)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads((workdir / "jax_results.json").read_text())


@pytest.fixture(scope="module")
def jax_findings(tmp_path_factory) -> dict:
    """Save a TensorFlow model, run the JAX checks once, and return their findings and the folder."""
    import keras

    from cnnviz.learning import explain, models

    workdir = tmp_path_factory.mktemp("jax")
    keras.utils.set_random_seed(1)
    model = models.build(CROSS_RECIPE)
    batch = sample_batch(model.input_shape[1:])
    model.save(workdir / "tensorflow.keras")
    np.save(workdir / "batch.npy", batch)
    np.save(workdir / "tensorflow_probabilities.npy", keras.ops.convert_to_numpy(model(batch, training=False)))
    np.save(workdir / "tensorflow_grad_cam.npy", explain.grad_cam(model, batch[:1], class_index=0))
    return {"workdir": workdir, **run_on_jax(workdir)}


def test_the_checks_ran_on_jax(jax_findings):
    assert jax_findings["backend"] == "jax"


def test_every_recipe_builds_and_takes_a_training_step_on_jax(jax_findings):
    from cnnviz.learning.recipes import RECIPES

    losses = jax_findings["training_step_losses"]
    assert set(losses) == set(RECIPES)
    assert all(np.isfinite(loss) for loss in losses.values()), losses


def test_the_augmentation_layer_on_jax(jax_findings):
    found = jax_findings["augmentation"]
    assert found["identity_at_inference"] and found["every_image_changed"] and found["images_differ"]
    assert found["fixed_range_error"] < 1e-3, "the layer draws exactly the one value a collapsed range allows"


def test_grad_cam_and_feature_maps_on_jax(jax_findings):
    found = jax_findings["explain"]
    assert found["catsdogs_baseline"]["grad_cam_shape"] == [15, 15]
    assert found["fashion_separable"]["grad_cam_shape"] == [7, 7]
    for recipe in ("catsdogs_baseline", "fashion_separable"):
        assert 0 <= found[recipe]["grad_cam_min"] and found[recipe]["grad_cam_max"] <= 1
        assert len(found[recipe]["feature_map_shape"]) == 3


def test_a_cells_arithmetic_and_filter_patterns_on_jax(jax_findings):
    found = jax_findings["network"]
    assert found["separable_error"] < 1e-4
    assert found["pattern_gains_met"] and found["patterns_moved"] > 5


def test_a_model_saved_on_tensorflow_predicts_the_same_on_jax(jax_findings):
    workdir = jax_findings["workdir"]
    np.testing.assert_allclose(
        np.load(workdir / "jax_probabilities_of_tensorflow_model.npy"),
        np.load(workdir / "tensorflow_probabilities.npy"),
        atol=1e-5,
    )
    np.testing.assert_allclose(
        np.load(workdir / "jax_grad_cam_of_tensorflow_model.npy"),
        np.load(workdir / "tensorflow_grad_cam.npy"),
        atol=1e-3,
    )


def test_a_model_saved_on_jax_predicts_the_same_on_tensorflow(jax_findings):
    import keras

    from cnnviz.learning import explain

    workdir = jax_findings["workdir"]
    model = explain.load_model_file(workdir / "jax.keras")
    batch = np.load(workdir / "jax_batch.npy")
    probabilities = keras.ops.convert_to_numpy(model(batch, training=False))
    np.testing.assert_allclose(probabilities, np.load(workdir / "jax_probabilities.npy"), atol=1e-5)


# What follows runs in the JAX subprocess (python -m tests.test_backend_jax WORKDIR).


def training_step_losses() -> dict[str, float]:
    """Build every recipe (VGG16 ones with random weights) and take one training step of two images."""
    from cnnviz.learning import models
    from cnnviz.learning.recipes import RECIPES

    losses = {}
    for name, recipe in RECIPES.items():
        model = models.compile_model(models.build(name, weights=None), recipe)
        x = sample_batch(model.input_shape[1:])
        losses[name] = float(np.ravel(model.train_on_batch(x, np.array([0, 1])))[0])
    return losses


def augmentation_findings() -> dict:
    """Check the augmentation layer: identity at inference, random per image in training, exact on fixed ranges."""
    import keras

    from cnnviz.data import images
    from cnnviz.learning import augment, augmentation_spec

    layer = augment.make_layer(augmentation_spec.TUTORIAL_AUGMENTATION, seed=1)
    batch = np.repeat(images.load_sample_photo("astronaut")[None, ::4, ::4].astype("float32"), 4, axis=0)
    at_inference = keras.ops.convert_to_numpy(layer(batch, training=False))
    augmented = keras.ops.convert_to_numpy(layer(batch, training=True))
    spec = augmentation_spec.AugmentationSpec(zoom_range=(0.8, 0.8), fill_mode="reflect")
    photo = images.load_sample_photo("coffee")[None, ::4, ::4].astype("float32")
    by_layer = keras.ops.convert_to_numpy(augment.make_layer(spec)(photo, training=True))
    direct = augment.apply_transform(photo, [{"zx": 0.8, "zy": 0.8}], spec)
    return {
        "identity_at_inference": bool(np.array_equal(at_inference, batch)),
        "every_image_changed": all(float(np.abs(augmented[i] - batch[i]).mean()) > 1 for i in range(4)),
        "images_differ": float(np.abs(augmented[0] - augmented[1]).mean()) > 1,
        "fixed_range_error": float(np.abs(by_layer - direct).max()),
    }


def explain_findings() -> dict:
    """Return Grad-CAM and feature-map shapes and ranges for two recipes."""
    from cnnviz.learning import explain, models

    found = {}
    for recipe in ("catsdogs_baseline", "fashion_separable"):
        model = models.build(recipe)
        batch = sample_batch(model.input_shape[1:], count=1)
        heatmap = explain.grad_cam(model, batch)
        maps = explain.activations(model, batch, explain.last_conv_layer_name(model))
        found[recipe] = {
            "grad_cam_shape": list(heatmap.shape),
            "grad_cam_min": float(heatmap.min()),
            "grad_cam_max": float(heatmap.max()),
            "feature_map_shape": list(maps.shape),
        }
    return found


def network_findings() -> dict:
    """Return, on this backend, how far a separable cell's arithmetic is from Keras and the filter patterns' gains."""
    from cnnviz.learning import arithmetic, explain, filter_patterns, models

    keras_random_seed(4)
    model = models.build("fashion_separable")
    batch = sample_batch(model.input_shape[1:], count=1)
    maps = explain.activations(model, batch, "separable1")
    cell = arithmetic.cell_arithmetic(model, batch, "separable1", 0, 27, 5)
    patterns = filter_patterns.compute_patterns(model, "conv1", filters=list(range(8)))
    return {
        "separable_error": abs(cell.value - float(maps[0, 27, 5])),
        "pattern_gains_met": bool(np.all(patterns.final_activation >= 5 * patterns.start_activation)),
        "patterns_moved": float(np.abs(patterns.patterns - 128).mean()),
    }


def keras_random_seed(seed: int) -> None:
    """Seed Keras's weight initialisers on this backend."""
    import keras

    keras.utils.set_random_seed(seed)


def exchange_models(workdir: Path) -> None:
    """Load the TensorFlow model and record what it predicts here; save a model made here for TensorFlow."""
    import keras

    from cnnviz.learning import explain, models

    loaded = explain.load_model_file(workdir / "tensorflow.keras")
    batch = np.load(workdir / "batch.npy")
    np.save(workdir / "jax_probabilities_of_tensorflow_model.npy", keras.ops.convert_to_numpy(loaded(batch)))
    np.save(workdir / "jax_grad_cam_of_tensorflow_model.npy", explain.grad_cam(loaded, batch[:1], class_index=0))
    keras.utils.set_random_seed(2)
    made_here = models.build(JAX_SAVED_RECIPE)
    jax_batch = sample_batch(made_here.input_shape[1:], seed=3)
    made_here.save(workdir / "jax.keras")
    np.save(workdir / "jax_batch.npy", jax_batch)
    np.save(workdir / "jax_probabilities.npy", keras.ops.convert_to_numpy(made_here(jax_batch, training=False)))


def run_checks(workdir: Path) -> None:
    """Run every check on this process's backend and write the findings to WORKDIR/jax_results.json."""
    import keras

    exchange_models(workdir)
    findings = {
        "backend": keras.backend.backend(),
        "training_step_losses": training_step_losses(),
        "augmentation": augmentation_findings(),
        "explain": explain_findings(),
        "network": network_findings(),
    }
    (workdir / "jax_results.json").write_text(json.dumps(findings))


if __name__ == "__main__":
    run_checks(Path(sys.argv[1]))
