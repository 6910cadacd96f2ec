"""Feeding a Split to Keras: a PyDataset that decodes one batch at a time."""

from __future__ import annotations

import math

import keras
import numpy as np


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
