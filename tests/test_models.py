"""Every recipe reproduces the tutorials' parameter counts; VGG16 stages freeze the right layers."""

import numpy as np
import pytest

from cnnviz.errors import CnnvizError, WeightsUnavailable
from cnnviz.learning import models, recipes
from cnnviz.lesson import architecture

keras = pytest.importorskip("keras")

EXPECTED = {
    # name: (total, trainable, output units)
    "catsdogs_baseline": (3_453_121, 3_453_121, 1),
    "catsdogs_dropout_augment": (3_453_121, 3_453_121, 1),
    "vgg16_feature_extraction": (2_097_665, 2_097_665, 1),
    "vgg16_frozen_augment": (16_812_353, 2_097_665, 1),
    "vgg16_fine_tune": (16_812_353, 16_812_353 - 7_635_264, 1),
    "fashion_separable": (265_290, 265_290, 10),
    "malaria_batchnorm": (4_340_130, 4_340_130 - 1_664, 2),
}


@pytest.mark.parametrize("name", list(EXPECTED))
def test_recipe_reproduces_the_tutorial_counts(name):
    model = models.build(name)
    total, trainable, units = EXPECTED[name]
    assert architecture.totals(model) == {"total": total, "trainable": trainable, "non-trainable": total - trainable}
    assert model.output_shape == (None, units)
    rows = architecture.layer_rows(model)
    assert sum(row["count"] for row in rows) == total, "the layer table adds up to Keras's own total"


def test_caltech_small_has_over_two_million_parameters():
    assert models.build("caltech_small").count_params() > 2_000_000


def test_every_recipe_states_its_settings():
    for recipe in recipes.RECIPES.values():
        assert recipe.source and recipe.description and recipe.batch_size > 0 and recipe.epochs > 0
        assert recipe.optimizer in ("rmsprop", "adam") and 0 < recipe.learning_rate < 1
    assert recipes.RECIPES["catsdogs_baseline"].learning_rate == 1e-4
    assert recipes.RECIPES["catsdogs_dropout_augment"].batch_size == 32
    assert recipes.RECIPES["catsdogs_dropout_augment"].augmentation.rotation_range == 40


def test_vgg16_stages_freeze_the_right_layers():
    frozen = models.build("vgg16_frozen_augment")
    base = frozen.get_layer("vgg16")
    assert not base.trainable and all(not layer.trainable_weights for layer in base.layers)
    fine_tuned = models.build("vgg16_fine_tune").get_layer("vgg16")
    trainable = {layer.name for layer in fine_tuned.layers if layer.trainable_weights}
    assert trainable == {"block5_conv1", "block5_conv2", "block5_conv3"}


def test_augmenting_recipes_put_the_augmentation_layer_first_and_others_rescale():
    assert type(models.build("catsdogs_dropout_augment").layers[0]).__name__ == "ImageAugmentation"
    assert type(models.build("catsdogs_baseline").layers[0]).__name__ == "Rescaling"
    no_augmentation = models.build("catsdogs_dropout_augment", augmentation=None, dropout_rate=None)
    assert type(no_augmentation.layers[0]).__name__ == "Rescaling"
    assert not any(type(layer).__name__ == "Dropout" for layer in no_augmentation.layers)


def test_recipes_adapt_to_other_shapes_and_class_counts():
    ten_classes = models.build("catsdogs_baseline", num_classes=10)
    assert ten_classes.output_shape == (None, 10) and models.loss_name(ten_classes) == "sparse_categorical_crossentropy"
    fashion_on_malaria = models.build("malaria_batchnorm", input_shape=(28, 28, 1), num_classes=10)
    assert fashion_on_malaria.output_shape == (None, 10)
    grey_cats = models.build("catsdogs_baseline", input_shape=(150, 150, 1))
    assert grey_cats.input_shape == (None, 150, 150, 1) and models.loss_name(grey_cats) == "binary_crossentropy"


def test_an_input_too_small_for_the_network_is_a_clear_error():
    with pytest.raises(CnnvizError, match="cannot take 28×28 images"):
        models.build("catsdogs_baseline", input_shape=(28, 28, 1))
    with pytest.raises(CnnvizError, match="at least 2 classes"):
        models.build("fashion_separable", num_classes=1)
    with pytest.raises(CnnvizError, match="no recipe called"):
        models.build("resnet")


def test_compiled_model_trains_a_step_from_raw_pixels():
    model = models.compile_model(models.build("fashion_separable"), recipes.RECIPES["fashion_separable"])
    x = np.random.default_rng(0).uniform(0, 255, (8, 28, 28, 1)).astype("float32")
    loss, accuracy = model.train_on_batch(x, np.arange(8) % 10)
    assert np.isfinite(loss) and 0 <= accuracy <= 1
    with pytest.raises(CnnvizError, match="Optimizer must be one of"):
        models.compile_model(model, recipes.RECIPES["fashion_separable"], optimizer="adamw-turbo")


def test_imagenet_weights_offline_raise_weights_unavailable_naming_both_remedies(tmp_path, monkeypatch):
    import keras.src.applications.vgg16 as vgg16_module
    import keras.src.backend.config as keras_config

    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path))  # an empty Keras cache
    monkeypatch.setattr(vgg16_module, "WEIGHTS_PATH_NO_TOP", "http://127.0.0.1:9/vgg16_notop.h5")  # nobody answers
    with pytest.raises(WeightsUnavailable) as caught:
        models.build("vgg16_frozen_augment", weights="imagenet")
    message = str(caught.value)
    assert "~/.keras/models/" in message and "give its path" in message and "not transfer learning" in message


def test_vgg16_weights_from_a_local_file_are_loaded(tmp_path):
    source = keras.applications.VGG16(weights=None, include_top=False, input_shape=(150, 150, 3))
    path = tmp_path / "vgg16_notop.weights.h5"
    source.save_weights(path)
    model = models.build("vgg16_frozen_augment", weights=path)
    loaded = model.get_layer("vgg16").get_layer("block1_conv1").get_weights()[0]
    np.testing.assert_array_equal(loaded, source.get_layer("block1_conv1").get_weights()[0])
    with pytest.raises(WeightsUnavailable, match="No VGG16 weights file"):
        models.build("vgg16_frozen_augment", weights=tmp_path / "missing.h5")


def test_feature_extractor_gives_4_by_4_by_512():
    extractor = models.build_feature_extractor(weights=None)
    features = extractor.predict(np.zeros((2, 150, 150, 3), dtype="float32"), verbose=0)
    assert features.shape == (2, 4, 4, 512)


def test_formulas_for_the_lesson():
    comparison = architecture.compare_standard_and_separable(3, 32, 32)
    assert comparison.standard.formula == "3×3×32×32 + 32 = 9,248"
    assert comparison.separable.formula == "3×3×32 + 32×32 + 32 = 1,344"
    assert comparison.ratio_formula == "9,248 / 1,344 = 6.9× fewer"
    sharing = architecture.weight_sharing_arithmetic(1000, 10)
    assert [connection.weights for connection in sharing] == [10**12, 10**8, 100]
    row = architecture.layer_rows(models.build("catsdogs_baseline"))[1]
    assert row["parameters"] == "3×3×3×32 + 32 = 896" and row["output shape"] == "(batch, 148, 148, 32)"
