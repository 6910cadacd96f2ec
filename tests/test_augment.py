"""AugmentationSpec against the real ImageDataGenerator, on real photos from scikit-image."""

import numpy as np
import pytest
from PIL import Image

from cnnviz.data import images
from cnnviz.errors import CnnvizError
from cnnviz.learning import augment, augmentation_spec, warping

keras = pytest.importorskip("keras")
tf = pytest.importorskip("tensorflow")
ImageDataGenerator = tf.keras.preprocessing.image.ImageDataGenerator

FIXED_PARAMETERS = {
    "rotation": {"theta": 30.0},
    "shear": {"shear": 20.0},
    "zoom": {"zx": 0.8, "zy": 1.25},
    "horizontal flip": {"flip_horizontal": True},
    "vertical flip": {"flip_vertical": True},
    "shift": {"tx": 17.0, "ty": -11.0},
    "combination": {
        "theta": -25.0,
        "tx": 10.0,
        "ty": -7.0,
        "shear": 10.0,
        "zx": 1.1,
        "zy": 0.9,
        "flip_horizontal": True,
        "flip_vertical": True,
    },
}


@pytest.fixture(scope="module")
def square_photos() -> np.ndarray:
    """Real photos at the tutorial's 150×150 (the legacy class centres correctly only on squares)."""
    photos = [images.load_sample_photo(name) for name in ("cat (chelsea)", "astronaut", "rocket")]
    return np.stack([np.asarray(Image.fromarray(photo).resize((150, 150))) for photo in photos]).astype("float32")


@pytest.mark.parametrize("fill_mode", augmentation_spec.FILL_MODES)
@pytest.mark.parametrize("case", list(FIXED_PARAMETERS))
@pytest.mark.parametrize("apply_transform", [augment.apply_transform, warping.apply_transform], ids=["keras", "numpy"])
def test_apply_transform_matches_image_data_generator(square_photos, fill_mode, case, apply_transform):
    params = FIXED_PARAMETERS[case]
    spec = augmentation_spec.AugmentationSpec(fill_mode=fill_mode, cval=90.0)
    ours = apply_transform(square_photos, [params] * len(square_photos), spec)
    legacy = ImageDataGenerator(fill_mode=fill_mode, cval=90.0)
    theirs = np.stack([legacy.apply_transform(photo, params) for photo in square_photos])
    # scipy's legacy "wrap" is off by one pixel by design, hence its looser bound.
    tolerance = 0.02 if fill_mode == "wrap" else 0.01
    assert np.abs(ours - theirs).mean() / 255 < tolerance


def test_brightness_matches_image_data_generator(square_photos):
    ours = augment.apply_transform(square_photos[:1], [{"brightness": 1.4}], augmentation_spec.AugmentationSpec())
    theirs = ImageDataGenerator().apply_transform(square_photos[0], {"brightness": 1.4})
    assert np.abs(ours[0] - theirs).mean() / 255 < 0.01


def test_rotation_is_about_the_true_centre_of_a_non_square_photo():
    # The legacy class centres its matrix on (rows/2, columns/2) in (x, y) order: right only for
    # squares. A 180° turn of the 300×451 cat must be the photo upside down, exactly.
    photo = images.load_sample_photo("cat (chelsea)").astype("float32")
    turned = augment.apply_transform(photo[None], [{"theta": 180.0}], augmentation_spec.AugmentationSpec())[0]
    np.testing.assert_allclose(turned, photo[::-1, ::-1], atol=0.5)
    legacy = ImageDataGenerator().apply_transform(photo, {"theta": 180.0})
    assert np.abs(legacy - photo[::-1, ::-1]).mean() > 10


