"""Predict from the camera, on a model trained on a class's own photos: prediction, probabilities, Grad-CAM at once."""

import numpy as np
import pytest

from benchmarks.own_photos_training import make_photo_dataset, shots_of
from cnnviz.data import images, own_photos
from cnnviz.learning import explain
from cnnviz.runtime import runs
from tests.apptest_helpers import assert_no_errors, image_captions, open_page, plotly_specs, run_cnnviz


@pytest.fixture(scope="module")
def photo_run(tmp_path_factory):
    """A real run of the small 64×64 convnet on 2 × 10 photos (cat and coffee), 3 epochs, in a store of its own."""
    root = tmp_path_factory.mktemp("own")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CNNVIZ_DATASETS_DIR", str(root / "datasets"))
        dataset = make_photo_dataset(per_class=10)
        result = run_cnnviz(
            "train", "--recipe", "own_photos_small", "--dataset", "folder", "--dataset-path", str(dataset.folder),
            "--epochs", "3", "--runs-dir", str(root / "runs"),
        )  # fmt: skip
    assert result.returncode == 0, result.stderr[-2000:]
    return root


def test_a_camera_shot_is_predicted_with_its_heatmap_and_the_shortcut_note(photo_run, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATASETS_DIR", str(photo_run / "datasets"))
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(photo_run / "runs"))
    app = open_page("app_pages/predict.py", timeout=120)
    assert app.radio(key="predict_source").value == "test image"  # a run: it opens on one of its own images
    app.radio(key="predict_source").set_value("camera").run()
    assert own_photos.CAMERA_HELP in [caption.value for caption in app.caption]
    name, data = shots_of(images.load_sample_photo("coffee"), 1, seed=42)[0]
    app.camera_input(key="predict_camera").upload(name, data).run()
    assert_no_errors(app)
    bars = plotly_specs(app)[0]["data"][0]
    assert bars["y"] == ["cat", "coffee"] and sum(bars["x"]) == pytest.approx(1, abs=1e-5)
    run = runs.list_runs(photo_run / "runs")[0]
    model = explain.load_run_model(run)
    prepared = explain.prepare_for_model(images.load_image(data, max_side=1024), (64, 64, 3), images.SquareFit.SQUASH)
    expected = explain.probabilities(model, prepared.batch)  # Keras itself, outside the page
    assert bars["x"] == pytest.approx(list(expected), abs=1e-5)
    best = run.class_names[int(np.argmax(expected))]
    assert any(markdown.value.startswith(f"### {best} (") for markdown in app.markdown)
    assert "as the model sees it: 64×64×3" in image_captions(app)
    assert any(caption.startswith(f"explaining: {best} (Grad-CAM of conv3") for caption in image_captions(app))
    assert own_photos.SHORTCUT_NOTE in [info.value for info in app.info]


def test_no_shortcut_note_for_a_model_of_another_dataset(trained_runs, monkeypatch):
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(trained_runs))
    app = open_page("app_pages/predict.py", timeout=120)
    assert_no_errors(app)
    assert own_photos.SHORTCUT_NOTE not in [info.value for info in app.info]
