"""Real training through the worker: the callback, the CLI, the queue, Stop, and kill -9."""

import os
import signal
import subprocess
import sys

import numpy as np
import pytest

from cnnviz.learning import streaming, training
from cnnviz.runtime import jobs, json_files, runs
from cnnviz.runtime.run_files import RunFiles
from tests.apptest_helpers import run_cnnviz
from tests.helpers import quick_config
from tests.waiting import wait_for

keras = pytest.importorskip("keras")


def state_of(folder):
    return json_files.read_json(folder / "status.json").get("state")


def test_streaming_callback_writes_batches_epochs_and_models(tmp_path, monkeypatch):
    monkeypatch.setattr(streaming, "BATCH_WRITE_INTERVAL_SECONDS", 0.0)  # every batch, to count them
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(2, activation="softmax")])
    model.compile("adam", "sparse_categorical_crossentropy", metrics=["accuracy"])
    x, y = np.random.default_rng(0).normal(size=(40, 4)).astype("float32"), np.arange(40) % 2
    callback = streaming.make_streaming_callback(tmp_path, epochs=2, batch_size=8, steps=5, progress=None)
    model.fit(x, y, batch_size=8, epochs=2, validation_data=(x, y), callbacks=[callback], verbose=0)
    batches, history = json_files.read_jsonl(tmp_path / "batches.jsonl"), runs.read_history(tmp_path)
    assert len(batches) == 10 and batches[-1]["batch"] == 5 and batches[-1]["epoch"] == 2
    assert {"loss", "accuracy", "images_per_second", "eta_seconds", "time"} <= set(batches[0])
    assert [record.epoch for record in history] == [1, 2]
    assert {"loss", "accuracy", "val_loss", "val_accuracy", "seconds", "learning_rate"} <= set(history[0].to_json())
    assert history[0].learning_rate == pytest.approx(0.001)
    assert (tmp_path / "model.keras").is_file() and (tmp_path / "best.keras").is_file()


def test_the_callback_stops_within_one_batch(tmp_path, monkeypatch):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    callback = streaming.make_streaming_callback(tmp_path, epochs=1, batch_size=1, steps=100, progress=None)
    seen = []

    class RequestStopAtBatch3(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            seen.append(batch)
            if batch == 3:
                RunFiles(tmp_path).stop_request.touch()

    x, y = np.zeros((100, 4), dtype="float32"), np.zeros(100)
    model.fit(x, y, batch_size=1, epochs=1, callbacks=[RequestStopAtBatch3(), callback], verbose=0)
    assert seen == [0, 1, 2, 3], "the batch that saw the request was the last one"
    assert runs.read_history(tmp_path)[0].partial is True


def test_stop_during_validation_ends_it_within_one_batch(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(1, activation="sigmoid")])
    model.compile("adam", "binary_crossentropy", metrics=["accuracy"])
    callback = streaming.make_streaming_callback(tmp_path, epochs=3, batch_size=1, steps=10, progress=None)
    validated = []

    class RequestStopWhileValidating(keras.callbacks.Callback):
        def on_test_batch_end(self, batch, logs=None):
            validated.append(batch)
            if batch == 2:
                RunFiles(tmp_path).stop_request.touch()

    x, y = np.zeros((10, 4), dtype="float32"), np.zeros(10)
    x_val, y_val = np.zeros((100, 4), dtype="float32"), np.zeros(100)
    model.fit(
        x,
        y,
        batch_size=1,
        epochs=3,
        validation_data=(x_val, y_val),
        validation_batch_size=1,
        callbacks=[RequestStopWhileValidating(), callback],
        verbose=0,
    )
    assert validated == [0, 1, 2], "validation ended at the batch that saw the request"
    history = runs.read_history(tmp_path)
    assert len(history) == 1 and history[0].partial is True and (tmp_path / "model.keras").is_file()


def test_stop_before_the_first_batch_leaves_a_clean_stopped_run(tmp_path):
    run_id = jobs.start(quick_config(), tmp_path)
    assert jobs.stop(run_id, tmp_path) == "stopping"
    wait_for(lambda: state_of(tmp_path / run_id) == "stopped", timeout=120)
    assert len(runs.read_history(tmp_path / run_id)) <= 1


