"""Grad-CAM, feature maps and safe model loading."""

import numpy as np
import pytest

from cnnviz.errors import CnnvizError
from cnnviz.learning import explain, models

keras = pytest.importorskip("keras")


@pytest.mark.parametrize(
    ("recipe", "layer", "size"),
    [
        ("catsdogs_baseline", "conv4", 15),
        ("fashion_separable", "separable3", 7),
        ("vgg16_frozen_augment", "block5_conv3", 9),
    ],
)
def test_grad_cam_has_the_last_conv_layers_spatial_size(recipe, layer, size):
    model = models.build(recipe)
    batch = np.random.default_rng(0).uniform(0, 255, (1, *model.input_shape[1:])).astype("float32")
    if layer:
        assert explain.last_conv_layer_name(model) == layer
    heatmap = explain.grad_cam(model, batch)
    assert heatmap.shape == (size, size)
    assert 0 <= heatmap.min() and heatmap.max() <= 1


def object_detector(functional: bool) -> keras.Model:
    """A convnet whose conv layer responds to bright pixels, so the answer is known: 'object' where it is bright."""
    layers = [
        keras.layers.Conv2D(4, 3, padding="same", activation="relu", name="detector"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(1, activation="sigmoid"),
    ]
    if functional:
        inputs = keras.Input((32, 32, 1))
        x = inputs
        for layer in layers:
            x = layer(x)
        model = keras.Model(inputs, x)
    else:
        model = keras.Sequential([keras.Input((32, 32, 1)), *layers])
    model.get_layer("detector").set_weights([np.ones((3, 3, 1, 4), "float32") / 9, np.zeros(4, "float32")])
    model.layers[-1].set_weights([np.ones((4, 1), "float32"), np.full(1, -2.0, "float32")])
    return model


@pytest.mark.parametrize("functional", [False, True])
def test_grad_cam_is_highest_where_the_object_is(functional):
    model = object_detector(functional)
    image = np.zeros((1, 32, 32, 1), dtype="float32")
    image[0, 20:26, 4:10, 0] = 1.0  # a bright square in the lower left
    heatmap = explain.grad_cam(model, image, class_index=1)
    assert heatmap.shape == (32, 32)
    inside, outside = heatmap[20:26, 4:10].mean(), heatmap[:12, 16:].mean()
    assert inside > 0.5 and outside < 0.05
    assert np.unravel_index(np.argmax(heatmap), heatmap.shape)[0] in range(19, 27)


def test_probabilities_feature_maps_and_overlay():
    model = object_detector(False)
    image = np.zeros((1, 32, 32, 1), dtype="float32")
    probabilities = explain.probabilities(model, image)
    assert probabilities.shape == (2,) and probabilities.sum() == pytest.approx(1)
    maps = explain.activations(model, image, "detector")
    assert maps.shape == (32, 32, 4)
    grid = explain.feature_grid(np.random.default_rng(0).random((13, 13, 40)), count=32, min_tile=13)
    assert grid.shape == (4 * 14 - 1, 8 * 14 - 1) and grid.dtype == np.uint8
    small = explain.feature_grid(np.arange(49.0).reshape(7, 7, 1), count=1)
    assert small.shape == (70, 70), "a 7×7 map is enlarged ×10 to at least 64 pixels"
    assert len(np.unique(small[:10, :10])) == 1, "pixel by pixel: each value fills a 10×10 square, unblurred"
    photo = np.full((60, 80, 3), 100, dtype=np.uint8)
    blended = explain.overlay(photo, np.ones((5, 5)), opacity=1.0)
    assert blended.shape == (60, 80, 3) and tuple(blended[0, 0]) == (220, 20, 20)
    np.testing.assert_array_equal(explain.overlay(photo, np.ones((5, 5)), opacity=0.0), photo)


def test_prepare_image_resizes_and_greys_like_the_model_sees_it():
    photo = np.zeros((300, 451, 3), dtype=np.uint8)
    photo[..., 0] = 255
    batch = explain.prepare_image(photo, (28, 28, 1))
    assert batch.shape == (1, 28, 28, 1) and batch.max() == pytest.approx(76, abs=1)  # the luma of pure red


def test_a_model_that_needs_unsafe_deserialization_is_refused(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda x: x * 2), keras.layers.Dense(1)])
    model.save(tmp_path / "lambda.keras")
    with pytest.raises(CnnvizError, match="unsafe deserialization"):
        explain.load_model_file(tmp_path / "lambda.keras")
    (tmp_path / "junk.keras").write_bytes(b"not a zip at all")
    with pytest.raises(CnnvizError, match="could not be loaded"):
        explain.load_model_file(tmp_path / "junk.keras")
    with pytest.raises(CnnvizError, match="Only .keras"):
        explain.load_model_file(tmp_path / "model.h5")
