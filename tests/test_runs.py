"""The run store: ids, atomic JSON, torn JSONL lines, listing and deleting."""

import json
import os

import pytest

from cnnviz.errors import CnnvizError, InvalidDataset, RunNotFound
from cnnviz.runtime import json_files, run_config, runs


def test_run_ids_have_the_design_shape_and_are_validated(tmp_path):
    run_id = runs.new_run_id("fashion_separable")
    assert runs.RUN_ID_PATTERN.fullmatch(run_id)
    for hostile in ("../etc", "/tmp/x", "20261123-000000-x-zzzz", "", "a" * 300):
        with pytest.raises(RunNotFound):
            runs.run_dir(hostile, tmp_path)
    with pytest.raises(RunNotFound, match="There is no run"):
        runs.run_dir(run_id, tmp_path)
    with pytest.raises(CnnvizError):
        runs.new_run_id("../evil")


def test_json_writes_are_atomic_and_leave_no_temp_files(tmp_path, monkeypatch):
    path = tmp_path / "status.json"
    json_files.write_json(path, {"state": "running"})
    original_replace = os.replace

    def crash(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        json_files.write_json(path, {"state": "finished"})
    monkeypatch.setattr(os, "replace", original_replace)
    assert json.loads(path.read_text()) == {"state": "running"}, "a failed write leaves the old file whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["status.json"]


def test_a_torn_last_jsonl_line_is_tolerated(tmp_path):
    path = tmp_path / "history.jsonl"
    json_files.append_jsonl(path, {"epoch": 1, "loss": 0.5})
    json_files.append_jsonl(path, {"epoch": 2, "loss": 0.4})
    with open(path, "a") as stream:
        stream.write('{"epoch": 3, "lo')  # a writer killed mid-line
    assert [record["epoch"] for record in json_files.read_jsonl(path)] == [1, 2]
    assert json_files.read_jsonl(tmp_path / "missing.jsonl") == []


def make_config(**overrides) -> run_config.RunConfig:
    settings = dict(recipe="fashion_separable", dataset="fashion_mnist", epochs=3, batch_size=32, learning_rate=1e-3)
    return run_config.RunConfig(**{**settings, "optimizer": "adam", **overrides})


def test_create_list_and_summarize(tmp_path):
    folder = runs.create_run(make_config(limit=1000, dropout=True, augment=True), tmp_path)
    (run,) = runs.list_runs(tmp_path)
    assert run.state is runs.RunState.QUEUED and run.state.is_active and not run.state.has_worker
    assert run.label == "Fashion-MNIST · 1,000 images · dropout + augmentation"
    json_files.append_jsonl(folder / "history.jsonl", {"epoch": 1, "val_accuracy": 0.8, "loss": 0.6})
    json_files.append_jsonl(folder / "history.jsonl", {"epoch": 2, "val_accuracy": 0.85, "loss": 0.4})
    (run,) = runs.list_runs(tmp_path)
    assert (run.epochs_done, run.config.epochs, run.best_val_accuracy) == (2, 3, 0.85)
    assert run.as_row()["epochs"] == "2/3"
    assert runs.as_keras_history(run.epochs) == {"loss": [0.6, 0.4], "val_accuracy": [0.8, 0.85]}
    assert run.history_csv().splitlines()[0] == "epoch,loss,val_accuracy"
    assert run.model_path is None and run.evaluation() is None and run.progress() is None


def test_a_listed_run_is_read_again_exactly_when_one_of_its_files_changed(tmp_path):
    folder = runs.create_run(make_config(), tmp_path)
    first = runs.load_folder(folder)
    assert runs.load_folder(folder) is first, "nothing changed: the run read before, no file read"
    runs.set_status(folder, runs.RunState.RUNNING, "epoch 1")  # replaced at once: a new file, in the same tick
    runs.set_status(folder, runs.RunState.RUNNING, "epoch 2")
    json_files.append_jsonl(folder / "history.jsonl", {"epoch": 1, "val_accuracy": 0.8, "loss": 0.6})
    (run,) = runs.list_runs(tmp_path)
    assert (run.state, run.message, run.epochs_done) == (runs.RunState.RUNNING, "epoch 2", 1)
    runs.rename(run.run_id, "mine", tmp_path)
    assert runs.load_run(run.run_id, tmp_path).label == "mine"


def test_a_partial_epoch_is_never_a_best_or_an_epoch_done(tmp_path):
    folder = runs.create_run(make_config(), tmp_path)
    json_files.append_jsonl(folder / "history.jsonl", {"epoch": 1, "val_accuracy": 0.656, "loss": 0.9, "partial": True})
    run = runs.load_folder(folder)
    assert run.epochs_done == 0 and run.best_val_accuracy is None and run.as_row()["best val accuracy"] == ""
    assert len(run.history) == 1, "the partial record is kept, marked"


def test_the_config_is_validated_and_round_trips_through_json(tmp_path):
    config = make_config(variant="dropout", experiment="e1", label="  my   run ")
    assert config.label == "my run"
    assert run_config.RunConfig.from_json({**config.to_json(), "from_a_newer_cnnviz": 1}) == config
    with pytest.raises(InvalidDataset, match="needs its path"):
        make_config(dataset="folder")
    for bad in (
        dict(epochs=0),
        dict(batch_size=2.5),
        dict(optimizer="adamw-turbo"),
        dict(learning_rate=-1),
        dict(variant="lucky"),
        dict(recipe="../evil"),
        dict(limit=0),
    ):
        with pytest.raises(CnnvizError):
            make_config(**bad)
    with pytest.raises(CnnvizError, match="incomplete"):
        run_config.RunConfig.from_json({"recipe": "fashion_separable"})


def test_rename_keeps_everything_else_and_an_empty_label_goes_back_to_the_settings(tmp_path):
    folder = runs.create_run(make_config(), tmp_path)
    renamed = runs.rename(folder.name, "baseline, lesson 3", tmp_path)
    assert renamed.label == "baseline, lesson 3" and renamed.config.epochs == 3 and renamed.created > 0
    assert runs.rename(folder.name, "", tmp_path).label == "Fashion-MNIST · all images · no dropout, no augmentation"


def test_progress_and_evaluation_are_typed(tmp_path):
    folder = runs.create_run(make_config(), tmp_path)
    runs.set_status(folder, runs.RunState.RUNNING, "training", pid=1)
    batch = {"epoch": 2, "epochs": 3, "batch": 50, "batches": 100, "images_per_second": 1900.0, "eta_seconds": 75}
    json_files.append_jsonl(folder / "batches.jsonl", batch)
    json_files.write_json(folder / "evaluation.json", {"state": "finished", "accuracy": 0.9, "loss": 0.3, "images": 10})
    run = runs.load_folder(folder)
    assert run.progress().fraction == pytest.approx(0.5)
    assert run.progress().describe() == "epoch 2/3 · batch 50/100 · 1,900 images/s · ETA 1:15"
    assert run.evaluation().describe() == "test accuracy 90.0% on 10 images (loss 0.3000)"


def test_a_file_where_the_runs_dir_should_be_is_a_message(tmp_path):
    (tmp_path / "runs").write_text("not a folder")
    with pytest.raises(CnnvizError, match="Cannot write the run store"):
        runs.create_run(make_config(), tmp_path / "runs")
