"""Every failure a person can cause, as one exception family with a readable message."""

from __future__ import annotations


class CnnvizError(ValueError):
    """An expected failure: the message says what went wrong and what to do next."""


class InvalidGrid(CnnvizError):
    """A typed grid or kernel could not be read as numbers."""


class InvalidImage(CnnvizError):
    """An uploaded file is not an image cnnviz can read."""


class InvalidDataset(CnnvizError):
    """A dataset folder or zip does not have the layout cnnviz needs."""


class DatasetUnavailable(CnnvizError):
    """A dataset cannot be found locally and cannot be downloaded."""


class WeightsUnavailable(CnnvizError):
    """Pretrained weights cannot be found locally and cannot be downloaded."""


class RunNotFound(CnnvizError):
    """A run id does not name a run in the run store."""
