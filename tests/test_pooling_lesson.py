"""Sum pooling, max against average on a real feature map, and a one-pixel shift: checked against Keras and by hand."""

import numpy as np
import pytest

from cnnviz.data import images
from cnnviz.lesson import convolution, photos, pooling

keras = pytest.importorskip("keras")


def keras_feature_map(photo: np.ndarray, kernel: np.ndarray) -> np.ndarray:
    """Return Keras's Conv2D (valid, this kernel, no bias) then ReLU of a grey photo."""
    layer = keras.layers.Conv2D(1, kernel.shape, padding="valid", use_bias=False, activation="relu")
    layer.build((1, *photo.shape, 1))
    layer.set_weights([kernel[:, :, None, None].astype("float32")])
    return keras.ops.convert_to_numpy(layer(photo[None, :, :, None].astype("float32")))[0, :, :, 0]


def keras_pool(values: np.ndarray, layer_class: str, size: int, stride: int) -> np.ndarray:
    """Return Keras's MaxPooling2D or AveragePooling2D of a 2-D map."""
    layer = getattr(keras.layers, layer_class)(pool_size=size, strides=stride, padding="valid")
    return keras.ops.convert_to_numpy(layer(values[None, :, :, None].astype("float32")))[0, :, :, 0]


@pytest.mark.parametrize(("size", "stride"), [(2, 2), (3, 1), (3, 2), (4, 4)])
def test_sum_pooling_is_keras_average_pooling_times_the_window_area(size, stride):
    values = np.random.default_rng(size * 10 + stride).normal(size=(13, 11))
    expected = keras_pool(values, "AveragePooling2D", size, stride) * size * size
    np.testing.assert_allclose(convolution.pool2d(values, size, stride, "sum"), expected, rtol=1e-5, atol=1e-5)


def test_a_sum_step_is_written_out():
    trace = convolution.trace_pool2d([[1, 3, 2, 9], [5, 6, 1, 7], [4, 2, 8, 0], [3, 1, 4, 6]], 2, 2, "sum")
    assert trace.step(0).arithmetic() == "1 + 3 + 5 + 6 = 15"
    assert trace.output.tolist() == [[15, 19], [10, 18]]


@pytest.mark.parametrize("edge", photos.EDGE_KERNELS)
@pytest.mark.parametrize("name", ["cat (chelsea)", "rocket"])
def test_the_real_feature_maps_peaks_match_keras(name, edge):
    photo = images.to_grayscale(images.load_sample_photo(name), size=(28, 28))
    real = photos.real_pooling(photo, edge, 2, 2)
    feature_map = keras_feature_map(photo, convolution.kernel_presets(3)[edge])
    assert real.comparison.feature_map.shape == (26, 26)
    np.testing.assert_allclose(real.comparison.feature_map, feature_map, rtol=1e-4, atol=1e-5)
    maxed, averaged = keras_pool(feature_map, "MaxPooling2D", 2, 2), keras_pool(feature_map, "AveragePooling2D", 2, 2)
    assert real.comparison.peak() == pytest.approx(feature_map.max(), rel=1e-4)
    assert real.comparison.peak("max") == pytest.approx(maxed.max(), rel=1e-4) == pytest.approx(feature_map.max())
    assert real.comparison.peak("average") == pytest.approx(averaged.max(), rel=1e-4)
    assert real.comparison.peak("sum") == pytest.approx(4 * averaged.max(), rel=1e-4)
    assert real.comparison.kept_share("average") == pytest.approx(averaged.max() / feature_map.max(), rel=1e-4)
    assert real.comparison.kept_share("average") < 1, "average blurs the strongest response"
    text = real.comparison.describe()
    assert convolution.format_number(round(float(averaged.max()), 3)) in text
    assert f"{averaged.max() / feature_map.max():.0%}" in text


def test_the_pictures_share_one_brightness_scale_so_average_looks_dimmer():
    photo = images.to_grayscale(images.load_sample_photo("cat (chelsea)"), size=(28, 28))
    captions = {
        caption.split(":")[0]: picture for caption, picture in photos.real_pooling(photo, "Sobel x", 2, 2).pictures
    }
    assert captions["max pooled"].max() == 255 and captions["average pooled"].max() < 200
    np.testing.assert_array_equal(captions["sum pooled"], captions["average pooled"])  # sum = average × 4, scaled × 4
    assert captions["max pooled"].shape[:2] == (13 * photos.POOLED_SCALE, 13 * photos.POOLED_SCALE)


def test_a_one_column_shift_of_the_toy_grid_counted_by_hand():
    shift = pooling.compare_grid_shift(np.array([[1, 3, 2, 9], [5, 6, 1, 7], [4, 2, 8, 0], [3, 1, 4, 6]]), 2, 2)
    assert shift.shifted_feature_map.tolist() == [[0, 1, 3, 2], [0, 5, 6, 1], [0, 4, 2, 8], [0, 3, 1, 4]]
    # max of each 2×2 window by hand: before [[6, 9], [4, 8]], after [[5, 6], [4, 8]]
    assert shift.pooled.tolist() == [[6, 9], [4, 8]] and shift.shifted_pooled.tolist() == [[5, 6], [4, 8]]
    assert shift.feature_changed.sum() == 16 and shift.pooled_changed.sum() == 2
    assert shift.changed_share(pooled=True) == 0.5 and shift.changed_share(pooled=False) == 1.0
    assert "16 of 16" in shift.describe() and "2 of 4" in shift.describe()


def test_the_photos_shift_counted_against_keras():
    photo = images.to_grayscale(images.load_sample_photo("cat (chelsea)"), size=(28, 28))
    real = photos.real_pooling(photo, "Laplacian", 2, 2)
    kernel = convolution.kernel_presets(3)["Laplacian"]
    moved = np.zeros_like(photo)
    moved[:, 1:] = photo[:, :-1]
    before, after = keras_feature_map(photo, kernel), keras_feature_map(moved, kernel)
    tolerance = 0.1 * before.max()
    feature_changed = int((np.abs(after - before) > tolerance).sum())
    pooled_before, pooled_after = keras_pool(before, "MaxPooling2D", 2, 2), keras_pool(after, "MaxPooling2D", 2, 2)
    pooled_changed = int((np.abs(pooled_after - pooled_before) > tolerance).sum())
    assert abs(int(real.shift.feature_changed.sum()) - feature_changed) <= 1  # float32 against float64 at the edge
    assert abs(int(real.shift.pooled_changed.sum()) - pooled_changed) <= 1
    relative = np.abs(pooled_after - pooled_before).mean() / np.abs(pooled_before).mean()
    assert real.shift.mean_change(pooled=True) == pytest.approx(relative, rel=1e-3)
    assert real.shift.mean_change(pooled=True) < real.shift.mean_change(pooled=False)
    assert f"{int(real.shift.pooled_changed.sum())} of 169" in real.shift.describe()
    assert real.shift_pictures[1][0].endswith(f"{int(real.shift.feature_changed.sum())} changed")


def test_shift_right_refuses_a_shift_wider_than_the_grid():
    with pytest.raises(pooling.CnnvizError, match="between 1 and 3"):
        pooling.shift_right(np.ones((4, 4)), 4)


def test_the_modes_keep_the_lessons_order_and_none_picked_is_max():
    assert pooling.chosen_modes(["sum", "max"]) == ["max", "sum"]
    assert pooling.chosen_modes([]) == pooling.chosen_modes(None) == ["max"]
