"""The Train page through AppTest: Start a real run, watch it, Stop another; re-attach on return."""

import time

import pytest
from PIL import Image

from cnnviz.runtime import json_files, runs
from tests.apptest_helpers import assert_no_errors, open_page, plotly_specs


@pytest.fixture
def runs_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("CNNVIZ_DATASETS_DIR", str(tmp_path / "datasets"))
    monkeypatch.setenv("CNNVIZ_WARM_WORKER", "0")  # AppTest's server never ends: test the warm worker on its own
    return tmp_path / "runs"


def poll(app, until, timeout: float = 240):
    """Rerun the page (AppTest never fires run_every) until `until(app)` holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        app.run()
        if until(app):
            return app
        time.sleep(0.5)
    pytest.fail("the page never reached the expected state")


def status_text(app) -> str:
    return " ".join(element.value for kind in (app.success, app.info, app.warning, app.error) for element in kind)


def test_start_trains_and_streams_curves_then_offers_downloads(runs_dir):
    app = open_page("app_pages/train.py", timeout=120)
    assert "No runs yet" in status_text(app)
    app.selectbox(key="train_dataset").select("LFW faces (200 images: watch it overfit)").run()
    app.number_input(key="train_epochs").set_value(2).run()
    app.button(key="train_start").click().run()
    assert_no_errors(app)
    poll(app, lambda page: "finished" in status_text(page))
    assert "CPU (tensorflow)" in status_text(app), "the device the backend really trains on"
    figure = plotly_specs(app)[0]
    validation = [trace for trace in figure["data"] if trace["name"] == "validation accuracy"][0]
    assert len(validation["x"]) == 2, "one validation point per epoch"
    labels = [str(element.proto.label) for element in app.get("download_button")]
    assert labels[0] == "Settings as a Keras script", "the settings' script, before and after a run"
    assert labels[1:] == ["Download model.keras", "Download history (CSV)", "Download as a Keras script"]
    (run,) = runs.list_runs(runs_dir)
    assert run.state is runs.RunState.FINISHED and run.epochs_done == 2
    rows = app.dataframe[0].value
    assert list(rows["status"]) == ["finished"]


def test_stop_from_the_page_and_re_attach_from_a_new_session(runs_dir):
    app = open_page("app_pages/train.py", timeout=120)
    app.number_input(key="train_limit").set_value(20_000).run()
    app.button(key="train_start").click().run()
    poll(app, lambda page: "epoch 1/10" in " ".join(p.proto.text for p in page.get("progress")))
    other_browser = open_page("app_pages/train.py", timeout=120)  # a second session re-attaches to the active run
    assert "running" in status_text(other_browser)
    app.button(key="train_stop").click().run()
    poll(app, lambda page: "stopped" in status_text(page), timeout=120)
    (run,) = runs.list_runs(runs_dir)
    assert run.state is runs.RunState.STOPPED and run.epochs_done == 0, "a cut-short epoch is not an epoch done"
    assert [record.partial for record in run.history] == [True]
    assert run.as_row()["best val accuracy"] == "" and run.as_row()["epochs"] == "0/10"
    assert_no_errors(app)


def test_a_failed_run_shows_its_message_not_a_traceback(runs_dir, tmp_path):
    one_class = tmp_path / "pets" / "cats"
    one_class.mkdir(parents=True)
    Image.new("RGB", (8, 8)).save(one_class / "cat.png")
    app = open_page("app_pages/train.py", timeout=120)
    app.selectbox(key="train_recipe").select("catsdogs_baseline").run()
    app.selectbox(key="train_dataset").select("folder path on this server").run()
    app.text_input(key="train_dataset_path").input(str(tmp_path / "pets")).run()
    app.button(key="train_start").click().run()
    poll(app, lambda page: "failed" in status_text(page))
    assert not app.exception
    assert "Only one class (cats)" in app.error[0].value


def test_the_experiment_note_stays_when_another_dataset_is_picked(runs_dir):
    from cnnviz.learning import experiment
    from cnnviz.runtime import jobs

    app = open_page("app_pages/train.py", timeout=120)
    app.button(key="train_experiment_start").click().run()
    experiment_id = experiment.latest_experiment(runs_dir)
    try:
        assert any("28 epochs at learning rate 0.002" in caption.value for caption in app.caption)
        app.selectbox(key="train_dataset").select("LFW faces (200 images: watch it overfit)").run()
        assert_no_errors(app)  # the plans are Fashion-MNIST's: the note is the plan that ran, not LFW's
        assert any("28 epochs at learning rate 0.002" in caption.value for caption in app.caption)
    finally:
        for run in experiment.experiment_runs(experiment_id, runs_dir):
            if runs.load_run(run.run_id, runs_dir).state.is_active:
                jobs.stop(run.run_id, runs_dir)


def test_a_run_stopped_inside_its_first_epoch_offers_no_model_and_the_estimate_is_said(runs_dir):
    from cnnviz.learning import training

    folder = runs.create_run(training.default_config("fashion_separable", "fashion_mnist", epochs=2), runs_dir)
    json_files.append_jsonl(folder / "history.jsonl", {"epoch": 1, "accuracy": 0.5, "seconds": 40.0, "partial": True})
    (folder / "model.keras").write_bytes(b"the worker saves the model at a Stop, whatever it learned")
    runs.set_status(folder, runs.RunState.STOPPED, training.describe_end(runs.RunState.STOPPED, folder))
    app = open_page("app_pages/train.py", timeout=120)
    assert_no_errors(app)
    assert "stopped inside epoch 1, before any epoch was complete" in status_text(app)
    assert not app.get("download_button") or all(
        button.proto.label != "Download model.keras" for button in app.get("download_button")
    )
    assert any("no trained model to download" in caption.value for caption in app.caption)
    assert any(caption.value.startswith("No run of this network on this data") for caption in app.caption)


def test_the_epoch_arithmetic_follows_the_settings_and_the_link_opens_them(runs_dir):
    from urllib.parse import parse_qsl, urlsplit

    from streamlit.testing.v1 import AppTest

    from tests.apptest_helpers import APP

    app = open_page("app_pages/train.py", timeout=120)
    text = "\n".join(markdown.value for markdown in app.markdown)
    assert "55,000 images ÷ batch 32 = 1,719 steps an epoch" in text  # the tutorial's split, ⌈55,000 / 32⌉
    app.selectbox(key="train_dataset").select("LFW faces (200 images: watch it overfit)").run()
    app.number_input(key="train_batch_size").set_value(50).run()
    app.number_input(key="train_epochs").set_value(3).run()
    text = "\n".join(markdown.value for markdown in app.markdown)
    assert "120 images ÷ batch 50 = 3 steps an epoch** (the last one 20 images)" in text and "9 steps" in text
    link = next(code.value for code in app.code if "?lesson=train" in code.value)
    opened = AppTest.from_file(APP, default_timeout=120)
    opened.query_params.update(parse_qsl(urlsplit(link).query))
    opened.run()
    opened.switch_page("app_pages/train.py")
    opened.run()
    assert opened.selectbox(key="train_dataset").value == "LFW faces (200 images: watch it overfit)"
    assert (
        opened.number_input(key="train_epochs").value == 3 and opened.number_input(key="train_batch_size").value == 50
    )
    bad = AppTest.from_file(APP, default_timeout=120)
    bad.query_params.update({"lesson": "train", "recipe": "resnet9000"})
    bad.run()
    bad.switch_page("app_pages/train.py")
    bad.run()
    assert not bad.exception and "recipe is 'resnet9000'" in bad.error[0].value
    assert bad.selectbox(key="train_recipe").value == "fashion_separable"
