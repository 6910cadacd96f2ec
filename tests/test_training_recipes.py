"""The multi-stage and feature-extraction recipes, and another Keras backend, trained for real."""

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from cnnviz.runtime import json_files, runs
from tests.apptest_helpers import run_cnnviz
from tests.helpers import ROOT
from tests.waiting import wait_for


def trained(tmp_path, *arguments, environment=None):
    """Train through the CLI into tmp_path and return the run folder and its status."""
    if environment:
        os.environ.update(environment)
    try:
        result = run_cnnviz("train", *arguments, "--runs-dir", str(tmp_path))
    finally:
        for key in environment or {}:
            os.environ.pop(key, None)
    assert result.returncode == 0, result.stderr[-3000:]
    (folder,) = tmp_path.iterdir()
    return folder, json_files.read_json(folder / "status.json")


def test_vgg16_feature_extraction_trains_on_features_computed_once(tmp_path):
    folder, status = trained(
        tmp_path,
        "--recipe",
        "vgg16_feature_extraction",
        "--dataset",
        "lfw_faces",
        "--weights",
        "random",
        "--limit",
        "8",
        "--epochs",
        "2",
    )
    assert status["state"] == "finished" and status["parameters"] == 2_097_665
    assert [record.epoch for record in runs.read_history(folder)] == [1, 2]
    # Predict and test evaluation take images: the saved VGG16 base runs in front of the classifier.
    from cnnviz.learning import explain

    model = explain.load_run_model(runs.load_folder(folder))
    assert tuple(model.input_shape[1:]) == (150, 150, 3) and model.output_shape[-1] == 1
    batch = explain.prepare_image(np.full((60, 80, 3), 128, dtype=np.uint8), model.input_shape[1:])
    assert 0 <= float(explain.probabilities(model, batch)[0]) <= 1
    assert explain.grad_cam(model, batch).shape == (9, 9), "Grad-CAM of VGG16's block5_conv3"


def test_vgg16_fine_tune_runs_both_stages_with_their_learning_rates(tmp_path):
    folder, status = trained(
        tmp_path,
        "--recipe",
        "vgg16_fine_tune",
        "--dataset",
        "lfw_faces",
        "--weights",
        "random",
        "--limit",
        "4",
        "--epochs",
        "2",
        "--no-augment",
    )
    history = runs.read_history(folder)
    assert status["state"] == "finished" and status["parameters"] == 16_812_353
    assert [record.epoch for record in history] == [1, 2]
    assert history[0].learning_rate == pytest.approx(2e-5) and history[1].learning_rate == pytest.approx(1e-5)


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed (pip install jax)")
def test_the_same_recipe_trains_on_the_jax_backend(tmp_path):
    folder, status = trained(
        tmp_path,
        "--recipe",
        "catsdogs_dropout_augment",
        "--dataset",
        "lfw_faces",
        "--limit",
        "8",
        "--epochs",
        "1",
        environment={"KERAS_BACKEND": "jax"},
    )
    assert status["state"] == "finished" and status["backend"] == "jax"


@pytest.mark.skipif(importlib.util.find_spec("jax") is None, reason="JAX is not installed (pip install jax)")
def test_stop_on_the_jax_backend_keeps_a_model_tensorflow_loads(tmp_path):
    runs_dir = tmp_path / "runs"
    command = [sys.executable, "-m", "cnnviz", "train", "--recipe", "fashion_separable", "--dataset", "fashion_mnist"]
    command += ["--limit", "20000", "--epochs", "5", "--runs-dir", str(runs_dir)]
    environment = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(ROOT)}
    with open(tmp_path / "worker.log", "w") as log:
        worker = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            folder = wait_for(lambda: next(runs_dir.glob("*/batches.jsonl"), None), timeout=300).parent
            assert run_cnnviz("stop", folder.name, "--runs-dir", str(runs_dir)).returncode == 0
            assert worker.wait(timeout=300) == 0, (tmp_path / "worker.log").read_text()[-3000:]
        finally:
            worker.kill()
    status, history = json_files.read_json(folder / "status.json"), runs.read_history(folder)
    assert status["state"] == "stopped" and status["backend"] == "jax"
    assert len(history) == 1 and history[0].partial is True, "stopped inside the first epoch"
    keras = pytest.importorskip("keras")
    assert keras.saving.load_model(folder / "model.keras", safe_mode=True).count_params() == 265_290
