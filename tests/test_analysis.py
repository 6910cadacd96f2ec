"""overfitting_report on histories whose answers are known, and the run-comparison helpers."""

import pytest

from cnnviz.learning import analysis, recipes, training
from cnnviz.pictures import plots
from cnnviz.runtime import json_files, runs
from cnnviz.runtime.records import BatchRecord, EpochRecord
from cnnviz.runtime.run_config import Variant

OVERFITTING = {  # the book's baseline shape: validation loss bottoms at epoch 5, then climbs
    "loss": [0.69, 0.60, 0.52, 0.45, 0.38, 0.30, 0.22, 0.15, 0.10, 0.06],
    "val_loss": [0.68, 0.63, 0.60, 0.58, 0.55, 0.58, 0.63, 0.70, 0.80, 0.88],
    "accuracy": [0.52, 0.66, 0.74, 0.79, 0.83, 0.88, 0.92, 0.95, 0.97, 0.99],
    "val_accuracy": [0.55, 0.64, 0.68, 0.70, 0.72, 0.71, 0.71, 0.70, 0.71, 0.70],
}


def test_overfitting_report_on_the_books_curve():
    report = analysis.overfitting_report(OVERFITTING)
    assert report.epochs == 10
    assert (report.best_val_accuracy, report.best_val_accuracy_epoch) == (0.72, 5)
    assert (report.min_val_loss, report.min_val_loss_epoch) == (0.55, 5)
    assert report.final_gap == pytest.approx(0.29)
    assert report.val_loss_rise == pytest.approx(0.6)
    assert report.verdict.startswith("Validation loss bottomed at epoch 5 and is 60% higher now")
    assert "Augmentation and dropout are the next step" in report.verdict


def test_still_learning_plateau_gap_and_underfitting_verdicts():
    learning = {
        "loss": [1.0, 0.8, 0.6],
        "val_loss": [1.0, 0.9, 0.8],
        "accuracy": [0.5, 0.6, 0.7],
        "val_accuracy": [0.5, 0.6, 0.7],
    }
    assert "still learning" in analysis.overfitting_report(learning).verdict
    plateau = {
        "loss": [1.0, 0.8, 0.79, 0.78, 0.77],
        "val_loss": [1.0, 0.80, 0.81, 0.82, 0.82],
        "accuracy": [0.6, 0.8, 0.8, 0.81, 0.81],
        "val_accuracy": [0.6, 0.8, 0.8, 0.8, 0.8],
    }
    assert "flat since epoch 2" in analysis.overfitting_report(plateau).verdict
    gap = {**plateau, "accuracy": [0.6, 0.9, 0.95, 0.96, 0.97]}
    assert "17% above validation" in analysis.overfitting_report(gap).verdict
    weak = {**plateau, "accuracy": [0.5, 0.52, 0.52, 0.53, 0.53], "val_accuracy": [0.5, 0.51, 0.5, 0.5, 0.5]}
    assert "underfits" in analysis.overfitting_report(weak).verdict
    assert "Too few epochs" in analysis.overfitting_report({"loss": [1.0], "val_loss": [1.0]}).verdict


def test_a_minimum_one_epoch_before_the_end_is_not_a_plateau():
    # The teacher's dropout run: validation loss lowest at epoch 27 of 28 (0.509, then 0.520), best accuracy at 28.
    val_loss = [1.0 - 0.0189 * epoch for epoch in range(27)] + [0.520]
    history = {
        "loss": [1.0 - 0.02 * epoch for epoch in range(28)],
        "val_loss": val_loss,
        "accuracy": [0.5 + 0.01 * epoch for epoch in range(28)],
        "val_accuracy": [0.5 + 0.0105 * epoch for epoch in range(28)],
    }
    verdict = analysis.overfitting_report(history).verdict
    assert "lowest at epoch 27 of 28, too recently to call it flat" in verdict and "still improving" in verdict
    assert "flat since" not in verdict


def test_the_gap_column_is_in_percentage_points(tmp_path):
    folder = runs.create_run(training.default_config("fashion_separable", "fashion_mnist", epochs=1), tmp_path)
    record = {"epoch": 1, "loss": 0.3, "val_loss": 0.6, "accuracy": 0.900, "val_accuracy": 0.736}
    json_files.append_jsonl(folder / "history.jsonl", record)
    assert analysis.comparison_row(runs.load_folder(folder))["final train−val gap"] == "+16.4 pts"


