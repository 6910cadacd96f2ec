"""ImageDataGenerator's geometry without Keras: the inverse maps, and a numpy warp for the preview.

The training layer (augment.ImageAugmentation) builds the same maps with keras.ops and warps with
keras.ops.image.affine_transform on any backend; the Augmentation page previews with these, through
scipy.ndimage (what ImageDataGenerator itself warps with), so the page opens without importing Keras.
A test holds the two to the same pixels.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from cnnviz.errors import CnnvizError
from cnnviz.learning.augmentation_spec import AugmentationSpec

# keras.ops.image.affine_transform's fill modes as scipy.ndimage names them (the same pixels past the edge).
# For "wrap", TensorFlow's kernel reads a few pixels along the seam differently (0.5% of a tutorial copy's
# pixels); grid-wrap is the true periodic image, which ImageDataGenerator's docs describe.
SCIPY_FILL_MODES = {"nearest": "nearest", "constant": "grid-constant", "reflect": "reflect", "wrap": "grid-wrap"}
PARAMETER_DEFAULTS = {"theta": 0, "tx": 0, "ty": 0, "shear": 0, "zx": 1, "zy": 1}
PARAMETER_DEFAULTS |= {"flip_horizontal": 0, "flip_vertical": 0}


def parameter_columns(params: list[dict]) -> dict[str, np.ndarray]:
    """Return one float32 column per parameter across the images (a missing parameter is its identity)."""
    return {
        key: np.array([float(p.get(key) or default) for p in params], dtype="float32")
        for key, default in PARAMETER_DEFAULTS.items()
    }


def brightness_column(params: list[dict]) -> np.ndarray:
    """Return each image's brightness factor (1 where none was drawn)."""
    return np.array([1.0 if p.get("brightness") is None else p["brightness"] for p in params], dtype="float32")


def build_transforms(
    theta, tx, ty, shear, zx, zy, flip_horizontal, flip_vertical, height: int, width: int, operations=np
):
    """Return the (N, 8) inverse maps that keras.ops.image.affine_transform takes, one per image.

    Angles are in degrees and flips are 0/1; every argument is a length-N array, or a tensor with
    `operations=keras.ops` (the training layer): numpy and keras.ops share these functions' names. In
    ImageDataGenerator's (x, y) = (column, row) frame the matrix is R(θ) · T(tx, ty) · S(shear) ·
    Z(zx, zy), moved to the image centre, then composed with the flips (which the legacy class
    applies after the warp: mirroring the output grid is the same thing, without a second pass).
    """
    theta, shear = theta * (np.pi / 180), shear * (np.pi / 180)
    # R · T · S · Z multiplied out: the linear part [[a, b], [c, d]] and the translation (e, f).
    a, b = operations.cos(theta) * zx, -operations.sin(theta + shear) * zy
    c, d = operations.sin(theta) * zx, operations.cos(theta + shear) * zy
    e = operations.cos(theta) * tx - operations.sin(theta) * ty
    f = operations.sin(theta) * tx + operations.cos(theta) * ty
    # About the centre: p -> centre + A (p - centre) + t.
    centre_x, centre_y = (width - 1) / 2, (height - 1) / 2
    e = e + centre_x - (a * centre_x + b * centre_y)
    f = f + centre_y - (c * centre_x + d * centre_y)
    # Flips: output column x reads the warped column (width - 1 - x); likewise rows.
    sign_x, sign_y = 1 - 2 * flip_horizontal, 1 - 2 * flip_vertical
    e = e + a * (width - 1) * flip_horizontal + b * (height - 1) * flip_vertical
    f = f + c * (width - 1) * flip_horizontal + d * (height - 1) * flip_vertical
    a, c = a * sign_x, c * sign_x
    b, d = b * sign_y, d * sign_y
    zeros = operations.zeros_like(a)
    return operations.stack([a, b, e, c, d, f, zeros, zeros], axis=1)


def apply_transform(images: np.ndarray, params: list[dict], spec: AugmentationSpec) -> np.ndarray:
    """Return the batch (N, H, W, C) transformed with one parameter dict per image, bilinear, as float32."""
    images = np.asarray(images, dtype="float32")
    if images.ndim != 4 or len(params) != images.shape[0]:
        raise CnnvizError(
            f"apply_transform takes a batch (N, H, W, C) and N parameter dicts; "
            f"got shape {images.shape} and {len(params)} dicts."
        )
    height, width = images.shape[1], images.shape[2]
    transforms = build_transforms(**parameter_columns(params), height=height, width=width)
    rows, columns = np.mgrid[0:height, 0:width].astype("float64")
    output = np.empty_like(images)
    for index, (a, b, e, c, d, f, _, _) in enumerate(transforms.astype("float64")):
        # The map sends an output pixel (x, y) = (column, row) to the input point it reads.
        source = [c * columns + d * rows + f, a * columns + b * rows + e]  # (row, column) for scipy
        for channel in range(images.shape[3]):
            output[index, :, :, channel] = ndimage.map_coordinates(
                images[index, :, :, channel], source, order=1, mode=SCIPY_FILL_MODES[spec.fill_mode], cval=spec.cval
            )
    if any(p.get("brightness") is not None for p in params):
        # ImageDataGenerator brightens through PIL on 0..255 pixels: a multiply, clipped at 255.
        output = np.clip(output * brightness_column(params)[:, None, None, None], 0, 255)
    return output


def describe_transform(params: dict) -> str:
    """Return one image's parameters in a line a student can read under the picture."""
    parts = [
        f"θ {params['theta']:+.1f}°",
        f"tx {params['tx']:+.0f}px",
        f"ty {params['ty']:+.0f}px",
        f"shear {params['shear']:+.2f}°",
        f"zoom {params['zx']:.2f}×{params['zy']:.2f}",
    ]
    if params.get("flip_horizontal"):
        parts.append("flipped ↔")
    if params.get("flip_vertical"):
        parts.append("flipped ↕")
    if params.get("brightness") is not None:
        parts.append(f"brightness ×{params['brightness']:.2f}")
    return ", ".join(parts)


def preview(
    image: np.ndarray, spec: AugmentationSpec, count: int, seed: int | None = None
) -> tuple[np.ndarray, list[dict]]:
    """Return `count` augmented copies of one uint8 image (as uint8) and the parameters of each."""
    params = spec.random_transforms(image.shape, count, seed)
    batch = np.repeat(np.asarray(image, dtype="float32")[None], count, axis=0)
    copies = apply_transform(batch, params, spec)
    return np.clip(np.round(copies), 0, 255).astype(np.uint8), params
