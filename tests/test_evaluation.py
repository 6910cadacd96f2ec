"""Evaluation keeps every prediction: checked against the run's model predicting through Keras directly."""

import os
import signal
import time

import numpy as np
import pytest
from PIL import Image

from cnnviz.data import datasets
from cnnviz.errors import CnnvizError
from cnnviz.learning import evaluating, mistakes, training
from cnnviz.runtime import evaluations, jobs, json_files, runs
from cnnviz.runtime.evaluations import EvaluationState, ModelFile
from cnnviz.runtime.run_files import RunFiles
from tests.apptest_helpers import run_cnnviz
from tests.waiting import wait_for

keras = pytest.importorskip("keras")


@pytest.fixture(scope="module")
def evaluated(tmp_path_factory):
    """A fashion_separable run on 1,000 images for one epoch, evaluated by the CLI (200 test images)."""
    root = tmp_path_factory.mktemp("runs")
    trained = run_cnnviz(
        "train", "--recipe", "fashion_separable", "--dataset", "fashion_mnist", "--epochs", "1", "--limit", "1000",
        "--runs-dir", str(root),
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-2000:]
    run = runs.list_runs(root)[0]
    result = run_cnnviz("evaluate", "--run-dir", str(run.folder))
    assert result.returncode == 0, result.stderr[-2000:]
    return runs.load_folder(run.folder)


def test_the_matrix_is_the_models_own_predictions_counted_by_hand(evaluated):
    evaluation = evaluated.evaluation()
    assert evaluation.state is EvaluationState.FINISHED and evaluation.split == "test" and evaluation.images == 200
    assert evaluation.model_file is ModelFile.FINAL and not evaluation.model_is_newer
    model = keras.saving.load_model(evaluated.folder / "model.keras", safe_mode=True)
    test = datasets.load("fashion_mnist", limit=1000).test
    x, y = test.to_numpy()
    predicted = np.argmax(model.predict(x, verbose=0), axis=1)
    by_hand = [[0] * 10 for _ in range(10)]
    for true_class, guess in zip(y, predicted):
        by_hand[int(true_class)][int(guess)] += 1
    matrix = mistakes.load_confusion(evaluation)
    assert matrix.matrix.tolist() == by_hand and matrix.matrix.sum() == 200
    keras_says = model.evaluate(x, y, verbose=0, return_dict=True)
    assert evaluation.accuracy == pytest.approx(keras_says["accuracy"], abs=1e-6)
    assert evaluation.loss == pytest.approx(keras_says["loss"], rel=1e-4)
    assert list(matrix.class_names) == list(datasets.FASHION_CLASSES)


def test_a_cells_images_and_the_two_grad_cams(evaluated):
    evaluation = evaluated.evaluation()
    matrix = mistakes.load_confusion(evaluation)
    split = mistakes.evaluated_split(evaluated, evaluation)
    cell = matrix.cells_by_interest()[0]
    gallery = mistakes.thumbnails(split, matrix, cell)
    assert 0 < len(gallery) <= 24 and all(matrix.cell_of(each.image.index) == cell for each in gallery)
    assert gallery[0].picture.shape == (84, 84)  # 28×28 enlarged 3× pixel by pixel
    model = mistakes.load_model(evaluated, evaluation)
    explanation = mistakes.explain_image(model, split, matrix, gallery[0].image.index)
    (predicted_map, predicted_caption), (true_map, true_caption) = explanation.heatmaps
    names = matrix.class_names
    assert predicted_caption.startswith(f"predicted: {names[cell.predicted]} (")
    assert true_caption.startswith(f"true: {names[cell.true]} (")
    assert predicted_map.shape == true_map.shape == (308, 308, 3)  # 28×28 enlarged 11× pixel by pixel
    assert np.array_equal(explanation.picture[::11, ::11], split.load([gallery[0].image.index])[0, ..., 0])
    assert f"called {names[cell.predicted]}" in explanation.caption


def test_a_newer_model_marks_the_evaluation_stale(evaluated, tmp_path):
    folder = tmp_path / evaluated.run_id
    folder.mkdir()
    for name in ("config.json", "status.json", "history.jsonl", "model.keras", "evaluation.json", "predictions.npz"):
        (folder / name).write_bytes((evaluated.folder / name).read_bytes())
    stale = runs.load_folder(folder)
    recorded = stale.evaluation().model_modified
    os.utime(folder / "model.keras", (recorded + 60, recorded + 60))
    evaluation = runs.load_folder(folder).evaluation()
    assert evaluation.model_is_newer and "evaluate again" in evaluation.describe()
    with pytest.raises(CnnvizError, match="saved again"):
        mistakes.load_model(stale, evaluation)


