"""Plain helpers many test files import: the repo root, a short run's config, run ids, a free port, encoded pictures."""

import io
import socket
from pathlib import Path

import numpy as np
from PIL import Image

from cnnviz.learning import training
from cnnviz.runtime import runs
from cnnviz.runtime.run_config import RunConfig

ROOT = Path(__file__).resolve().parents[1]


def quick_config(**overrides) -> RunConfig:
    """Return the config of a short Fashion-MNIST run (1 epoch of 256 images), with `overrides` applied."""
    settings = {"epochs": 1, "limit": 256, **overrides}
    return training.default_config("fashion_separable", "fashion_mnist", **settings)


def run_ids(root: Path, recipe: str) -> list[str]:
    """Return the ids of the runs of `recipe` in the run store at `root`."""
    return [run.run_id for run in runs.list_runs(root) if run.config.recipe == recipe]


def find_free_port() -> int:
    """Return a loopback port nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def encode_image(picture: Image.Image | np.ndarray, file_format: str = "PNG", **options) -> bytes:
    """Return a Pillow image or a uint8 array saved as the bytes of an image file (PNG unless told)."""
    if isinstance(picture, np.ndarray):
        picture = Image.fromarray(picture)
    buffer = io.BytesIO()
    picture.save(buffer, format=file_format, **options)
    return buffer.getvalue()