def test_random_transform_has_image_data_generator_keys_and_ranges():
    settings = dict(
        rotation_range=40,
        width_shift_range=0.1,
        height_shift_range=0.3,
        shear_range=20,
        zoom_range=0.2,
        horizontal_flip=True,
        vertical_flip=True,
        brightness_range=(0.5, 1.5),
    )
    spec, legacy = augmentation_spec.AugmentationSpec(**settings), ImageDataGenerator(**settings)
    shape = (100, 200, 3)  # 100 rows, 200 columns
    ours = spec.random_transforms(shape, 2000, seed=0)
    theirs = [legacy.get_random_transform(shape, seed=seed) for seed in range(2000)]
    # Everything ImageDataGenerator returns, except channel_shift_intensity (not supported here).
    assert set(ours[0]) == set(theirs[0]) - {"channel_shift_intensity"}
    for key in ("theta", "shear", "zx", "zy", "brightness"):
        our_values, their_values = [p[key] for p in ours], [p[key] for p in theirs]
        assert min(our_values) >= min(their_values) - 1 and max(our_values) <= max(their_values) + 1, key
        assert abs(np.mean(our_values) - np.mean(their_values)) < 0.1 * (max(their_values) - min(their_values))
    for key in ("flip_horizontal", "flip_vertical"):
        assert 0.4 < np.mean([p[key] for p in ours]) < 0.6
    # The documented fix (tensorflow issue 82838): the legacy class draws tx, which moves columns,
    # from height_shift_range × rows (±30 here); cnnviz draws it from width_shift_range × width (±20).
    assert max(abs(p["tx"]) for p in theirs) > 25
    assert 15 < max(abs(p["tx"]) for p in ours) <= 20
    assert 25 < max(abs(p["ty"]) for p in ours) <= 30


def test_width_shift_moves_the_image_horizontally_and_height_shift_vertically():
    image = np.zeros((1, 40, 60, 1), dtype="float32")
    image[0, :, 30, 0] = 255  # a vertical line in column 30
    spec = augmentation_spec.AugmentationSpec(width_shift_range=0.2, fill_mode="constant")
    params = spec.random_transforms(image.shape[1:], 1, seed=3)[0]
    shifted = augment.apply_transform(image, [params], spec)[0, :, :, 0]
    assert params["ty"] == 0 and params["tx"] != 0
    new_column = int(np.argmax(shifted[20]))
    assert new_column != 30 and abs(new_column - (30 - params["tx"])) <= 1  # tx > 0 reads from the right
    assert np.all(shifted[:, new_column] > 100), "the line stays vertical: only columns moved"
    spec = augmentation_spec.AugmentationSpec(height_shift_range=0.2, fill_mode="constant")
    params = spec.random_transforms(image.shape[1:], 1, seed=3)[0]
    assert params["tx"] == 0 and params["ty"] != 0
    shifted = augment.apply_transform(image, [params], spec)[0, :, :, 0]
    assert int(np.argmax(shifted.max(axis=0))) == 30, "a vertical shift leaves the line in its column"


def test_random_transform_is_reproducible_with_a_seed():
    spec = augmentation_spec.AugmentationSpec(rotation_range=40, zoom_range=0.2)
    assert spec.random_transforms((10, 10, 3), 1, seed=5) == spec.random_transforms((10, 10, 3), 1, seed=5)
    assert spec.random_transforms((10, 10, 3), 1, seed=5) != spec.random_transforms((10, 10, 3), 1, seed=6)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({"rotation_range": -1}, "between 0 and 360"),
        ({"width_shift_range": 1.5}, "between 0 and 1"),
        ({"shear_range": float("nan")}, "must be a number"),
        ({"zoom_range": 1.2}, r"\[1 - z, 1 \+ z\]"),
        ({"zoom_range": (1.5, 0.5)}, "low <= high"),
        ({"fill_mode": "mirror"}, "nearest, constant, reflect, wrap"),
        ({"brightness_range": (2, 1)}, "low <= high"),
        ({"brightness_range": "bright"}, "pair of numbers"),
        ({"rescale": 0}, "non-zero"),
    ],
)
def test_invalid_values_name_the_allowed_range(arguments, message):
    with pytest.raises(CnnvizError, match=message):
        augmentation_spec.AugmentationSpec(**arguments)


def test_zoom_range_float_and_pair():
    assert augmentation_spec.AugmentationSpec(zoom_range=0.2).zoom_bounds == (0.8, 1.2)
    assert augmentation_spec.AugmentationSpec(zoom_range=(0.5, 1.0)).zoom_bounds == (0.5, 1.0)


TUTORIAL = augmentation_spec.TUTORIAL_AUGMENTATION.to_config()  # rotation 40, shifts 0.2, shear 0.2, zoom 0.2, flip


def test_layer_is_identity_at_inference_and_random_per_image_in_training():
    layer = augment.make_layer(augmentation_spec.AugmentationSpec(**TUTORIAL), seed=1)
    batch = np.repeat(images.load_sample_photo("astronaut")[None, ::4, ::4].astype("float32"), 4, axis=0)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(layer(batch, training=False)), batch)
    augmented = keras.ops.convert_to_numpy(layer(batch, training=True))
    assert augmented.shape == batch.shape
    assert all(np.abs(augmented[i] - batch[i]).mean() > 1 for i in range(4)), "every image is changed"
    assert np.abs(augmented[0] - augmented[1]).mean() > 1, "each image gets its own parameters"