def test_a_dataset_without_a_test_split_is_evaluated_on_its_validation_split(tmp_path):
    for split, count in (("train", 12), ("validation", 6)):
        for name, shade in (("dark", 30), ("light", 220)):
            (tmp_path / "data" / split / name).mkdir(parents=True)
            for number in range(count):
                picture = np.full((28, 28), shade + number, dtype=np.uint8)
                Image.fromarray(picture).save(tmp_path / "data" / split / name / f"{number}.png")
    config = training.default_config(
        "fashion_separable", "folder", dataset_path=str(tmp_path / "data"), epochs=1, batch_size=4
    )
    folder = runs.create_run(config, tmp_path / "runs")
    assert training.train(folder).state is runs.RunState.FINISHED
    evaluation = evaluating.evaluate(folder)
    assert evaluation.is_finished and evaluation.split == "validation" and evaluation.images == 12
    assert evaluation.describe().startswith("validation accuracy")
    assert mistakes.load_confusion(evaluation).matrix.sum() == 12


def test_a_run_still_training_or_without_an_epoch_is_a_message(tmp_path):
    folder = runs.create_run(training.default_config("fashion_separable", "fashion_mnist", epochs=1), tmp_path)
    with pytest.raises(CnnvizError, match="no complete epoch|still queued"):
        jobs.evaluate([folder.name], tmp_path)
    runs.set_status(folder, runs.RunState.FINISHED, "finished after 0 epochs")
    with pytest.raises(CnnvizError, match="no complete epoch"):
        jobs.evaluate([folder.name], tmp_path)
    evaluation = evaluating.evaluate(folder)  # the worker refuses too, with a message, never a traceback
    assert evaluation.state is EvaluationState.FAILED and "no complete epoch" in evaluation.message
    with pytest.raises(CnnvizError, match="no complete epoch"):
        mistakes.load_confusion(evaluation)


def test_a_model_file_that_fails_to_load_fails_the_evaluation_with_a_message(evaluated, tmp_path):
    folder = tmp_path / evaluated.run_id
    folder.mkdir()
    for name in ("config.json", "status.json", "history.jsonl"):
        (folder / name).write_bytes((evaluated.folder / name).read_bytes())
    (folder / "model.keras").write_bytes(b"not a zip file")
    evaluation = evaluating.evaluate(folder)
    assert evaluation.state is EvaluationState.FAILED and "could not be loaded" in evaluation.message
    assert not RunFiles(folder).predictions.exists()


def test_kill_9_during_an_evaluation_is_failed_not_a_partial_matrix(evaluated, tmp_path):
    folder = tmp_path / evaluated.run_id
    folder.mkdir()
    for name in ("config.json", "status.json", "history.jsonl", "model.keras"):
        (folder / name).write_bytes((evaluated.folder / name).read_bytes())
    jobs.evaluate([folder.name], tmp_path)
    pid = wait_for(lambda: runs.load_folder(folder).evaluation().pid, timeout=60)
    os.kill(pid, signal.SIGKILL)
    wait_for(lambda: not jobs.is_evaluating(runs.load_folder(folder)), timeout=30)
    evaluation = jobs.evaluation_of(runs.load_folder(folder))
    assert evaluation.state is EvaluationState.FAILED and "stopped before it finished" in evaluation.message
    assert not RunFiles(folder).predictions.exists()
    with pytest.raises(CnnvizError, match="stopped before it finished"):
        mistakes.load_confusion(evaluation)


def test_a_launched_evaluation_that_never_started_is_failed_after_a_grace(tmp_path):
    folder = tmp_path / "20261201-000000-fashion_separable-abcd"
    folder.mkdir()
    evaluations.write_running(folder)
    run = type("Run", (), {"folder": folder, "evaluation": lambda self: evaluations.read_evaluation(folder)})()
    assert jobs.evaluation_of(run).is_running  # just launched: the worker has not recorded its pid yet
    record = json_files.read_json(RunFiles(folder).evaluation)
    json_files.write_json(RunFiles(folder).evaluation, record | {"started": time.time() - 600})
    assert "never started" in jobs.evaluation_of(run).message


def test_old_evaluation_records_still_open(tmp_path):
    json_files.write_json(
        tmp_path / "evaluation.json", {"state": "finished", "accuracy": 0.9, "loss": 0.3, "images": 10}
    )
    evaluation = evaluations.read_evaluation(tmp_path)
    assert evaluation.describe() == "test accuracy 90.0% on 10 images (loss 0.3000)"
    with pytest.raises(CnnvizError, match="before cnnviz kept every image's prediction"):
        mistakes.load_confusion(evaluation)
