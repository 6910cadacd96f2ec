"""Images in and out: the sample photos, grayscale conversion, resizing and display scaling."""

from __future__ import annotations

import io
import re
import warnings
from enum import Enum
from importlib import resources

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from cnnviz.errors import CnnvizError, InvalidImage

# The one list of image files cnnviz accepts (uploads, folders, zips): file ending -> Pillow format.
# These are what a browser or camera produces (Pillow reads multi-picture MPO files as JPEG).
FILE_TYPES = {
    "jpg": "JPEG",
    "jpeg": "JPEG",
    "png": "PNG",
    "webp": "WEBP",
    "bmp": "BMP",
    "gif": "GIF",
    "tif": "TIFF",
    "tiff": "TIFF",
}
UPLOAD_TYPES = list(FILE_TYPES)
IMAGE_SUFFIXES = frozenset(f".{ending}" for ending in FILE_TYPES)
IMAGE_FORMATS = tuple(dict.fromkeys(FILE_TYPES.values()))
# 40 megapixels is a large camera photo; a bigger "image" is more likely a decompression bomb.
MAX_PIXELS = 40_000_000
NEXT_STEP = "Choose a JPEG, PNG, WebP, BMP, GIF or TIFF photo."
# A real photo takes at least a few hundredths of a byte per pixel, even as a JPEG of a plain wall; a file
# that declares a thousand times more pixels than that is lying about its size.
BOMB_BYTES_PER_PIXEL = 0.001
OBJECT_LINE_SHARE = 0.02  # a row or column is part of the object when 2% of it is

# Real photos that ship inside scikit-image, so the app works offline. They are read straight from
# the package with Pillow: skimage.data would import skimage.io and scipy to do the same (BENCHMARKS.md,
# "Measurements behind the code").
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


def load_image(data: bytes, max_pixels: int = MAX_PIXELS, max_side: int | None = None) -> np.ndarray:
    """Decode an uploaded file to a uint8 (H, W, 3) array, or raise InvalidImage saying why.

    With `max_side`, the image comes back at most that many pixels on its longer side, and a JPEG is
    decoded at a half, a quarter or an eighth of its size straight away (Pillow's draft mode).
    """
    if not data:
        raise InvalidImage(f"The file is empty (0 bytes). {NEXT_STEP}")
    Image.init()  # registers every Pillow plugin, so `formats` below can name WebP and TIFF
    try:
        with warnings.catch_warnings():
            # A 108-megapixel phone photo trips Pillow's bomb warning too: the size is judged below instead.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as picture:
                width, height = picture.size
                if width * height > max_pixels:
                    raise InvalidImage(too_many_pixels(width, height, len(data), max_pixels))
                picture.seek(0)  # the first frame of an animated GIF or a multi-page TIFF
                if max_side is not None:
                    picture.draft("RGB", (max_side, max_side))  # both sides stay at least max_side
                pixels = convert_to_rgb(ImageOps.exif_transpose(picture))
    except InvalidImage:
        raise
    except Image.DecompressionBombError as error:  # beyond twice Pillow's limit it refuses before telling the size
        declared = re.search(r"\((\d+) pixels\)", str(error))
        pixels = int(declared.group(1)) if declared else max_pixels * 5
        raise InvalidImage(too_many_pixels(pixels, 1, len(data), max_pixels)) from None
    except UnidentifiedImageError as error:
        raise InvalidImage(f"This file is not an image cnnviz can read ({type(error).__name__}). {NEXT_STEP}") from None
    except Exception as error:  # noqa: BLE001 - Pillow's decoders raise many types on damaged files
        raise InvalidImage(
            f"The image could not be decoded; it may be truncated or damaged ({error}). {NEXT_STEP}"
        ) from None
    return pixels if max_side is None else shrink_to_fit(pixels, max_side)


