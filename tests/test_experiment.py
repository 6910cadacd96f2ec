"""The overfitting experiment's plan, its four runs' settings, and the figures of its table."""

import pytest

from cnnviz.errors import CnnvizError
from cnnviz.learning import experiment
from cnnviz.runtime import json_files, runs


def test_the_four_variants_share_everything_but_the_two_switches():
    plan = experiment.plan_for("fashion_mnist")
    configs = experiment.variant_configs(plan, "overfitting-test", seed=3)
    assert [config.variant for config in configs] == ["baseline", "dropout", "augmentation", "both"]
    assert [(config.dropout, config.augment) for config in configs] == list(experiment.VARIANT_SWITCHES.values())
    shared = {
        (c.recipe, c.dataset, c.limit, c.validation_limit, c.epochs, c.batch_size, c.learning_rate, c.seed)
        for c in configs
    }
    expected = ("fashion_separable", "fashion_mnist", plan.limit, plan.validation_limit, plan.epochs)
    assert shared == {(*expected, 32, plan.learning_rate, 3)}
    assert {config.experiment for config in configs} == {"overfitting-test"}
    assert configs[3].label == "dropout + augmentation · Fashion-MNIST · 1,000 images"


def test_the_plan_takes_a_limit_or_epochs_given_and_refuses_other_datasets():
    plan = experiment.plan_for("fashion_mnist", limit=500, epochs=3)
    assert (plan.limit, plan.epochs, plan.learning_rate) == (500, 3, experiment.PLANS["fashion_mnist"].learning_rate)
    with pytest.raises(CnnvizError, match="fashion_mnist"):
        experiment.plan_for("lfw_faces")


def test_a_variants_line_reads_its_history(tmp_path):
    config = experiment.variant_configs(experiment.plan_for("fashion_mnist", epochs=4), "e")[0]
    folder = runs.create_run(config, tmp_path)
    history = [(0.60, 0.58, 1.0, 1.0), (0.80, 0.70, 0.6, 0.8), (0.90, 0.74, 0.4, 0.9), (0.95, 0.72, 0.2, 1.2)]
    for epoch, (accuracy, val_accuracy, loss, val_loss) in enumerate(history, start=1):
        record = {"accuracy": accuracy, "val_accuracy": val_accuracy, "loss": loss, "val_loss": val_loss}
        json_files.append_jsonl(folder / "history.jsonl", {"epoch": epoch, **record, "seconds": 1.0})
    runs.set_status(folder, runs.RunState.FINISHED)
    line = experiment.summarize(runs.load_folder(folder))
    assert (line.best_val_accuracy, line.best_epoch, line.min_val_loss_epoch) == (0.74, 3, 2)
    assert line.final_gap == pytest.approx(0.23) and line.val_loss_growth == pytest.approx(1.5)
    assert line.as_row()["best val acc"] == "74.0%" and line.as_row()["final gap"] == "+23.0 pts"


def test_the_page_says_what_the_plan_trains():
    sentence = experiment.describe_plan(experiment.plan_for("fashion_mnist"))
    assert sentence.startswith("Four runs, one after another, on the same 1,000 images for 28 epochs")
    assert "at learning rate 0.002 (at the recipe's 0.001 dropout needs more epochs)" in sentence
