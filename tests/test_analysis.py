"""overfitting_report on histories whose answers are known, and the run-comparison helpers."""

import pytest

from cnnviz.learning import analysis
from cnnviz.runtime import runs

OVERFITTING = {  # the book's baseline shape: validation loss bottoms at epoch 5, then climbs
    "loss": [0.69, 0.60, 0.52, 0.45, 0.38, 0.30, 0.22, 0.15, 0.10, 0.06],
    "val_loss": [0.68, 0.63, 0.60, 0.58, 0.55, 0.58, 0.63, 0.70, 0.80, 0.88],
    "accuracy": [0.52, 0.66, 0.74, 0.79, 0.83, 0.88, 0.92, 0.95, 0.97, 0.99],
    "val_accuracy": [0.55, 0.64, 0.68, 0.70, 0.72, 0.71, 0.71, 0.70, 0.71, 0.70],
}


def test_overfitting_report_on_the_books_curve():
    report = analysis.overfitting_report(OVERFITTING)
    assert report["epochs"] == 10
    assert (report["best_val_accuracy"], report["best_val_accuracy_epoch"]) == (0.72, 5)
    assert (report["min_val_loss"], report["min_val_loss_epoch"]) == (0.55, 5)
    assert report["final_gap"] == pytest.approx(0.29)
    assert report["val_loss_rise"] == pytest.approx(0.6)
    assert report["verdict"].startswith("Validation loss bottomed at epoch 5 and is 60% higher now")
    assert "Augmentation and dropout are the next step" in report["verdict"]


def test_still_learning_plateau_gap_and_underfitting_verdicts():
    learning = {
        "loss": [1.0, 0.8, 0.6],
        "val_loss": [1.0, 0.9, 0.8],
        "accuracy": [0.5, 0.6, 0.7],
        "val_accuracy": [0.5, 0.6, 0.7],
    }
    assert "still learning" in analysis.overfitting_report(learning)["verdict"]
    plateau = {
        "loss": [1.0, 0.8, 0.79, 0.78],
        "val_loss": [1.0, 0.80, 0.81, 0.82],
        "accuracy": [0.6, 0.8, 0.8, 0.81],
        "val_accuracy": [0.6, 0.8, 0.8, 0.8],
    }
    assert "flat since epoch 2" in analysis.overfitting_report(plateau)["verdict"]
    gap = {**plateau, "accuracy": [0.6, 0.9, 0.95, 0.97]}
    assert "17% above validation" in analysis.overfitting_report(gap)["verdict"]
    weak = {**plateau, "accuracy": [0.5, 0.52, 0.52, 0.53], "val_accuracy": [0.5, 0.51, 0.5, 0.5]}
    assert "underfits" in analysis.overfitting_report(weak)["verdict"]
    assert "Too few epochs" in analysis.overfitting_report({"loss": [1.0], "val_loss": [1.0]})["verdict"]


def test_smoothing_and_book_references():
    assert analysis.smooth([1.0, 0.0, 0.0], 0.0) == [1.0, 0.0, 0.0]
    assert analysis.smooth([1.0, 0.0, 0.0], 0.5) == [1.0, 0.5, 0.25]
    assert analysis.book_reference("catsdogs_baseline") == 0.71
    assert analysis.book_reference("vgg16_fine_tune") == 0.97
    assert analysis.book_reference("fashion_separable") is None


def make_run(root, recipe, dataset, state="finished", epochs=2):
    folder = runs.create_run({"recipe": recipe, "dataset": dataset, "epochs": epochs}, root)
    for epoch in range(1, epochs + 1):
        runs.append_jsonl(
            folder / "history.jsonl",
            {
                "epoch": epoch,
                "loss": 1 / epoch,
                "val_loss": 1 / epoch,
                "accuracy": 0.5,
                "val_accuracy": 0.5,
                "seconds": 2.0,
            },
        )
    runs.set_status(folder, state)
    return folder.name


def test_default_selection_is_the_latest_finished_run_of_each_recipe_on_one_dataset(tmp_path, monkeypatch):
    made = iter(range(10))
    monkeypatch.setattr(runs, "new_run_id", lambda recipe: f"20261123-0100{next(made):02d}-{recipe}-abcd")
    ids = []
    for recipe, dataset, state in [
        ("catsdogs_baseline", "lfw_faces", "finished"),
        ("catsdogs_baseline", "lfw_faces", "finished"),
        ("catsdogs_dropout_augment", "lfw_faces", "finished"),
        ("fashion_separable", "fashion_mnist", "finished"),
        ("malaria_batchnorm", "lfw_faces", "failed"),
        ("catsdogs_dropout_augment", "lfw_faces", "finished"),
    ]:
        ids.append(make_run(tmp_path, recipe, dataset, state))
    selection = analysis.default_selection(runs.list_runs(tmp_path))
    assert selection == [ids[5], ids[1]]
    row = analysis.run_row(tmp_path / ids[5])
    assert row["epochs"] == 2 and row["seconds/epoch"] == 2.0 and "still learning" in row["verdict"]
    csv = analysis.histories_csv([tmp_path / ids[0], tmp_path / ids[1]])
    assert csv.splitlines()[0].startswith("run,epoch,loss") and len(csv.splitlines()) == 5