def too_many_pixels(width: int, height: int, file_bytes: int, max_pixels: int) -> str:
    """Return why an image is refused for its size: too large to handle, or a header that lies (a bomb)."""
    pixels = width * height
    limit = f"{max_pixels // 1_000_000} megapixels"
    if file_bytes < pixels * BOMB_BYTES_PER_PIXEL:
        return (
            f"The file declares {pixels:,} pixels in only {file_bytes:,} bytes: its header lies about its size "
            f"(a decompression bomb), so cnnviz does not open it. {NEXT_STEP}"
        )
    size = f"{width:,}×{height:,} pixels" if height > 1 else f"{pixels:,} pixels"
    return (
        f"The photo is too large: {size} ({pixels / 1_000_000:.0f} megapixels), more than the {limit} cnnviz "
        f"accepts. Resize it below {limit} (a phone's 12-megapixel setting is plenty) and upload it again."
    )


def convert_to_rgb(picture: Image.Image) -> np.ndarray:
    """Return any Pillow image as uint8 RGB: alpha composited on white, 16-bit scaled, CMYK converted."""
    if picture.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        values = np.asarray(picture, dtype=np.float64)
        # 16-bit (and 32-bit integer) grey spans 0..65535; 8 bits keep the top byte.
        values = values / 257 if picture.mode != "F" else values
        return ensure_rgb(np.clip(np.round(values), 0, 255))
    has_alpha = picture.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in picture.info
    if has_alpha:
        rgba = picture.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
    return np.asarray(picture.convert("RGB"))


def ensure_rgb(image: np.ndarray) -> np.ndarray:
    """Return a uint8 (H, W, 3) array, repeating a grey channel (2-D or one channel) or dropping alpha."""
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        image = np.stack([image] * 3, axis=-1)
    return np.ascontiguousarray(image[..., :3]).astype(np.uint8)


def resize(image: np.ndarray, height: int, width: int, smooth: bool = True) -> np.ndarray:
    """Return a uint8 (H, W) or (H, W, C) image at height × width: the one resize of cnnviz (Lanczos, or nearest)."""
    image = np.asarray(image)
    if image.shape[:2] == (height, width):
        return image
    squeezed = image[..., 0] if image.ndim == 3 and image.shape[-1] == 1 else image
    picture = Image.fromarray(np.clip(squeezed, 0, 255).astype(np.uint8))
    resample = Image.Resampling.LANCZOS if smooth else Image.Resampling.NEAREST
    resized = np.asarray(picture.resize((width, height), resample))
    return resized[..., None] if image.ndim == 3 and resized.ndim == 2 else resized


def fit_image(image: np.ndarray, target: tuple[int, int, int]) -> np.ndarray:
    """Return one image resized to target = (H, W, C) and converted to C channels (1 or 3), float32 0..255."""
    height, width, channels = target
    image = ensure_rgb(image)
    if channels == 1:
        image = np.asarray(Image.fromarray(image).convert("L"))
    return resize(image, height, width).astype("float32").reshape(height, width, channels)


def to_grayscale(image: np.ndarray, size: tuple[int, int] | None = None) -> np.ndarray:
    """Return a float grayscale image in [0, 1], optionally resized to size = (height, width)."""
    grey = np.asarray(Image.fromarray(ensure_rgb(image)).convert("L"))
    if size is not None:
        grey = resize(grey, *size)
    return grey.astype(np.float64) / 255.0


def shrink_to_fit(image: np.ndarray, max_side: int) -> np.ndarray:
    """Return the image scaled down (never up) so its longer side is at most max_side pixels."""
    height, width = image.shape[:2]
    scale = max_side / max(height, width)
    if scale >= 1:
        return image
    pixels = image if image.dtype == np.uint8 else to_display(image)
    return resize(pixels, max(1, round(height * scale)), max(1, round(width * scale)))


def to_display(values: np.ndarray, robust: bool = False) -> np.ndarray:
    """Return any real-valued map stretched to uint8 0..255 (a flat map becomes mid-grey).

    With `robust`, the brightest 0.5% are clipped first: a few strong responses of a learned filter would
    otherwise leave the rest of the map black.
    """
    values = np.asarray(values, dtype=np.float64)
    low, high = float(values.min()), float(values.max())
    if robust and high > low:
        high = max(float(np.percentile(values, 99.5)), low + 1e-12)
        values = np.minimum(values, high)
    if high - low < 1e-12:
        return np.full(values.shape, 128, dtype=np.uint8)
    return np.round((values - low) / (high - low) * 255).astype(np.uint8)


