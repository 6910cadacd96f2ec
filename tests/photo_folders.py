"""Folders of real photos (crops of scikit-image's pictures) laid out as a dataset's class folders, any size."""

from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry")


def photo_crops(count: int, size: tuple[int, int], seed: int) -> list[np.ndarray]:
    """Return `count` random crops of (height, width) = size from scikit-image's colour photos."""
    rng = np.random.default_rng(seed)
    pictures = [getattr(data, name)() for name in PHOTOS]
    crops = []
    for index in range(count):
        picture = pictures[index % len(pictures)]
        top = rng.integers(0, picture.shape[0] - size[0])
        left = rng.integers(0, picture.shape[1] - size[1])
        crops.append(picture[top : top + size[0], left : left + size[1], :3])
    return crops


def make_class_folders(root: Path, per_class: dict[str, int], size: tuple[int, int] = (90, 100)) -> Path:
    """Write `per_class[name]` JPEG photo crops of `size` into root/name/ for each class; return root."""
    for seed, (name, count) in enumerate(per_class.items()):
        folder = root / name
        folder.mkdir(parents=True, exist_ok=True)
        for index, crop in enumerate(photo_crops(count, size, seed)):
            Image.fromarray(crop).save(folder / f"image_{index:04d}.jpg", quality=85)
    return root
