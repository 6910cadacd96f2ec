"""Random inputs through cnnviz's numpy ops and Keras's own layers with the same weights."""

import numpy as np
import pytest

from cnnviz.lesson import convolution

keras = pytest.importorskip("keras")


def run_keras_layer(layer: "keras.layers.Layer", image: np.ndarray, weights: list | None = None) -> np.ndarray:
    """Run one 2-D image through a Keras layer as a batch of one single-channel image."""
    batch = image[None, :, :, None].astype("float32")
    layer.build(batch.shape)
    if weights is not None:
        layer.set_weights(weights)
    return keras.ops.convert_to_numpy(layer(batch))[0, :, :, 0]


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize(
    ("height", "width", "kernel_height", "kernel_width"), [(9, 9, 3, 3), (10, 7, 4, 2), (8, 11, 5, 5)]
)
def test_conv2d_matches_keras_conv2d(padding, stride, height, width, kernel_height, kernel_width):
    rng = np.random.default_rng(height * 100 + width * 10 + stride)
    image = rng.normal(size=(height, width))
    kernel = rng.normal(size=(kernel_height, kernel_width))
    layer = keras.layers.Conv2D(1, (kernel_height, kernel_width), strides=stride, padding=padding, use_bias=False)
    expected = run_keras_layer(layer, image, [kernel[:, :, None, None].astype("float32")])
    np.testing.assert_allclose(convolution.conv2d(image, kernel, stride, padding), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize("zeros", [1, 2])
def test_conv2d_with_numeric_padding_matches_zero_padding_then_conv2d(zeros):
    rng = np.random.default_rng(zeros)
    image, kernel = rng.normal(size=(7, 7)), rng.normal(size=(3, 3))
    model = keras.Sequential([keras.layers.ZeroPadding2D(zeros), keras.layers.Conv2D(1, 3, use_bias=False)])
    model.build((1, 7, 7, 1))
    model.layers[1].set_weights([kernel[:, :, None, None].astype("float32")])
    expected = keras.ops.convert_to_numpy(model(image[None, :, :, None].astype("float32")))[0, :, :, 0]
    np.testing.assert_allclose(convolution.conv2d(image, kernel, padding=zeros), expected, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(("mode", "layer_class"), [("max", "MaxPooling2D"), ("average", "AveragePooling2D")])
@pytest.mark.parametrize("stride", [1, 2, 3])
@pytest.mark.parametrize("size", [2, 3])
def test_pool2d_matches_keras_pooling(mode, layer_class, stride, size):
    image = np.random.default_rng(size * 10 + stride).normal(size=(11, 9))
    layer = getattr(keras.layers, layer_class)(pool_size=size, strides=stride, padding="valid")
    np.testing.assert_allclose(
        convolution.pool2d(image, size, stride, mode), run_keras_layer(layer, image), rtol=1e-5, atol=1e-5
    )


def run_keras_conv2d(image: np.ndarray, kernel: np.ndarray, bias: float, padding: str, dilation: int) -> np.ndarray:
    """Run an (H, W, C) image through a one-filter Keras Conv2D with this kernel and bias, via set_weights."""
    channels = image.shape[2]
    layer = keras.layers.Conv2D(1, kernel.shape[:2], padding=padding, dilation_rate=dilation)
    layer.build((1, *image.shape))
    layer.set_weights([kernel.reshape(*kernel.shape[:2], channels, 1).astype("float32"), np.array([bias], "float32")])
    return keras.ops.convert_to_numpy(layer(image[None].astype("float32")))[0, :, :, 0]


@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("dilation", [1, 2, 3])
@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize(("height", "width", "kernel_height", "kernel_width"), [(9, 9, 3, 3), (12, 10, 2, 3)])
def test_conv2d_with_channels_dilation_and_bias_matches_keras(
    padding, dilation, channels, height, width, kernel_height, kernel_width
):
    rng = np.random.default_rng(channels * 1000 + dilation * 100 + height)
    image = rng.normal(size=(height, width, channels))
    kernel = rng.normal(size=(kernel_height, kernel_width, channels))
    bias = float(rng.normal())
    expected = run_keras_conv2d(image, kernel, bias, padding, dilation)
    ours = convolution.conv2d(image, kernel, padding=padding, dilation=dilation, bias=bias)
    assert ours.shape == expected.shape
    np.testing.assert_allclose(ours, expected, rtol=1e-4, atol=1e-4)


def test_a_grey_grid_and_a_two_dimensional_kernel_match_a_one_channel_keras_conv2d_with_bias():
    rng = np.random.default_rng(7)
    image, kernel = rng.normal(size=(8, 8)), rng.normal(size=(3, 3))
    expected = run_keras_conv2d(image[:, :, None], kernel[:, :, None], 0.5, "valid", 2)
    np.testing.assert_allclose(convolution.conv2d(image, kernel, dilation=2, bias=0.5), expected, rtol=1e-4, atol=1e-4)


def test_keras_refuses_stride_with_dilation_and_so_does_cnnviz():
    with pytest.raises(ValueError):
        keras.layers.Conv2D(1, 3, strides=2, dilation_rate=2)
    with pytest.raises(ValueError, match="set the stride or the dilation back to 1"):
        convolution.conv2d(np.ones((9, 9)), np.ones((3, 3)), stride=2, dilation=2)