def border_brightness(image: np.ndarray) -> float:
    """Return the mean grey level (0..255) of the image's outer ring: its background, for most photos."""
    grey = np.asarray(Image.fromarray(ensure_rgb(image)).convert("L"), dtype=np.float64)
    ring = max(1, min(grey.shape) // 10)
    edges = [grey[:ring].ravel(), grey[-ring:].ravel(), grey[:, :ring].ravel(), grey[:, -ring:].ravel()]
    return float(np.concatenate(edges).mean())


def invert(image: np.ndarray) -> np.ndarray:
    """Return the photo's negative: a dark shoe on white paper becomes a light shoe on black."""
    return (255 - ensure_rgb(image)).astype(np.uint8)


def crop_to_object(image: np.ndarray, margin: float = 0.08) -> np.ndarray:
    """Return the square around what stands out from the background, with a margin.

    Object and background are told apart by Otsu's threshold on the grey levels (the side the border is on is
    the background), so a shadow or a paper's gradient does not count as object the way a fixed margin did.
    """
    from skimage.filters import threshold_otsu

    rgb = ensure_rgb(image)
    grey = np.asarray(Image.fromarray(rgb).convert("L"), dtype=np.float64)
    if grey.max() - grey.min() < 40:
        return rgb  # nothing stands out: keep the whole photo
    threshold = threshold_otsu(grey)
    found = grey > threshold if border_brightness(rgb) < threshold else grey < threshold
    # Rows and columns where the object really is: a stray speck of noise or a shadow's edge does not widen it.
    rows = np.flatnonzero(found.mean(axis=1) > OBJECT_LINE_SHARE)
    columns = np.flatnonzero(found.mean(axis=0) > OBJECT_LINE_SHARE)
    if len(rows) == 0 or len(columns) == 0:
        return rgb
    top, bottom, left, right = rows.min(), rows.max() + 1, columns.min(), columns.max() + 1
    side = int(max(bottom - top, right - left) * (1 + 2 * margin))
    centre_row, centre_column = (top + bottom) // 2, (left + right) // 2
    half = max(1, side // 2)
    padded = np.pad(rgb, ((half, half), (half, half), (0, 0)), mode="edge")
    return padded[centre_row : centre_row + 2 * half, centre_column : centre_column + 2 * half]


class SquareFit(str, Enum):
    """How a photo of another shape becomes a square model input, said on screen."""

    SQUASH = "squashed to a square, as the training images were"  # folders: Split.load resizes each file
    PAD = "padded to a square with its background first, as the training images have room around the object"
    CROP = "cropped to its centre square first, as the training images are crops"


def make_square(image: np.ndarray, fit: SquareFit) -> np.ndarray:
    """Return a non-square image made square by padding with its border's level or cropping its centre (or as is)."""
    rgb = ensure_rgb(image)
    height, width = rgb.shape[:2]
    if height == width or fit is SquareFit.SQUASH:
        return rgb
    side = max(height, width) if fit is SquareFit.PAD else min(height, width)
    top, left = (side - height) // 2, (side - width) // 2
    if fit is SquareFit.CROP:
        return rgb[-top : -top + side, -left : -left + side]
    level = int(round(border_brightness(rgb)))
    square = np.full((side, side, 3), level, dtype=np.uint8)
    square[top : top + height, left : left + width] = rgb
    return square


def png_data_uri(image: np.ndarray) -> str:
    """Return a uint8 image (grey or RGB) as a PNG data URI, for a picture inside a figure."""
    import base64

    buffer = io.BytesIO()
    # The lightest compression: twice as fast on a network's enlarged tiles, for a few per cent more bytes.
    Image.fromarray(np.asarray(image, dtype=np.uint8)).save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def declared_size(data: bytes) -> tuple[int, int]:
    """Return an image file's width and height from its header, without decoding it."""
    with Image.open(io.BytesIO(data), formats=IMAGE_FORMATS) as picture:
        return picture.size


def describe_size(shown: np.ndarray, original: tuple[int, int] | None = None) -> str:
    """Return an image's size as people read it (width × height), and the original's when it was reduced."""
    height, width = shown.shape[:2]
    if original is None or tuple(original) == (width, height):
        return f"original: {width:,}×{height:,}"
    return f"your photo: {original[0]:,}×{original[1]:,}, shown at {width:,}×{height:,}"
