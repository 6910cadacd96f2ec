"""The run store: ids, atomic JSON, torn JSONL lines, listing and deleting."""

import json
import os

import pytest

from cnnviz.errors import CnnvizError, RunNotFound
from cnnviz.runtime import runs


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
    runs.write_json(path, {"state": "running"})
    original_replace = os.replace

    def crash(*_):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError):
        runs.write_json(path, {"state": "finished"})
    monkeypatch.setattr(os, "replace", original_replace)
    assert json.loads(path.read_text()) == {"state": "running"}, "a failed write leaves the old file whole"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["status.json"]


def test_a_torn_last_jsonl_line_is_tolerated(tmp_path):
    path = tmp_path / "history.jsonl"
    runs.append_jsonl(path, {"epoch": 1, "loss": 0.5})
    runs.append_jsonl(path, {"epoch": 2, "loss": 0.4})
    with open(path, "a") as stream:
        stream.write('{"epoch": 3, "lo')  # a writer killed mid-line
    assert [record["epoch"] for record in runs.read_jsonl(path)] == [1, 2]
    assert runs.read_jsonl(tmp_path / "missing.jsonl") == []


def test_create_list_and_summarize(tmp_path):
    folder = runs.create_run({"recipe": "fashion_separable", "dataset": "fashion_mnist", "epochs": 3}, tmp_path)
    assert runs.read_json(folder / "status.json")["state"] == "queued"
    runs.append_jsonl(folder / "history.jsonl", {"epoch": 1, "val_accuracy": 0.8, "loss": 0.6})
    runs.append_jsonl(folder / "history.jsonl", {"epoch": 2, "val_accuracy": 0.85, "loss": 0.4})
    (summary,) = runs.list_runs(tmp_path)
    assert (summary.epochs_done, summary.epochs, summary.best_val_accuracy) == (2, 3, 0.85)
    assert summary.as_row()["epochs"] == "2/3"
    assert runs.as_keras_history(runs.history_rows(folder)) == {"loss": [0.6, 0.4], "val_accuracy": [0.8, 0.85]}
    assert runs.history_csv(runs.history_rows(folder)).splitlines()[0] == "epoch,val_accuracy,loss"


def test_a_file_where_the_runs_dir_should_be_is_a_message(tmp_path):
    (tmp_path / "runs").write_text("not a folder")
    with pytest.raises(CnnvizError, match="Cannot write the run store"):
        runs.create_run({"recipe": "fashion_separable", "dataset": "fashion_mnist"}, tmp_path / "runs")
