"""Each complete epoch's weights, kept while training and replayed: the time-lapse and the filter patterns."""

import numpy as np
import pytest

from cnnviz.errors import CnnvizError
from cnnviz.learning import epoch_weights, explain, filter_patterns, models, time_lapse, training
from cnnviz.runtime import epoch_snapshots, jobs, json_files, pattern_store, runs
from cnnviz.runtime.pattern_store import PatternState
from tests.apptest_helpers import run_cnnviz
from tests.waiting import wait_for


@pytest.fixture(scope="module")
def three_epochs(tmp_path_factory) -> runs.Run:
    """fashion_separable trained for three epochs on 2,048 images, through the worker's own code."""
    root = tmp_path_factory.mktemp("runs")
    arguments = ["--recipe", "fashion_separable", "--dataset", "fashion_mnist", "--epochs", "3", "--limit", "2048"]
    result = run_cnnviz("train", *arguments, "--runs-dir", str(root))
    assert result.returncode == 0, result.stderr[-2000:]
    return runs.list_runs(root)[0]


def test_each_complete_epoch_is_kept_and_reproduces_its_validation_accuracy(three_epochs):
    run = three_epochs
    assert [snapshot.epoch for snapshot in run.snapshots] == [1, 2, 3]
    assert all(snapshot.whole for snapshot in run.snapshots)
    validation = training.load_dataset(run.config).validation
    images = validation.load(range(len(validation)))
    for record in run.epochs:
        model = time_lapse.load_model_at(run, record.epoch)
        accuracy = float(np.mean(model.predict(images, verbose=0).argmax(-1) == validation.labels))
        assert accuracy == pytest.approx(record.val_accuracy, abs=1e-3), record.epoch
    # The last epoch's snapshot is the final model itself.
    final, last = explain.load_run_model(run), time_lapse.load_model_at(run, 3)
    for kept, saved in zip(last.get_weights(), final.get_weights()):
        np.testing.assert_array_equal(kept, saved)


def test_the_confidence_curve_reads_each_epoch(three_epochs):
    run = three_epochs
    split = explain.held_out_images(run)
    batch, true_class = split.load([0]).astype("float32"), int(split.labels[0])
    curve = time_lapse.confidence_by_epoch(run, batch, true_class, "its class")
    assert curve.epochs == [1, 2, 3]
    for epoch, probability in zip(curve.epochs, curve.probabilities):
        model = time_lapse.load_model_at(run, epoch)
        assert probability == pytest.approx(float(explain.probabilities(model, batch)[true_class]), abs=1e-6)


def test_first_layer_filters_come_from_either_kind_of_snapshot(three_epochs, tmp_path, monkeypatch):
    filters = time_lapse.first_layer_filters(three_epochs, 2)
    assert filters.kernel.shape == (3, 3, 1, 32) and len(filters.pictures()) == 32
    # A network too big to keep whole keeps its first convolution only (VGG16 with its base: 67 MB a snapshot).
    monkeypatch.setattr(epoch_snapshots, "WHOLE_NETWORK_LIMIT_BYTES", 1000)
    model = models.build("fashion_separable")
    path = epoch_weights.save_snapshot(model, tmp_path, 4)
    assert path.name == "epoch-004.first-layer.npz"
    kernel, bias = epoch_snapshots.read_first_layer(path)
    np.testing.assert_array_equal(kernel, model.get_layer("conv1").kernel.numpy())
    [snapshot] = epoch_snapshots.list_snapshots(tmp_path, {4})
    assert not snapshot.whole
    assert epoch_snapshots.list_snapshots(tmp_path, {1, 2, 3}) == [], "an epoch with no history line is not listed"


def test_a_run_trained_before_snapshots_says_how_to_get_them(three_epochs, tmp_path):
    import shutil

    old = tmp_path / three_epochs.folder.name
    shutil.copytree(three_epochs.folder, old)
    shutil.rmtree(old / "epochs")
    with pytest.raises(CnnvizError, match="trained before cnnviz kept them"):
        time_lapse.load_model_at(runs.load_folder(old), 1)
    with pytest.raises(CnnvizError, match="there is no epoch 9"):
        time_lapse.load_model_at(three_epochs, 9)