def test_a_variant_keeps_its_colour_whatever_the_order():
    histories = {"dropout": [EpochRecord(epoch=1, accuracy=0.5, val_accuracy=0.4)], "baseline": []}
    variants = {"dropout": Variant.DROPOUT, "baseline": Variant.BASELINE}
    figure = plots.compare_figure(histories, "accuracy", variants=variants)
    by_name = {trace.name: trace.line.color for trace in figure.data}
    assert by_name == {
        "dropout": plots.VARIANT_COLOURS[Variant.DROPOUT],
        "baseline": plots.VARIANT_COLOURS[Variant.BASELINE],
    }


def test_smoothing_and_book_references():
    assert analysis.smooth([1.0, 0.0, 0.0], 0.0) == [1.0, 0.0, 0.0]
    assert analysis.smooth([1.0, 0.0, 0.0], 0.5) == [1.0, 0.5, 0.25]
    assert analysis.book_reference("catsdogs_baseline") == 0.71
    assert analysis.book_reference("vgg16_fine_tune") == 0.97
    assert analysis.book_reference("fashion_separable") is None
    (fashion,) = analysis.reference_lines_of("fashion_separable")
    assert (fashion.value, fashion.source) == (0.8406, "Fashion-MNIST separable-convolution tutorial")
    caltech = analysis.reference_lines_of("caltech_small")
    assert [line.value for line in caltech] == [0.9969, 0.9937] and "test after 5 epochs" in caltech[1].label
    assert analysis.describe_references("malaria_batchnorm") == "69.50% (Malaria cell images tutorial (NIH dataset))"
    # The fine-tuned VGG16: the book's rounded 97% beside its notebook's own test accuracy, each with its source.
    book, notebook = analysis.reference_lines_of("vgg16_fine_tune")
    assert (book.value, book.source) == (0.97, analysis.BOOK)
    assert (notebook.value, notebook.source) == (0.968, recipes.CHOLLET_NOTEBOOK) and "test after 100" in notebook.label


def make_run(root, recipe, dataset, state="finished", epochs=2, experiment=None, partial=False):
    config = training.default_config(recipe, dataset, epochs=epochs, experiment=experiment)
    folder = runs.create_run(config, root)
    for epoch in range(1, epochs + 1):
        record = {"epoch": epoch, "loss": 1 / epoch, "val_loss": 1 / epoch, "accuracy": 0.5, "val_accuracy": 0.5}
        json_files.append_jsonl(folder / "history.jsonl", {**record, "seconds": 2.0})
    if partial:
        json_files.append_jsonl(folder / "history.jsonl", {"epoch": epochs + 1, "val_accuracy": 0.99, "partial": True})
    runs.set_status(folder, state)
    return folder.name


@pytest.fixture
def numbered_runs(monkeypatch):
    made = iter(range(100))
    monkeypatch.setattr(runs, "new_run_id", lambda recipe: f"20261123-0100{next(made):02d}-{recipe}-abcd")


def test_default_selection_is_the_newest_finished_recipe_and_dataset(tmp_path, numbered_runs):
    ids = []
    for recipe, dataset, state in [
        ("catsdogs_baseline", "lfw_faces", "finished"),
        ("catsdogs_baseline", "lfw_faces", "finished"),
        ("catsdogs_dropout_augment", "lfw_faces", "finished"),
        ("fashion_separable", "fashion_mnist", "finished"),
        ("malaria_batchnorm", "lfw_faces", "failed"),
        ("catsdogs_baseline", "lfw_faces", "finished"),
    ]:
        ids.append(make_run(tmp_path, recipe, dataset, state))
    all_runs = runs.list_runs(tmp_path)
    assert analysis.default_selection(all_runs) == [ids[5], ids[1], ids[0]]
    (row,) = analysis.comparison_table([runs.load_run(ids[5], tmp_path)])
    assert (
        row["epochs"] == 2
        and row["seconds/epoch"] == 2.0
        and row["run"] == "LFW faces · all images · no dropout, no augmentation"
    )
    ((label, verdict),) = analysis.verdicts([runs.load_run(ids[5], tmp_path)])
    assert "still learning" in verdict
    csv = analysis.histories_csv([runs.load_run(ids[0], tmp_path), runs.load_run(ids[1], tmp_path)])
    assert csv.splitlines()[0].startswith("run,label,epoch") and len(csv.splitlines()) == 5


