"""Images in and out: the sample photos, grayscale conversion, resizing and display scaling."""

from __future__ import annotations

from importlib import resources

import numpy as np
from PIL import Image

from cnnviz.errors import CnnvizError

# Real photos that ship inside scikit-image, so the app works offline. They are read straight from
# the package with Pillow: skimage.data would import skimage.io and scipy (0.4 s) to do the same.
SAMPLE_PHOTOS: dict[str, str] = {
    "cat (chelsea)": "chelsea.png",
    "astronaut": "astronaut.png",
    "coffee": "coffee.png",
    "rocket": "rocket.jpg",
    "motorcycle": "motorcycle_left.png",
}


def load_sample_photo(name: str) -> np.ndarray:
    """Return a sample photo as a uint8 array of shape (H, W, 3)."""
    if name not in SAMPLE_PHOTOS:
        raise CnnvizError(f"There is no sample photo called {name!r}; choose one of {sorted(SAMPLE_PHOTOS)}.")
    with resources.as_file(resources.files("skimage") / "data" / SAMPLE_PHOTOS[name]) as path:
        with Image.open(path) as picture:
            return ensure_rgb(np.asarray(picture.convert("RGB")))


def ensure_rgb(image: np.ndarray) -> np.ndarray:
    """Return a uint8 (H, W, 3) array, repeating a grey channel or dropping alpha."""
    image = np.asarray(image)
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3]).astype(np.uint8)


def to_grayscale(image: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """Return a float grayscale image in [0, 1], optionally resized to size = (width, height)."""
    picture = Image.fromarray(ensure_rgb(image)).convert("L")
    if size is not None:
        picture = picture.resize(size, Image.Resampling.LANCZOS)
    return np.asarray(picture, dtype=np.float64) / 255.0


def shrink_to_fit(image: np.ndarray, max_side: int) -> np.ndarray:
    """Return the image scaled down (never up) so its longer side is at most max_side pixels."""
    height, width = image.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return image
    size = (max(1, round(width * scale)), max(1, round(height * scale)))
    mode_image = Image.fromarray(image if image.dtype == np.uint8 else to_display(image))
    return np.asarray(mode_image.resize(size, Image.Resampling.LANCZOS))


def to_display(values: np.ndarray) -> np.ndarray:
    """Return any real-valued map stretched to uint8 0..255 (a flat map becomes mid-grey)."""
    values = np.asarray(values, dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    if high - low < 1e-12:
        return np.full(values.shape, 128, dtype=np.uint8)
    return np.round((values - low) / (high - low) * 255).astype(np.uint8)