def test_a_stop_mid_epoch_keeps_the_complete_epochs_only(tmp_path):
    config = training.default_config("fashion_separable", "fashion_mnist", epochs=20, limit=4096, batch_size=32)
    run_id = jobs.start(config, tmp_path)
    folder = tmp_path / run_id
    wait_for(lambda: len(runs.read_history(folder)) >= 1, timeout=180)
    # Into the second epoch's batches, then Stop: it ends part-way through an epoch.
    wait_for(lambda: any(record["epoch"] == 2 for record in json_files.read_jsonl(folder / "batches.jsonl")))
    jobs.stop(run_id, tmp_path)
    wait_for(lambda: runs.read_state(folder)[0] is runs.RunState.STOPPED, timeout=120)
    run = runs.load_folder(folder)
    assert run.history[-1].partial
    assert [snapshot.epoch for snapshot in run.snapshots] == [record.epoch for record in run.epochs]
    assert sorted(path.name for path in (folder / "epochs").iterdir()) == [
        f"epoch-{record.epoch:03d}.weights.npz" for record in run.epochs
    ]


def test_filter_patterns_excite_their_filters_five_times_the_grey_start(three_epochs):
    model = explain.load_run_model(three_epochs)
    patterns = filter_patterns.compute_patterns(model, "conv1")
    assert patterns.patterns.shape == (32, 28, 28, 1)
    assert np.all(patterns.final_activation >= 5 * patterns.start_activation)
    assert np.mean(patterns.final_activation > 0) > 0.8, "most filters answer their pattern"
    # Measured again through Keras itself: the layer's own mean output on the pattern and on the start.
    for index in (0, 17):
        on_pattern = explain.activations(model, patterns.patterns[index : index + 1], "conv1")[..., index].mean()
        assert on_pattern == pytest.approx(patterns.final_activation[index], rel=1e-4)
    assert len(patterns.pictures()) == 32 and patterns.pictures()[0].dtype == np.uint8


def test_patterns_are_computed_by_the_worker_and_cached_per_model_version(three_epochs):
    run = three_epochs
    result = run_cnnviz("patterns", "--run-dir", str(run.folder), "--layer", "separable1")
    assert result.returncode == 0, result.stderr[-2000:]
    job = pattern_store.current_job(run, "separable1")
    assert job.state is PatternState.FINISHED and job.done == job.total == 32 and job.seconds > 0
    stored = filter_patterns.stored_patterns(run, "separable1")
    assert np.all(stored.final_activation >= 5 * stored.start_activation)
    # The model trained further: the cache is another network's, and the page offers to compute them again.
    pattern_store.write_job(run.folder, "separable1", PatternState.FINISHED, model_version=1.0)
    assert pattern_store.current_job(run, "separable1") is None
    # A worker that died is recorded as failed, with a message.
    pattern_store.write_job(run.folder, "conv1", PatternState.RUNNING, pid=999_999_999)
    assert pattern_store.current_job(run, "conv1").state is PatternState.FAILED
    assert run_cnnviz("patterns", "--run-dir", str(run.folder), "--layer", "dense").returncode == 2


def test_an_epoch_cloned_from_the_final_model_is_the_same_network_and_leaves_it_alone(three_epochs):
    final = explain.load_run_model(three_epochs)
    before = [weight.copy() for weight in final.get_weights()]
    cloned, loaded = time_lapse.load_model_at(three_epochs, 1, final), time_lapse.load_model_at(three_epochs, 1)
    for a, b in zip(cloned.get_weights(), loaded.get_weights()):
        np.testing.assert_array_equal(a, b)
    for a, b in zip(final.get_weights(), before):
        np.testing.assert_array_equal(a, b)


def test_the_slider_replays_the_model_file_only_where_it_is_that_epoch(three_epochs, tmp_path):
    import shutil

    assert time_lapse.replay(three_epochs, 3) == time_lapse.Replay(3, None)  # the model file is epoch 3's
    assert time_lapse.replay(three_epochs, 2) == time_lapse.Replay(2, 2)
    stopped = tmp_path / three_epochs.folder.name
    shutil.copytree(three_epochs.folder, stopped)
    history = (stopped / "history.jsonl").read_text().splitlines()
    partial = json_files.read_jsonl(stopped / "history.jsonl")[-1] | {"epoch": 4, "partial": True}
    (stopped / "history.jsonl").write_text("\n".join([*history, __import__("json").dumps(partial)]) + "\n")
    # Stopped inside epoch 4: model.keras holds 4.x, so epoch 3 on the slider loads epoch 3's own weights.
    assert time_lapse.replay(runs.load_folder(stopped), 3) == time_lapse.Replay(3, 3)
