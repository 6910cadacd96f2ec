"""Predict through AppTest, on runs made by real training in a temporary run store."""

import numpy as np
import pytest
from PIL import Image

from cnnviz.learning import explain
from tests.apptest_helpers import assert_no_errors, open_page, plotly_specs
from tests.helpers import encode_image, run_ids

keras = pytest.importorskip("keras")


@pytest.fixture
def runs_dir(trained_runs, monkeypatch):
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(trained_runs))
    return trained_runs


def open_predict(runs_dir, recipe: str, source: str):
    """Open Predict on the run of `recipe`, with its image source set to `source`."""
    app = open_page("app_pages/predict.py", timeout=120)
    app.selectbox(key="predict_run").select(run_ids(runs_dir, recipe)[0]).run()
    app.radio(key="predict_source").set_value(source).run()
    return app


def png(colour=(200, 30, 30), size=(90, 60)) -> bytes:
    return encode_image(Image.new("RGB", size, colour))


def test_predict_an_upload_with_probabilities_grad_cam_and_feature_maps(runs_dir):
    app = open_predict(runs_dir, "catsdogs_baseline", "upload")
    app.file_uploader(key="predict_upload").upload("face.png", png(), "image/png").run()
    assert_no_errors(app)
    bars = plotly_specs(app)[0]["data"][0]
    assert bars["y"] == ["face", "not face"] and sum(bars["x"]) == pytest.approx(1, abs=1e-5)
    captions = [caption for image in app.get("image") for caption in image.captions]
    assert "as the model sees it: 150×150×1" in captions
    assert any(caption.endswith("output 148×148×32, first 16") for caption in captions), captions
    assert any(caption.startswith("explaining: ") and "15×15)" in caption for caption in captions), captions
    app.selectbox(key="predict_layer").select(app.selectbox(key="predict_layer").options[0]).run()
    app.radio(key="predict_channels").set_value(32).run()
    assert_no_errors(app)


def test_predict_reruns_reuse_the_models_answers(runs_dir, monkeypatch):
    calls = []
    for name in ("probabilities", "grad_cam", "activations"):
        original = getattr(explain, name)
        monkeypatch.setattr(
            explain, name, lambda *args, _name=name, _original=original: calls.append(_name) or _original(*args)
        )
    app = open_predict(runs_dir, "catsdogs_baseline", "upload")
    app.file_uploader(key="predict_upload").upload("face.png", png(colour=(10, 120, 200)), "image/png").run()
    assert sorted(calls) == ["activations", "grad_cam", "probabilities"]
    app.slider(key="predict_opacity").set_value(0.8).run()  # only the overlay changes: no pass through the model
    app.radio(key="predict_channels").set_value(32).run()
    assert sorted(calls) == ["activations", "grad_cam", "probabilities"]
    app.selectbox(key="predict_layer").select(app.selectbox(key="predict_layer").options[1]).run()
    assert calls.count("activations") == 2 and calls.count("probabilities") == 1
    assert_no_errors(app)


def test_predict_fashion_test_image_and_sample_photo(runs_dir):
    app = open_predict(runs_dir, "fashion_separable", "test image")
    assert any(caption.value == "true class: Ankle boot" for caption in app.caption)
    assert [c for image in app.get("image") for c in image.captions][0] == "as the model sees it: 28×28×1"
    app.radio(key="predict_source").set_value("sample photo").run()
    assert_no_errors(app)
    assert plotly_specs(app)[0]["data"][0]["y"][9] == "Ankle boot"


@pytest.mark.parametrize(("name", "data"), [("empty.jpg", b""), ("notes.png", b"hello"), ("cut.png", png()[:60])])
def test_predict_bad_upload_is_a_message(runs_dir, name, data):
    app = open_page("app_pages/predict.py", timeout=120)
    app.radio(key="predict_source").set_value("upload").run()
    app.file_uploader(key="predict_upload").upload(name, data, "image/png").run()
    assert not app.exception and name in app.error[0].value


def test_predict_refuses_an_unsafe_model_upload_and_accepts_a_safe_one(runs_dir, tmp_path):
    unsafe = keras.Sequential(
        [
            keras.Input((8, 8, 3)),
            keras.layers.Lambda(lambda x: x + 1),
            keras.layers.Conv2D(2, 3),
            keras.layers.Flatten(),
            keras.layers.Dense(2, activation="softmax"),
        ]
    )
    unsafe.save(tmp_path / "unsafe.keras")
    app = open_page("app_pages/predict.py", timeout=120)
    app.radio(key="predict_model_source").set_value("upload a .keras file").run()
    app.file_uploader(key="predict_model_upload").upload("unsafe.keras", (tmp_path / "unsafe.keras").read_bytes()).run()
    assert not app.exception and "unsafe deserialization" in app.error[0].value
    safe = runs_dir / run_ids(runs_dir, "fashion_separable")[0] / "model.keras"
    app.file_uploader(key="predict_model_upload").set_value(("model.keras", safe.read_bytes(), "application/zip")).run()
    app.radio(key="predict_source").set_value("sample photo").run()
    assert_no_errors(app)
    assert len(plotly_specs(app)[0]["data"][0]["y"]) == 10
    assert np.isclose(sum(plotly_specs(app)[0]["data"][0]["x"]), 1, atol=1e-4)


