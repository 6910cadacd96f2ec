"""Two-class photo-sized images made on the spot (discs vs squares on noise), written as a train/validation folder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

CLASSES = ("discs", "squares")


def make_image(rng: np.random.Generator, shape: str, size: int) -> Image.Image:
    """Return one noisy RGB picture holding a disc or a square of random place, size and colour."""
    noise = rng.integers(0, 256, (size, size, 3), dtype=np.uint8)
    picture = Image.fromarray(noise)
    draw = ImageDraw.Draw(picture)
    side = int(rng.integers(size // 4, size // 2))
    left, top = (int(value) for value in rng.integers(0, size - side, 2))
    colour = tuple(int(value) for value in rng.integers(0, 256, 3))
    box = (left, top, left + side, top + side)
    (draw.ellipse if shape == "discs" else draw.rectangle)(box, fill=colour)
    return picture


def write_folder(root: Path, train: int, validation: int, size: int = 150, seed: int = 0) -> Path:
    """Write `train` and `validation` JPEGs, half of each class, as root/{train,validation}/{class}/; return root."""
    rng = np.random.default_rng(seed)
    for split, count in (("train", train), ("validation", validation)):
        for index in range(count):
            shape = CLASSES[index % 2]
            folder = root / split / shape
            folder.mkdir(parents=True, exist_ok=True)
            make_image(rng, shape, size).save(folder / f"{index:05d}.jpg", quality=90)
    return root
