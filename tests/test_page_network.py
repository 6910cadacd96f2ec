"""Network through AppTest: the whole network for one image, a clicked number's arithmetic, the epoch slider."""

import re

import numpy as np
import pytest

from cnnviz.learning import explain, network_view, time_lapse
from cnnviz.runtime import runs
from tests.apptest_helpers import assert_no_errors, markdown_text, open_page, plotly_specs
from tests.helpers import run_ids

keras = pytest.importorskip("keras")


@pytest.fixture
def runs_dir(trained_runs, monkeypatch):
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(trained_runs))
    return trained_runs


def open_network(runs_dir, recipe: str = "fashion_separable"):
    """Open Network on the run of `recipe` and its first test image."""
    app = open_page("app_pages/network.py", timeout=120)
    app.selectbox(key="network_run").select(run_ids(runs_dir, recipe)[0]).run()
    return app


def shown_cell(app) -> tuple[int, int, float, float]:
    """Return the clicked cell's row and column (0-based), the value the page says it holds, and the value its
    arithmetic ends in."""
    heading = re.search(r"\*\*Row (\d+), column (\d+): (−?-?[\d.]+)\*\*", markdown_text(app))
    final = re.findall(r"→ <b>(−?[\d.]+)</b>", markdown_text(app))[-1]
    as_float = lambda text: float(text.replace("−", "-"))  # noqa: E731
    return int(heading[1]) - 1, int(heading[2]) - 1, as_float(heading[3]), as_float(final)


def overview_spec(app) -> dict:
    """Return the overview's figure: the one with a picture per map (the epoch slider's curves may come first)."""
    return next(spec for spec in plotly_specs(app) if spec["layout"].get("images"))


def keras_value(run_dir, recipe, layer, row, column, channel, index=0) -> float:
    """Return Keras's own output of the run's layer at one cell for the test image the page shows."""
    run = runs.load_run(run_ids(run_dir, recipe)[0])
    model = explain.load_run_model(run)
    batch = explain.held_out_images(run).load([index]).astype("float32")
    return float(explain.activations(model, batch, layer)[row, column, channel])


def test_network_opens_on_every_layer_of_the_best_run_and_a_numbers_arithmetic(runs_dir):
    app = open_network(runs_dir)
    assert_no_errors(app)
    overview = overview_spec(app)
    headings = [note["text"] for note in overview["layout"]["annotations"] if note["text"].startswith("<b>")]
    assert headings[:4] == ["<b>input</b><br>28×28×1", "<b>conv1</b><br>28×28×32", "<b>separable1</b><br>28×28×32", "<b>pool1</b><br>14×14×32"]  # noqa: E501
    assert "<b>pool3</b><br>3×3×128" in headings
    assert len(overview["data"][0]["customdata"]) == 9 * 3, "three maps a layer, each a point a click selects"
    assert "28×28×1 → 28×28×32 → 28×28×32 → 14×14×32" in " ".join(caption.value for caption in app.caption)
    row, column, value, final = shown_cell(app)
    layer, channel = app.session_state["network_selected"]
    run = runs.load_run(run_ids(runs_dir, "fashion_separable")[0])
    view = network_view.network_view(explain.load_run_model(run), explain.held_out_images(run).load([0]).astype("f4"))
    assert (layer, channel) == ("conv2", view.layer("conv2").strongest_channels(1)[0]), "the third convolution's"
    expected = keras_value(runs_dir, "fashion_separable", layer, row, column, channel)
    assert value == pytest.approx(expected, abs=1e-4) and final == pytest.approx(expected, abs=1e-4)
    assert "its slice of the kernel" in markdown_text(app) and "All 32 channels' sums" in markdown_text(app)
    app.session_state["network_selected"] = ("separable2", 3)  # a separable convolution: depthwise, then pointwise
    app.run()
    row, column, value, final = shown_cell(app)
    expected = keras_value(runs_dir, "fashion_separable", "separable2", row, column, 3)
    assert value == pytest.approx(expected, abs=1e-4) and final == pytest.approx(expected, abs=1e-4)
    assert "depthwise kernel" in markdown_text(app) and "Pointwise" in markdown_text(app)
    # The pickers below the overview move the selection too, and a click's old point does not undo them.
    app.selectbox(key="network_layer_separable2_3").select("pool1").run()
    assert app.session_state["network_selected"] == ("pool1", 3)


@pytest.mark.parametrize(
    ("layer", "channel", "cell", "words"),
    [
        ("conv1", 5, (0, 0), "zero padding"),  # the first convolution: the image's own pixels and the kernel
        ("conv3", 7, (3, 4), "slice of the kernel"),
        ("pool2", 2, (6, 6), "max of the window at row"),
    ],
)
def test_a_clicked_number_is_explained_with_the_value_keras_computes(runs_dir, layer, channel, cell, words):
    app = open_network(runs_dir)
    app.session_state["network_selected"] = (layer, channel)  # what a click on the map sets
    app.run()
    app.session_state["network_cell"] = cell  # what a click on the cell sets
    app.run()
    assert_no_errors(app)
    row, column, value, final = shown_cell(app)
    assert (row, column) == cell
    expected = keras_value(runs_dir, "fashion_separable", layer, row, column, channel)
    assert value == pytest.approx(expected, abs=1e-4) and final == pytest.approx(expected, abs=1e-4)
    assert words in markdown_text(app)