def test_layer_rescales_always_as_image_data_generator_does():
    layer = augment.make_layer(augmentation_spec.AugmentationSpec(rescale=1 / 255))
    batch = np.full((2, 8, 8, 3), 255.0, dtype="float32")
    np.testing.assert_allclose(keras.ops.convert_to_numpy(layer(batch, training=False)), 1.0)


def test_layer_with_fixed_ranges_matches_apply_transform():
    # With every range collapsed to one value the layer must draw exactly that value.
    spec = augmentation_spec.AugmentationSpec(zoom_range=(0.8, 0.8), fill_mode="reflect")
    photo = images.load_sample_photo("coffee")[None, ::4, ::4].astype("float32")
    by_layer = keras.ops.convert_to_numpy(augment.make_layer(spec)(photo, training=True))
    direct = augment.apply_transform(photo, [{"zx": 0.8, "zy": 0.8}], spec)
    np.testing.assert_allclose(by_layer, direct, atol=1e-3)


def test_layer_survives_a_save_and_safe_mode_load(tmp_path):
    model = keras.Sequential(
        [
            keras.Input((32, 32, 3)),
            augment.make_layer(augmentation_spec.AugmentationSpec(**{**TUTORIAL, "rescale": 1 / 255})),
            keras.layers.Conv2D(2, 3),
        ]
    )
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.saving.load_model(path, safe_mode=True)
    assert loaded.layers[0].spec == model.layers[0].spec
    batch = np.random.default_rng(0).uniform(0, 255, (2, 32, 32, 3)).astype("float32")
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded(batch)), keras.ops.convert_to_numpy(model(batch)), atol=1e-5
    )


def test_the_layer_trains_inside_fit():
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 255, (16, 24, 24, 3)).astype("float32"), rng.integers(0, 2, 16)
    model = keras.Sequential(
        [
            keras.Input((24, 24, 3)),
            augment.make_layer(augmentation_spec.AugmentationSpec(**{**TUTORIAL, "rescale": 1 / 255})),
            keras.layers.Flatten(),
            keras.layers.Dense(1, activation="sigmoid"),
        ]
    )
    model.compile("rmsprop", "binary_crossentropy")
    history = model.fit(x, y, batch_size=8, epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


def test_generated_code_names_the_tutorial_parameters():
    spec = augmentation_spec.AugmentationSpec(**{**TUTORIAL, "rescale": 1 / 255})
    code = spec.image_data_generator_code()
    assert "rotation_range=40" in code and "shear_range=0.2" in code and "horizontal_flip=True" in code
    assert "fill_mode" not in code  # "nearest" is the default, as in ImageDataGenerator
    layers_code = spec.keras_layers_code()
    assert "RandomRotation(0.1111" in layers_code and 'RandomFlip("horizontal")' in layers_code
    assert "RandomTranslation(0.2, 0.2" in layers_code and "Rescaling(0.00392" in layers_code


@pytest.mark.parametrize("fill_mode", augmentation_spec.FILL_MODES)
def test_the_pages_numpy_preview_draws_what_the_training_layer_does(fill_mode):
    # The Augmentation page previews without Keras; a student must see the copies training will make.
    photo = images.load_sample_photo("cat (chelsea)").astype("float32")  # 300×451: not square
    spec = augmentation_spec.AugmentationSpec(
        **{**TUTORIAL, "fill_mode": fill_mode, "cval": 90.0, "vertical_flip": True, "brightness_range": (0.5, 1.5)}
    )
    params = spec.random_transforms(photo.shape, 6, seed=3)
    batch = np.repeat(photo[None], 6, axis=0)
    by_keras, by_numpy = augment.apply_transform(batch, params, spec), warping.apply_transform(batch, params, spec)
    difference = np.abs(by_keras - by_numpy)
    if fill_mode == "wrap":  # TensorFlow reads a few pixels along the wrap seam its own way
        assert np.mean(difference > 1) < 0.01 and difference.mean() < 0.5
    else:
        assert difference.max() < 0.05


def test_preview_returns_uint8_copies_and_their_parameters():
    photo = images.load_sample_photo("cat (chelsea)")
    copies, params = warping.preview(photo, augmentation_spec.AugmentationSpec(**TUTORIAL), 8, seed=0)
    assert copies.shape == (8, 300, 451, 3) and copies.dtype == np.uint8
    assert len(params) == 8 and "θ" in warping.describe_transform(params[0])
