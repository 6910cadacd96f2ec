"""The network view's numbers against Keras: every shown layer's maps, and each clicked cell's arithmetic."""

import numpy as np
import pytest

from cnnviz.errors import CnnvizError
from cnnviz.learning import arithmetic, explain, models, network_view, recipes
from cnnviz.learning.arithmetic import CellKind
from cnnviz.runtime import runs

TOLERANCE = 1e-4


def sample_batch(shape, seed: int = 0) -> np.ndarray:
    """Return one image of raw 0..255 pixels, as every model takes them."""
    return np.random.default_rng(seed).uniform(0, 255, (1, *shape)).astype("float32")


def corner_and_inner_cells(shape) -> list[tuple[int, int, int]]:
    """Return cells that reach into the padding (the corners) and one inside, on the first and last map."""
    height, width, channels = shape
    return [(0, 0, 0), (height - 1, width - 1, channels - 1), (height // 2, width // 3, channels // 2)]


def check_layer(model, batch, layer_name: str) -> CellKind:
    """Assert three cells of a layer equal Keras's own output there; return the kind of arithmetic."""
    maps = explain.activations(model, batch, layer_name)
    kinds = set()
    for row, column, channel in corner_and_inner_cells(maps.shape):
        cell = arithmetic.cell_arithmetic(model, batch, layer_name, row, column, channel)
        assert abs(cell.value - float(maps[row, column, channel])) < TOLERANCE, (layer_name, row, column, channel)
        kinds.add(cell.kind)
    return kinds.pop()


# A classifier trained on VGG16's features has no convolution of its own: its base is the one tested below.
IMAGE_RECIPES = sorted(
    name for name, recipe in recipes.RECIPES.items() if recipe.network_input is not recipes.NetworkInput.VGG16_FEATURES
)


@pytest.mark.parametrize("recipe", IMAGE_RECIPES)
def test_every_recipes_first_two_convolutions_match_keras(recipe):
    weights = {"weights": None} if recipes.get_recipe(recipe).pretrained_base else {}
    model = models.build(recipe, **weights)
    convolutions = [layer.name for layer in explain.chain_layers(model) if "Conv" in type(layer).__name__]
    batch = sample_batch(model.input_shape[1:])
    for name in convolutions[:2]:
        assert check_layer(model, batch, name) in (CellKind.CONVOLUTION, CellKind.SEPARABLE)


def test_the_trained_networks_learned_weights_give_keras_numbers_in_every_layer(trained_runs):
    run = next(run for run in runs.list_runs(trained_runs) if run.config.recipe == "fashion_separable")
    model = explain.load_run_model(run)
    split = explain.held_out_images(run)
    batch = split.load([3]).astype("float32")
    view = network_view.network_view(model, batch)
    blocks = [[f"conv{number}", f"separable{number}", f"pool{number}"] for number in (1, 2, 3)]
    assert view.names == [name for block in blocks for name in block]
    kinds = {name: check_layer(model, batch, name) for name in view.names}
    assert kinds["separable2"] is CellKind.SEPARABLE and kinds["pool3"] is CellKind.POOLING
    for output in view.layers:  # the view's maps are Keras's own layer outputs
        np.testing.assert_allclose(output.maps, explain.activations(model, batch, output.name), atol=1e-5)
    np.testing.assert_allclose(view.probabilities, explain.probabilities(model, batch), atol=1e-6)
    for output in view.layers:  # the page's arithmetic starts from the inputs the view kept: Keras's numbers still
        np.testing.assert_array_equal(output.inputs, arithmetic.layer_input(model, batch, output.name))
        row, column, channel = corner_and_inner_cells(output.maps.shape)[2]
        cell = arithmetic.cell_arithmetic(model, batch, output.name, row, column, channel, output.inputs)
        assert abs(cell.value - float(output.maps[row, column, channel])) < TOLERANCE, output.name


def test_a_separable_cell_is_depthwise_per_channel_then_the_pointwise_sum():
    model = models.build("fashion_separable")
    batch = sample_batch(model.input_shape[1:], seed=2)
    cell = arithmetic.cell_arithmetic(model, batch, "separable1", 5, 6, 7)
    layer = model.get_layer("separable1")
    inputs = explain.activations(model, batch, "conv1").astype(np.float64)
    depthwise = layer.depthwise_kernel.numpy()[..., 0]
    by_hand = [float((inputs[4:7, 5:8, c] * depthwise[..., c]).sum()) for c in range(32)]  # same padding: 1 each side
    np.testing.assert_allclose(cell.depthwise_values, by_hand, atol=1e-6)
    np.testing.assert_allclose(cell.pointwise, layer.pointwise_kernel.numpy()[0, 0, :, 7], atol=0)
    assert abs(cell.pre_activation - (np.dot(by_hand, cell.pointwise) + cell.bias)) < 1e-6
    assert cell.value == pytest.approx(max(cell.pre_activation, 0), abs=1e-7)


def test_a_pooling_cell_is_its_windows_largest_number():
    model = models.build("catsdogs_baseline")
    batch = sample_batch(model.input_shape[1:], seed=3)
    cell = arithmetic.cell_arithmetic(model, batch, "pool2", 10, 11, 3)
    conv = explain.activations(model, batch, "conv2")
    np.testing.assert_array_equal(cell.pool_window, conv[20:22, 22:24, 3])
    assert cell.value == conv[20:22, 22:24, 3].max()
    assert cell.pool_window[cell.winner] == cell.value


def test_the_vgg16_base_shows_its_blocks_and_explains_its_convolutions():
    model = models.build("vgg16_frozen_augment", weights=None)
    batch = sample_batch(model.input_shape[1:], seed=4)
    view = network_view.network_view(model, batch)
    assert view.names == [f"block{number}_pool" for number in range(1, 6)]
    assert [output.shape_text for output in view.layers][-1] == "4×4×512"
    assert check_layer(model, batch, "block3_conv2") is CellKind.CONVOLUTION


def test_a_cell_outside_the_map_or_a_dense_layer_says_so():
    model = models.build("fashion_separable")
    batch = sample_batch(model.input_shape[1:])
    with pytest.raises(CnnvizError, match="outside it"):
        arithmetic.cell_arithmetic(model, batch, "pool1", 14, 0, 0)
    with pytest.raises(CnnvizError, match="Dense"):
        arithmetic.cell_arithmetic(model, batch, "dense", 0, 0, 0)


def test_a_functional_model_from_elsewhere_is_viewed_and_explained_like_a_sequential_one():
    keras = pytest.importorskip("keras")
    inputs = keras.Input((12, 12, 3))
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="tanh", name="strided")(inputs)
    x = keras.layers.AveragePooling2D(2, name="average")(x)
    x = keras.layers.ReLU(name="relu")(x)
    outputs = keras.layers.Dense(3, activation="softmax")(keras.layers.Flatten()(x))
    model = keras.Model(inputs, outputs)
    batch = sample_batch((12, 12, 3), seed=5) / 255 - 0.5
    view = network_view.network_view(model, batch)
    assert view.names == ["strided", "average", "relu"] and view.describe_shapes().startswith("12×12×3 → 6×6×4 → 3×3×4")
    assert check_layer(model, batch, "strided") is CellKind.CONVOLUTION  # stride 2 and 'same' padding, tanh
    assert check_layer(model, batch, "average") is CellKind.POOLING
    assert check_layer(model, batch, "relu") is CellKind.ELEMENTWISE