def test_the_epoch_slider_replays_the_network_at_that_epoch(runs_dir):
    app = open_network(runs_dir)
    run = runs.load_run(run_ids(runs_dir, "fashion_separable")[0])
    assert [snapshot.epoch for snapshot in run.snapshots] == [1, 2]
    app.select_slider(key=f"network_epoch_{run.run_id}").set_value(1).run()
    app.button_group(key="network_deeper").set_value("Learning, epoch by epoch").run()
    assert_no_errors(app)
    answer_line = next(note["text"] for note in overview_spec(app)["layout"]["annotations"] if "%" in note["text"])
    batch = explain.held_out_images(run).load([0]).astype("float32")
    at_epoch_one = explain.probabilities(time_lapse.load_model_at(run, 1), batch)
    best = int(np.argmax(at_epoch_one))
    assert answer_line == f"{run.class_names[best]} {at_epoch_one[best]:.1%}"
    assert "at epoch 1" in " ".join(caption.value for caption in app.caption)
    assert "The first convolution's filters at epoch 1" in " ".join(caption.value for caption in app.caption)
    confidence = [spec for spec in plotly_specs(app) if "epoch by epoch" in str(spec["layout"].get("title"))][0]
    assert confidence["data"][0]["x"] == [1, 2]


def test_a_run_without_kept_epochs_and_a_model_without_convolutions_get_a_message(runs_dir, tmp_path, monkeypatch):
    import shutil

    run = runs.load_run(run_ids(runs_dir, "catsdogs_baseline")[0])
    store = tmp_path / "runs"
    shutil.copytree(run.folder, store / run.folder.name)  # a copy: the session's shared runs stay as they are
    shutil.rmtree(store / run.folder.name / "epochs")  # as a run trained before cnnviz kept them
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(store))
    app = open_network(store, "catsdogs_baseline")
    assert_no_errors(app)
    assert "trained before cnnviz kept each epoch's weights" in " ".join(warning.value for warning in app.warning)
    dense = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Flatten(), keras.layers.Dense(3, "softmax")])
    dense.save(tmp_path / "dense.keras")
    app.selectbox(key="network_run").select("upload").run()
    app.file_uploader(key="network_model").upload("dense.keras", (tmp_path / "dense.keras").read_bytes()).run()
    app.file_uploader(key="network_upload").upload("photo.png", png_photo(), "image/png").run()
    assert_no_errors(app)
    assert "no convolution or pooling layer" in " ".join(warning.value for warning in app.warning)


def png_photo() -> bytes:
    """Return a small photo as PNG bytes (an upload)."""
    from cnnviz.data import images
    from tests.helpers import encode_image

    return encode_image(images.load_sample_photo("coffee")[::8, ::8])


def test_filter_patterns_are_computed_in_a_worker_and_shown_when_it_ends(runs_dir):
    from cnnviz.runtime import pattern_store
    from cnnviz.runtime.pattern_store import PatternState
    from tests.waiting import wait_for

    app = open_network(runs_dir)
    run = runs.load_run(run_ids(runs_dir, "fashion_separable")[0])
    app.session_state["network_selected"] = ("conv1", 4)  # a click on conv1's map 5: its patterns are offered
    app.run()
    app.button(key="network_pattern_start").click().run()
    assert_no_errors(app)
    wait_for(lambda: pattern_store.current_job(run, "conv1").state is PatternState.FINISHED, timeout=180)
    app.run()  # what the page's progress fragment does when it sees the worker end
    captions = " ".join(caption.value for caption in app.caption)
    assert "The input each of conv1's 32 filters answers most" in captions
    assert "filter 5: what map 5 of conv1 looks for" in captions


def test_a_network_kept_by_its_first_layer_only_replays_those_filters(runs_dir, tmp_path, monkeypatch):
    import shutil

    from cnnviz.runtime import epoch_snapshots

    run = runs.load_run(run_ids(runs_dir, "fashion_separable")[0])
    store = tmp_path / "runs"
    shutil.copytree(run.folder, store / run.folder.name)
    folder = store / run.folder.name
    for snapshot in runs.load_folder(folder).snapshots:  # as a VGG16 net's epochs are kept: the first conv only
        model = time_lapse.load_model_at(run, snapshot.epoch)
        conv1 = model.get_layer("conv1")
        epoch_snapshots.write_first_layer(folder, snapshot.epoch, conv1.kernel.numpy(), conv1.bias.numpy())
        snapshot.path.unlink()
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(store))
    app = open_page("app_pages/network.py", timeout=120)
    app.select_slider(key=f"network_epoch_{run.run_id}").set_value(1).run()
    app.button_group(key="network_deeper").set_value("Learning, epoch by epoch").run()
    assert_no_errors(app)
    captions = " ".join(caption.value for caption in app.caption)
    assert "replay its first layer's filters only" in " ".join(warning.value for warning in app.warning)
    assert "The first convolution's filters at epoch 1" in captions and "of the final model" in captions
    assert "at epoch 1" not in captions.split("The first convolution's")[0], "the overview stays the final model's"


def test_a_photo_unlike_the_training_images_gets_predicts_warning(runs_dir):
    from tests.helpers import encode_image

    sneaker_on_white = 255 - np.zeros((60, 60), dtype=np.uint8)
    sneaker_on_white[25:40, 10:50] = 40
    app = open_network(runs_dir)
    app.radio(key="network_image_source").set_value("upload").run()
    app.file_uploader(key="network_upload").upload("sneaker.png", encode_image(sneaker_on_white), "image/png").run()
    assert_no_errors(app)
    assert "light background" in " ".join(warning.value for warning in app.warning)
