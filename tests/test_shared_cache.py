"""ui.SharedCache: values kept for every student up to a size in bytes, the least recently used dropped first."""

import numpy as np

import ui
from cnnviz.learning.network_records import LayerOutput, NetworkView


def keep(cache: ui.SharedCache, key: str, size: int, made: list[str]) -> str:
    """Get `key` from the cache, noting in `made` when it had to be made."""
    return cache.get_or_make(key, lambda: made.append(key) or f"value of {key}", lambda _: size)


def test_a_kept_value_is_not_made_again():
    cache, made = ui.SharedCache(max_bytes=100), []
    assert keep(cache, "a", 40, made) == "value of a"
    assert keep(cache, "a", 40, made) == "value of a"
    assert made == ["a"] and cache.held == 40


def test_past_its_bytes_the_least_recently_used_goes_first():
    cache, made = ui.SharedCache(max_bytes=100), []
    for key in "abc":  # 3 × 30 = 90 bytes: all kept
        keep(cache, key, 30, made)
    keep(cache, "a", 30, made)  # a is now the most recently used, b the least
    keep(cache, "d", 30, made)  # 120 bytes: b goes
    assert list(cache.entries) == ["c", "a", "d"] and cache.held == 90
    keep(cache, "b", 30, made)
    assert made == ["a", "b", "c", "d", "b"]


def test_a_value_bigger_than_the_whole_cache_is_returned_and_not_kept():
    cache, made = ui.SharedCache(max_bytes=100), []
    keep(cache, "a", 30, made)
    assert keep(cache, "huge", 101, made) == "value of huge"
    assert list(cache.entries) == ["a"] and cache.held == 30


def test_a_network_views_size_counts_every_array_it_holds():
    image = np.zeros((28, 28, 1), np.float32)
    conv = LayerOutput("conv1", "Conv2D", np.zeros((26, 26, 32), np.float32), True, image)
    pool = LayerOutput("pool1", "MaxPooling2D", np.zeros((13, 13, 32), np.float32), False)
    view = NetworkView(image, (conv, pool), np.full(10, 0.1))
    by_hand = 4 * 28 * 28 + 4 * 26 * 26 * 32 + 4 * 28 * 28 + 4 * 13 * 13 * 32 + 8 * 10
    assert view.nbytes == by_hand
