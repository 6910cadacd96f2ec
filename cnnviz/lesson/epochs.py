"""Epochs, batches and steps with a student's numbers: how many weight updates one pass over the data makes."""

from __future__ import annotations

import math
from dataclasses import dataclass

from cnnviz.data import datasets
from cnnviz.data.sources import DatasetName
from cnnviz.errors import CnnvizError


@dataclass(frozen=True)
class EpochArithmetic:
    """One run's training images, batch size and epochs, and the steps (batches, weight updates) they make."""

    images: int
    batch_size: int
    epochs: int

    def __post_init__(self) -> None:
        if self.images < 1 or self.batch_size < 1 or self.epochs < 1:
            raise CnnvizError(
                f"Images, batch size and epochs must each be at least 1; got {self.images}, {self.batch_size} "
                f"and {self.epochs}."
            )

    @property
    def steps_per_epoch(self) -> int:
        """Return the batches in one epoch: ⌈images ÷ batch⌉, as Keras counts them (the last may be smaller)."""
        return math.ceil(self.images / self.batch_size)

    @property
    def last_batch(self) -> int:
        """Return how many images the epoch's last batch holds."""
        return self.images - (self.steps_per_epoch - 1) * self.batch_size

    @property
    def total_steps(self) -> int:
        """Return the weight updates of the whole run."""
        return self.steps_per_epoch * self.epochs

    def describe(self) -> str:
        """Return the arithmetic in one Markdown line: `55,000 images ÷ batch 32 = 1,719 steps an epoch …`."""
        last = "" if self.last_batch == self.batch_size else f" (the last one {self.last_batch:,} images)"
        step_word = "step" if self.steps_per_epoch == 1 else "steps"
        return (
            f"**{self.images:,} images ÷ batch {self.batch_size:,} = {self.steps_per_epoch:,} {step_word} an "
            f"epoch**{last}: each step is one batch through the network and one weight update; one epoch is every "
            f"training image once. × {self.epochs:,} epochs = **{self.total_steps:,} steps** in this run."
        )


def epoch_arithmetic(dataset: DatasetName, limit: int | None, batch_size: int, epochs: int) -> EpochArithmetic | None:
    """Return the arithmetic for a built-in dataset's real training count under `limit` (None for a folder: its
    count is known once it is read)."""
    images = datasets.training_images(dataset, limit or None)
    return None if images is None else EpochArithmetic(images, batch_size, epochs)
