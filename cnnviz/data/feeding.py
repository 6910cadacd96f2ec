"""Feeding a Split to Keras: arrays held in memory, or a PyDataset that decodes one batch at a time."""

from __future__ import annotations

import math
from dataclasses import dataclass

import keras
import numpy as np


@dataclass(frozen=True)
class Feed:
    """What `model.fit` (or `evaluate`) takes for one split: x, and y and a batch size when x is an array."""

    x: object
    y: np.ndarray | None = None
    batch_size: int | None = None

    def as_fit_arguments(self) -> dict:
        """Return x, y and batch_size for fit or evaluate (Keras refuses a batch size with a dataset)."""
        arguments = {"x": self.x, "y": self.y, "batch_size": self.batch_size}
        return {key: value for key, value in arguments.items() if value is not None}

    def as_validation_arguments(self) -> dict:
        """Return validation_data and validation_batch_size for fit."""
        data = self.x if self.y is None else (self.x, self.y)
        return {"validation_data": data, "validation_batch_size": self.batch_size}


def feed_arrays(images: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool, seed: int) -> Feed:
    """Return arrays held in memory as Keras should take them on this backend.

    On TensorFlow, Keras turns arrays into a tf.data pipeline with autotuning on, and on 2 cores the
    first batch of many epochs then waits for it; the same batches from a pipeline with autotuning off
    never wait (BENCHMARKS.md, "Measurements behind the code"). JAX and PyTorch iterate over the arrays
    themselves: nothing to change.
    """
    if keras.backend.backend() != "tensorflow":
        return Feed(images, labels, batch_size)
    return Feed(tensorflow_batches(images, labels, batch_size, shuffle, seed))


def tensorflow_batches(images: np.ndarray, labels: np.ndarray, batch_size: int, shuffle: bool, seed: int):
    """Return the arrays as a tf.data pipeline of batches, reshuffled every epoch when asked, autotuning off."""
    import tensorflow as tf

    image_tensor, label_tensor = tf.constant(images), tf.constant(labels)
    order = tf.data.Dataset.range(len(images))
    if shuffle:
        order = order.shuffle(len(images), seed=seed, reshuffle_each_iteration=True)

    def gather(indices):  # a batch of indices, then one gather each: a copy per batch, not one per image
        return tf.gather(image_tensor, indices), tf.gather(label_tensor, indices)

    batches = order.batch(batch_size).map(gather)
    options = tf.data.Options()
    options.autotune.enabled = False
    return batches.prefetch(1).with_options(options)


class SplitSequence(keras.utils.PyDataset):
    """A split as batches for model.fit, reshuffled every epoch when asked, one batch in memory."""

    def __init__(self, split, batch_size: int, image_shape=None, shuffle: bool = False, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.split, self.batch_size, self.image_shape = split, batch_size, image_shape
        self.shuffle, self.rng = shuffle, np.random.default_rng(seed)
        self.order = self.rng.permutation(len(split)) if shuffle else np.arange(len(split))

    def __len__(self) -> int:
        return math.ceil(len(self.split) / self.batch_size)

    def __getitem__(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        indices = self.order[index * self.batch_size : (index + 1) * self.batch_size]
        return self.split.load(indices, self.image_shape), self.split.labels[indices]

    def on_epoch_end(self) -> None:
        if self.shuffle:
            self.order = self.rng.permutation(len(self.split))