def test_default_selection_prefers_the_latest_experiment(tmp_path, numbered_runs):
    old = [make_run(tmp_path, "fashion_separable", "fashion_mnist", experiment="first") for _ in range(2)]
    new = [make_run(tmp_path, "fashion_separable", "fashion_mnist", experiment="second") for _ in range(4)]
    make_run(tmp_path, "catsdogs_baseline", "lfw_faces")
    assert sorted(analysis.default_selection(runs.list_runs(tmp_path))) == sorted(new)
    assert not set(old) & set(analysis.default_selection(runs.list_runs(tmp_path)))


def test_the_best_finished_run_ignores_partial_epochs_and_unfinished_runs(tmp_path, numbered_runs):
    steady = make_run(tmp_path, "fashion_separable", "fashion_mnist")
    make_run(tmp_path, "fashion_separable", "fashion_mnist", state="stopped", partial=True)
    assert analysis.best_finished_run(runs.list_runs(tmp_path)).run_id == steady


def test_window_means_undo_kerass_running_mean_so_the_curve_does_not_jump_at_epochs():
    # Batch losses 4, 2, 2, 2 | 1, 1: Keras logs running means 4, 3, 2.67, 2.5 | 1, 1 within each epoch.
    running = [(1, 1, 4.0), (1, 2, 3.0), (1, 4, 2.5), (2, 1, 1.0), (2, 2, 1.0)]
    batches = [BatchRecord(epoch=epoch, epochs=2, batch=batch, batches=4, loss=loss) for epoch, batch, loss in running]
    assert [record.loss for record in analysis.window_means(batches)] == [4.0, 2.0, 2.0, 1.0, 1.0]


def test_shortened_labels_say_the_shared_part_once():
    labels = ["baseline · Fashion-MNIST · 1,000 images", "dropout · Fashion-MNIST · 1,000 images"]
    assert analysis.shorten_labels(labels) == (["baseline", "dropout"], "Fashion-MNIST · 1,000 images")
    assert analysis.shorten_labels(labels[:1]) == (labels[:1], "")


def test_the_time_a_run_will_take_comes_from_a_run_that_trained_here(tmp_path):
    past = make_run(tmp_path, "fashion_separable", "fashion_mnist", epochs=3)  # 2.0 s an epoch
    folder = tmp_path / past
    config = json_files.read_json(folder / "config.json")
    json_files.write_json(folder / "config.json", {**config, "limit": 1000})
    found = runs.list_runs(tmp_path)
    assert analysis.estimate_duration("fashion_separable", "fashion_mnist", 10, None, found) == (
        "About 18 min 20 s on this machine: 10 epochs × 55,000 images at 110 s an epoch, "
        "the speed an earlier run of it had here."
    )
    assert analysis.estimate_duration("fashion_separable", "fashion_mnist", 1, 500, found).startswith("About 1 s")
    assert analysis.estimate_duration("catsdogs_baseline", "lfw_faces", 5, None, found).startswith("No run of this")


def test_stopped_inside_the_first_epoch_says_there_is_no_trained_model(tmp_path):
    folder = runs.create_run(training.default_config("fashion_separable", "fashion_mnist", epochs=2), tmp_path)
    json_files.append_jsonl(folder / "history.jsonl", {"epoch": 1, "accuracy": 0.5, "partial": True})
    assert training.describe_end(runs.RunState.STOPPED, folder).startswith(
        "stopped inside epoch 1, before any epoch was complete: there is no trained model to keep."
    )
    json_files.append_jsonl(folder / "history.jsonl", {"epoch": 1, "accuracy": 0.6})
    assert training.describe_end(runs.RunState.FINISHED, folder) == "finished after 1 epoch"


def test_a_loss_stuck_at_ln_10_is_explained_as_a_guess():
    stuck = {"loss": [2.3026, 2.3025, 1.2], "val_loss": [2.3026, 2.3026, 1.1], "accuracy": [0.1, 0.1, 0.6]}
    note = analysis.overfitting_report(stuck, num_classes=10).chance_note
    assert note.startswith("A loss of 2.3026 in epochs 1-2 is ln 10") and "same probability" in note
    assert analysis.overfitting_report({"loss": [1.9, 1.2]}, num_classes=10).chance_note is None
    assert analysis.overfitting_report(stuck).chance_note is None, "without the classes, nothing is claimed"