def test_one_real_epoch_through_the_cli(tmp_path):
    result = run_cnnviz(
        "train",
        "--recipe",
        "fashion_separable",
        "--dataset",
        "fashion_mnist",
        "--epochs",
        "1",
        "--limit",
        "512",
        "--runs-dir",
        str(tmp_path),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "images/s" in result.stderr and "ETA" in result.stderr and "finished" in result.stderr
    (folder,) = tmp_path.iterdir()
    assert runs.RUN_ID_PATTERN.fullmatch(folder.name)
    for name in ("config.json", "status.json", "history.jsonl", "batches.jsonl", "model.keras", "tensorboard"):
        assert (folder / name).exists(), name
    config, status = json_files.read_json(folder / "config.json"), json_files.read_json(folder / "status.json")
    assert config["batch_size"] == 32 and config["backend"] == "tensorflow" and "keras" in config["versions"]
    assert status["state"] == "finished" and status["parameters"] == 265_290
    (epoch,) = runs.read_history(folder)
    assert 0 <= epoch.val_accuracy <= 1 and epoch.seconds > 0
    model = keras.saving.load_model(folder / "model.keras", safe_mode=True)
    assert model.count_params() == 265_290
    listing = run_cnnviz("runs", "--runs-dir", str(tmp_path))
    assert folder.name in listing.stdout and "finished" in listing.stdout


def test_a_failure_is_a_readable_message_and_a_bad_command_exits_2(tmp_path):
    result = run_cnnviz(
        "train",
        "--recipe",
        "catsdogs_baseline",
        "--dataset",
        "folder",
        "--dataset-path",
        str(tmp_path / "missing"),
        "--runs-dir",
        str(tmp_path / "runs"),
    )
    assert result.returncode == 1
    (folder,) = (tmp_path / "runs").iterdir()
    status = json_files.read_json(folder / "status.json")
    assert status["state"] == "failed" and "There is no folder" in status["message"]
    assert (
        run_cnnviz("train", "--recipe", "resnet", "--dataset", "lfw_faces", "--runs-dir", str(tmp_path)).returncode == 2
    )
    assert run_cnnviz("stop", "../../etc", "--runs-dir", str(tmp_path)).returncode == 2


def test_the_queue_runs_one_at_a_time_in_order(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_MAX_JOBS", "1")
    first, second = jobs.start(quick_config(), tmp_path), jobs.start(quick_config(), tmp_path)
    assert state_of(tmp_path / first) == "running" and state_of(tmp_path / second) == "queued"
    # The first worker starts the second when it ends; refresh() only reaps here.
    wait_for(lambda: state_of(tmp_path / first) == "finished" and (jobs.refresh(tmp_path) or True))
    wait_for(lambda: (jobs.refresh(tmp_path) or True) and state_of(tmp_path / second) == "finished")
    first_end = runs.read_history(tmp_path / first)[-1].time
    second_batches = json_files.read_jsonl(tmp_path / second / "batches.jsonl")
    assert second_batches[0]["time"] > first_end, "the second run trained only after the first ended"


def test_stop_saves_the_model_and_history(tmp_path):
    run_id = jobs.start(
        training.default_config("fashion_separable", "fashion_mnist", epochs=20, limit=20_000, batch_size=32), tmp_path
    )
    folder = tmp_path / run_id
    wait_for(lambda: json_files.read_jsonl(folder / "batches.jsonl"))
    assert jobs.stop(run_id, tmp_path) == "stopping"
    wait_for(lambda: state_of(folder) == "stopped", timeout=120)
    history = runs.read_history(folder)
    assert len(history) == 1 and history[0].partial, "stopped inside the first epoch"
    assert keras.saving.load_model(folder / "model.keras", safe_mode=True).count_params() == 265_290


def test_kill_9_marks_the_run_failed_and_keeps_finished_epochs(tmp_path):
    run_id = jobs.start(training.default_config("fashion_separable", "fashion_mnist", epochs=50, limit=1000), tmp_path)
    folder = tmp_path / run_id
    wait_for(lambda: len(runs.read_history(folder)) >= 1)
    os.kill(json_files.read_json(folder / "status.json")["pid"], signal.SIGKILL)
    wait_for(lambda: (jobs.refresh(tmp_path) or True) and state_of(folder) == "failed", timeout=30)
    status = json_files.read_json(folder / "status.json")
    assert "ended without a word" in status["message"] and "finished epoch(s) are kept" in status["message"]
    assert status["worker_check"] in (f"process {status['pid']} has exited", f"process {status['pid']} is gone")
    assert len(runs.read_history(folder)) >= 1
    assert keras.saving.load_model(folder / "model.keras", safe_mode=True).count_params() == 265_290


def test_a_worker_is_declared_dead_only_for_a_reason_seen_twice(tmp_path):
    assert jobs.worker_problem(None, "run") == "no worker pid recorded"
    assert jobs.worker_problem(os.getpid(), "not-in-my-command-line") == f"process {os.getpid()} is another program now"
    finished = subprocess.Popen([sys.executable, "-c", "pass"])
    finished.wait()
    assert jobs.worker_problem(finished.pid, "run") == f"process {finished.pid} is gone"
    folder = tmp_path / "20261123-000000-fashion_separable-abcd"
    folder.mkdir()
    json_files.write_json(folder / "status.json", {"state": "running", "pid": os.getpid()})
    assert jobs.confirmed_worker_problem(folder, folder.name) == f"process {os.getpid()} is another program now"
    json_files.write_json(folder / "status.json", {"state": "finished", "pid": None})
    assert jobs.confirmed_worker_problem(folder, folder.name) is None  # it ended and said so: not dead


def test_an_in_memory_split_is_fed_as_its_own_uint8_pixels_in_shuffled_batches():
    from cnnviz.data.splits import Split

    pixels = np.arange(5 * 4 * 4, dtype=np.uint8).reshape(5, 4, 4, 1)
    split = Split("train", np.arange(5), (4, 4, 1), pixels)
    feed = training.fit_inputs(split, (4, 4, 1), batch_size=2, shuffle=True, seed=0)
    epochs = [[(np.asarray(x), np.asarray(y)) for x, y in feed.x] for _ in range(2)]  # TensorFlow: a tf.data pipeline
    for batches in epochs:
        assert [len(y) for _, y in batches] == [2, 2, 1] and all(x.dtype == np.uint8 for x, _ in batches)
        labels = np.concatenate([y for _, y in batches])
        assert sorted(labels) == [0, 1, 2, 3, 4], "every image once an epoch"
        for x, y in batches:
            np.testing.assert_array_equal(x, pixels[y])  # each image with its own label
    assert [y.tolist() for _, y in epochs[0]] != [y.tolist() for _, y in epochs[1]], "reshuffled every epoch"
    in_order = training.fit_inputs(split, (4, 4, 1), batch_size=2, shuffle=False, seed=0)
    assert np.concatenate([np.asarray(y) for _, y in in_order.x]).tolist() == [0, 1, 2, 3, 4]


def test_a_folder_split_that_fits_in_memory_is_decoded_once_as_uint8(tmp_path, monkeypatch):
    from PIL import Image

    from cnnviz.data import folders

    for name in ("cats", "dogs"):
        (tmp_path / name).mkdir()
        for index in range(6):
            Image.new("RGB", (40, 30), (40 * index, 100, 200)).save(tmp_path / name / f"{index}.png")
    split = folders.load_folder(tmp_path, image_size=(20, 20)).train
    feed = training.fit_inputs(split, (20, 20, 3), batch_size=len(split), shuffle=False, seed=0)
    ((pixels, _),) = list(feed.x)  # one batch of every image, in order
    assert pixels.dtype == np.uint8 and tuple(pixels.shape) == (len(split), 20, 20, 3)
    np.testing.assert_array_equal(pixels, split.load(np.arange(len(split)), (20, 20, 3)))
    monkeypatch.setattr(training, "IN_MEMORY_BYTES", 100)
    too_big = training.fit_inputs(split, (20, 20, 3), batch_size=4, shuffle=True, seed=0)
    assert isinstance(too_big.x, keras.utils.PyDataset) and too_big.y is None, "too big: a PyDataset of files"


def test_validation_batches_are_larger_for_small_images_and_never_smaller_than_training():
    assert training.validation_batch_size(32, (28, 28, 1)) == 256  # Fashion-MNIST: no gradients, little memory
    assert training.validation_batch_size(20, (150, 150, 3)) == 20  # cats vs dogs: as the tutorial trains
    assert training.validation_batch_size(512, (28, 28, 1)) == 512