def fashion_png(label: int) -> bytes:
    """Return the first Fashion-MNIST test image of a class as a PNG upload."""
    from cnnviz.data import datasets

    test = datasets.load_fashion_mnist().test
    index = int(np.flatnonzero(test.labels == label)[0])
    return encode_image(test.images[index][..., 0])


def headline_and_explained(app) -> tuple[str, str]:
    headline = [m.value for m in app.markdown if m.value.startswith("### ")][0][4:].split(" (")[0]
    caption = [c for image in app.get("image") for c in image.captions if c.startswith("explaining: ")][0]
    return headline, caption.removeprefix("explaining: ").split(" (Grad-CAM")[0]


def test_predict_explains_the_class_it_predicts_after_a_second_upload(runs_dir):
    app = open_predict(runs_dir, "fashion_separable", "upload")
    app.file_uploader(key="predict_upload").upload("class0.png", fashion_png(0), "image/png").run()
    first, explained = headline_and_explained(app)
    assert explained == first
    for label in range(1, 10):  # a short-trained model: upload other classes until it answers differently
        app.file_uploader(key="predict_upload").set_value((f"class{label}.png", fashion_png(label), "image/png")).run()
        second, explained = headline_and_explained(app)
        assert explained == second, "the heatmap explains the new prediction, not the last image's class"
        if second != first:
            break
    assert second != first, "the model answered the same class for every upload"
    assert_no_errors(app)
    assert any(
        "This model knows" in caption.value and "white on a black background" in caption.value
        for caption in app.caption
    )


def test_predict_says_when_a_photo_is_unlike_the_training_images_and_offers_the_fix(runs_dir):
    sneaker = np.full((120, 160, 3), 240, dtype=np.uint8)  # a dark shoe photographed on white paper
    sneaker[60:90, 30:130] = 30
    app = open_predict(runs_dir, "fashion_separable", "upload")
    app.file_uploader(key="predict_upload").upload("sneaker.png", encode_image(sneaker), "image/png").run()
    assert "light background" in app.warning[0].value
    app.toggle(key="predict_invert").set_value(True).run()
    app.toggle(key="predict_crop").set_value(True).run()
    assert_no_errors(app)
    seen = [image for image in app.get("image")][0]
    assert seen.captions[0] == "as the model sees it: 28×28×1"


def probabilities_shown(app) -> np.ndarray:
    bars = plotly_specs(app)[0]["data"][0]
    return np.array(bars["x"])


def test_predict_opens_on_a_test_image_of_the_best_run_with_its_answer(runs_dir):
    app = open_page("app_pages/predict.py", timeout=120)
    assert_no_errors(app)
    assert app.radio(key="predict_source").value == "test image"
    assert any(caption.value.startswith("true class: ") for caption in app.caption)
    assert len(probabilities_shown(app)) in (2, 10) and any(m.value.startswith("### ") for m in app.markdown)


def test_an_exact_size_upload_answers_as_the_picked_test_image_and_a_resized_one_says_so(runs_dir):
    from cnnviz.data import datasets

    app = open_predict(runs_dir, "fashion_separable", "test image")
    app.number_input(key="predict_index").set_value(0).run()
    picked = probabilities_shown(app)
    test_image = datasets.load("fashion_mnist", limit=2048).test.images[0][..., 0]
    exact = encode_image(test_image)
    enlarged = encode_image(Image.fromarray(test_image).resize((280, 280), Image.Resampling.NEAREST))
    app.radio(key="predict_source").set_value("upload").run()
    app.file_uploader(key="predict_upload").upload("exact.png", exact, "image/png").run()
    np.testing.assert_allclose(probabilities_shown(app), picked, atol=1e-5)
    assert not any(caption.value.startswith("Resized from") for caption in app.caption)
    app.file_uploader(key="predict_upload").set_value(("big.png", enlarged, "image/png")).run()
    notes = [caption.value for caption in app.caption if caption.value.startswith("Resized from")]
    assert notes and notes[0].startswith("Resized from 280×280 to 28×28 for the model: the pixels change")
    assert_no_errors(app)


def test_a_4_by_3_photo_is_padded_to_a_square_for_fashion_mnist(runs_dir):
    photo = np.zeros((300, 400, 3), dtype=np.uint8)
    photo[100:200, 150:250] = 220  # a light garment on black, 4:3
    app = open_predict(runs_dir, "fashion_separable", "upload")
    app.file_uploader(key="predict_upload").upload("wide.png", encode_image(photo), "image/png").run()
    notes = [caption.value for caption in app.caption if caption.value.startswith("Resized from")]
    assert notes and "padded to a square with its background first" in notes[0]
    assert_no_errors(app)
