"""ImageDataGenerator's augmentation, parameter for parameter, as batched keras.ops that run anywhere.

The names, defaults and meanings are ImageDataGenerator's: rotation_range and shear_range in
degrees, shifts as fractions of the width and height, zoom_range z meaning [1 - z, 1 + z]. The
affine matrix is the one ImageDataGenerator builds (rotation · shift · shear · zoom about the
centre), applied with keras.ops.image.affine_transform to a whole batch at once.

Two deliberate fixes over the legacy class (tf.keras.preprocessing.image.ImageDataGenerator):
- width_shift_range moves the image horizontally. The legacy class draws `tx`, which moves
  columns, from height_shift_range × rows, and `ty` from width_shift_range × columns, so on
  channels-last images the two ranges are swapped (tensorflow issue 82838). Here tx is drawn from
  width_shift_range × width and ty from height_shift_range × height.
- The transform is centred on the image's true centre. The legacy class centres its matrix on
  ((rows - 1) / 2, (columns - 1) / 2) in (x, y) order, which is the centre only for square images.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import keras
import numpy as np
from keras import ops

from cnnviz.errors import CnnvizError

FILL_MODES = ("nearest", "constant", "reflect", "wrap")


@dataclass(frozen=True)
class AugmentationSpec:
    """ImageDataGenerator's augmentation parameters, with its names, defaults and units."""

    rotation_range: float = 0.0
    width_shift_range: float = 0.0
    height_shift_range: float = 0.0
    shear_range: float = 0.0
    zoom_range: float | tuple[float, float] = 0.0
    horizontal_flip: bool = False
    vertical_flip: bool = False
    fill_mode: str = "nearest"
    cval: float = 0.0
    brightness_range: tuple[float, float] | None = None
    rescale: float | None = None
    zoom_bounds: tuple[float, float] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        check_range("rotation_range", self.rotation_range, 0, 360, "degrees")
        check_range("width_shift_range", self.width_shift_range, 0, 1, "a fraction of the width")
        check_range("height_shift_range", self.height_shift_range, 0, 1, "a fraction of the height")
        check_range("shear_range", self.shear_range, 0, 90, "degrees")
        check_range("cval", self.cval, -1e6, 1e6, "a pixel value")
        if self.fill_mode not in FILL_MODES:
            raise CnnvizError(f"fill_mode must be one of {', '.join(FILL_MODES)}; got {self.fill_mode!r}.")
        object.__setattr__(self, "zoom_bounds", resolve_zoom(self.zoom_range))
        if self.brightness_range is not None:
            low, high = check_pair("brightness_range", self.brightness_range)
            if not 0 <= low <= high <= 10:
                raise CnnvizError(f"brightness_range must be two factors 0 <= low <= high <= 10; got {low}, {high}.")
        if self.rescale is not None and (not math.isfinite(self.rescale) or self.rescale == 0):
            raise CnnvizError(f"rescale must be a finite, non-zero factor such as 1/255; got {self.rescale}.")

    @property
    def is_identity(self) -> bool:
        """Return whether this spec changes nothing but the scale."""
        return (
            self.rotation_range == self.width_shift_range == self.height_shift_range == self.shear_range == 0
            and self.zoom_bounds == (1.0, 1.0)
            and not (self.horizontal_flip or self.vertical_flip or self.brightness_range)
        )

    def random_transforms(self, image_shape: tuple[int, ...], count: int, seed: int | None = None) -> list[dict]:
        """Return `count` parameter dicts drawn independently (reproducible when seed is given)."""
        rng = np.random.default_rng(seed)
        height, width = image_shape[0], image_shape[1]
        low_zoom, high_zoom = self.zoom_bounds
        transforms = []
        for _ in range(count):
            zx, zy = (1.0, 1.0) if self.zoom_bounds == (1.0, 1.0) else rng.uniform(low_zoom, high_zoom, 2)
            brightness = None if self.brightness_range is None else float(rng.uniform(*self.brightness_range))
            transforms.append(
                {
                    "theta": float(rng.uniform(-self.rotation_range, self.rotation_range)),
                    # The fix of tensorflow issue 82838: tx moves columns, so it comes from the width.
                    "tx": float(rng.uniform(-self.width_shift_range, self.width_shift_range) * width),
                    "ty": float(rng.uniform(-self.height_shift_range, self.height_shift_range) * height),
                    "shear": float(rng.uniform(-self.shear_range, self.shear_range)),
                    "zx": float(zx),
                    "zy": float(zy),
                    "flip_horizontal": bool(self.horizontal_flip and rng.random() < 0.5),
                    "flip_vertical": bool(self.vertical_flip and rng.random() < 0.5),
                    "brightness": brightness,
                }
            )
        return transforms

    def as_layer(self, seed: int | None = None, name: str = "augmentation") -> ImageAugmentation:
        """Return a Keras layer that augments when training=True and only rescales otherwise."""
        return ImageAugmentation(**self.to_config(), seed=seed, name=name)

    def to_config(self) -> dict:
        """Return the spec as plain JSON-able values (the constructor's arguments)."""
        config = asdict(self)
        config.pop("zoom_bounds")
        for key in ("zoom_range", "brightness_range"):
            if isinstance(config[key], tuple):
                config[key] = list(config[key])
        return config

    def image_data_generator_code(self) -> str:
        """Return the tutorial's ImageDataGenerator(...) call for this spec (non-defaults only)."""
        defaults = AugmentationSpec().to_config()
        arguments = [f"    {key}={value!r}," for key, value in self.to_config().items() if value != defaults[key]]
        return "ImageDataGenerator(\n" + "\n".join(arguments) + "\n)" if arguments else "ImageDataGenerator()"

    def keras_layers_code(self) -> str:
        """Return the nearest Keras 3 preprocessing layers, with what differs written as comments."""
        fill = "reflect" if self.fill_mode == "reflect" else self.fill_mode
        fill_argument = f', fill_mode="{fill}"' + (f", fill_value={self.cval}" if self.fill_mode == "constant" else "")
        layers = []
        if self.rescale is not None:
            layers.append(f"layers.Rescaling({self.rescale!r}),  # applied at inference too")
        if self.rotation_range:
            layers.append(
                f"layers.RandomRotation({self.rotation_range / 360:.4g}{fill_argument}),  # a fraction of 360°"
            )
        if self.width_shift_range or self.height_shift_range:
            layers.append(
                f"layers.RandomTranslation({self.height_shift_range!r}, {self.width_shift_range!r}{fill_argument}),"
            )
        if self.shear_range:
            factor = math.tan(math.radians(self.shear_range))
            layers.append(f"layers.RandomShear(x_factor={factor:.4g}{fill_argument}),  # tan({self.shear_range}°)")
        low, high = self.zoom_bounds
        if (low, high) != (1.0, 1.0):
            layers.append(
                f"layers.RandomZoom(({low - 1:.4g}, {high - 1:.4g}){fill_argument}),  # zooms both axes alike"
            )
        flips = {(True, False): "horizontal", (False, True): "vertical", (True, True): "horizontal_and_vertical"}
        if (self.horizontal_flip, self.vertical_flip) in flips:
            layers.append(f'layers.RandomFlip("{flips[(self.horizontal_flip, self.vertical_flip)]}"),')
        if self.brightness_range is not None:
            low_b, high_b = self.brightness_range
            layers.append(f"layers.RandomBrightness(({low_b - 1:.4g}, {high_b - 1:.4g}), value_range=(0, 255)),")
        body = "\n".join(f"    {line}" for line in layers)
        return f"from keras import layers\n\naugmentation = keras.Sequential([\n{body}\n])"


def check_range(name: str, value: float, low: float, high: float, unit: str) -> None:
    """Refuse a parameter outside [low, high] with a message that names the allowed range."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise CnnvizError(f"{name} must be a number ({unit}); got {value!r}.")
    if not low <= value <= high:
        raise CnnvizError(f"{name} must be between {low} and {high} ({unit}); got {value}.")


def check_pair(name: str, value: object) -> tuple[float, float]:
    """Return a (low, high) pair of finite numbers, or refuse it."""
    try:
        low, high = (float(number) for number in value)
    except (TypeError, ValueError):
        raise CnnvizError(f"{name} must be a pair of numbers (low, high); got {value!r}.") from None
    if not (math.isfinite(low) and math.isfinite(high)):
        raise CnnvizError(f"{name} must be finite numbers; got {value!r}.")
    return low, high


def resolve_zoom(zoom_range: float | tuple[float, float]) -> tuple[float, float]:
    """Return zoom bounds as ImageDataGenerator does: z means [1 - z, 1 + z], a pair is used as is."""
    if isinstance(zoom_range, (int, float)) and not isinstance(zoom_range, bool):
        check_range("zoom_range", zoom_range, 0, 0.95, "z, meaning zoom factors in [1 - z, 1 + z]")
        return 1.0 - zoom_range, 1.0 + zoom_range
    low, high = check_pair("zoom_range", zoom_range)
    if not 0.05 <= low <= high <= 20:
        raise CnnvizError(f"zoom_range as a pair must satisfy 0.05 <= low <= high <= 20; got {low}, {high}.")
    return low, high


# The cats-vs-dogs tutorial's augmentation (listing 5.11), the Augmentation page's defaults.
TUTORIAL_AUGMENTATION = AugmentationSpec(
    rotation_range=40,
    width_shift_range=0.2,
    height_shift_range=0.2,
    shear_range=0.2,
    zoom_range=0.2,
    horizontal_flip=True,
    fill_mode="nearest",
)


def build_transforms(theta, tx, ty, shear, zx, zy, flip_horizontal, flip_vertical, height: int, width: int):
    """Return the (N, 8) inverse maps that keras.ops.image.affine_transform takes, one per image.

    Angles are in degrees and flips are 0/1; every argument is a length-N array or tensor. In
    ImageDataGenerator's (x, y) = (column, row) frame the matrix is R(θ) · T(tx, ty) · S(shear) ·
    Z(zx, zy), moved to the image centre, then composed with the flips (which the legacy class
    applies after the warp: mirroring the output grid is the same thing, without a second pass).
    """
    theta, shear = theta * (math.pi / 180), shear * (math.pi / 180)
    # R · T · S · Z multiplied out: the linear part [[a, b], [c, d]] and the translation (e, f).
    a, b = ops.cos(theta) * zx, -ops.sin(theta + shear) * zy
    c, d = ops.sin(theta) * zx, ops.cos(theta + shear) * zy
    e = ops.cos(theta) * tx - ops.sin(theta) * ty
    f = ops.sin(theta) * tx + ops.cos(theta) * ty
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
    zeros = ops.zeros_like(a)
    return ops.stack([a, b, e, c, d, f, zeros, zeros], axis=1)


def apply_transform(images: np.ndarray, params: list[dict], spec: AugmentationSpec) -> np.ndarray:
    """Return the batch (N, H, W, C) transformed with one parameter dict per image, as numpy."""
    images = np.asarray(images)
    if images.ndim != 4 or len(params) != images.shape[0]:
        raise CnnvizError(
            f"apply_transform takes a batch (N, H, W, C) and N parameter dicts; "
            f"got shape {images.shape} and {len(params)} dicts."
        )
    columns = {
        key: np.array([float(p.get(key) or default) for p in params], dtype="float32")
        for key, default in (
            ("theta", 0),
            ("tx", 0),
            ("ty", 0),
            ("shear", 0),
            ("zx", 1),
            ("zy", 1),
            ("flip_horizontal", 0),
            ("flip_vertical", 0),
        )
    }
    brightness = np.array([1.0 if p.get("brightness") is None else p["brightness"] for p in params], dtype="float32")
    output = warp(
        ops.convert_to_tensor(images.astype("float32")),
        columns,
        brightness,
        spec,
        any(p.get("brightness") is not None for p in params),
    )
    return ops.convert_to_numpy(output)


def warp(images, columns: dict, brightness, spec: AugmentationSpec, use_brightness: bool):
    """Warp a float batch with per-image parameter columns, then scale its brightness."""
    height, width = images.shape[1], images.shape[2]
    transforms = build_transforms(**columns, height=height, width=width)
    output = ops.image.affine_transform(
        images,
        transforms,
        interpolation="bilinear",
        fill_mode=spec.fill_mode,
        fill_value=spec.cval,
        data_format="channels_last",
    )
    if use_brightness:
        # ImageDataGenerator brightens through PIL on 0..255 pixels: a multiply, clipped at 255.
        output = ops.clip(output * ops.reshape(brightness, (-1, 1, 1, 1)), 0, 255)
    return output


@keras.saving.register_keras_serializable(package="cnnviz")
class ImageAugmentation(keras.layers.Layer):
    """ImageDataGenerator's random augmentation as a layer: fresh parameters per image while training."""

    def __init__(self, seed: int | None = None, **kwargs):
        spec_arguments = {key: kwargs.pop(key) for key in list(kwargs) if key in AugmentationSpec.__dataclass_fields__}
        super().__init__(**kwargs)
        for key in ("zoom_range", "brightness_range"):
            if isinstance(spec_arguments.get(key), list):
                spec_arguments[key] = tuple(spec_arguments[key])
        self.spec = AugmentationSpec(**spec_arguments)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)

    def call(self, images, training=None):
        images = ops.cast(images, self.compute_dtype)
        if training and not self.spec.is_identity:
            images = self.augment(images)
        if self.spec.rescale is not None:
            images = images * self.spec.rescale  # ImageDataGenerator rescales after augmenting
        return images

    def augment(self, images):
        """Draw one set of parameters per image (the ranges of random_transform) and warp the batch."""
        spec, batch = self.spec, ops.shape(images)[0]
        height, width = images.shape[1], images.shape[2]

        def uniform(low, high):
            if low == high:  # a range of zero draws nothing: the parameter is fixed
                return ops.zeros((batch,), dtype="float32") + low
            return keras.random.uniform((batch,), low, high, seed=self.seed_generator)

        def coin(enabled):
            return ops.cast(uniform(0, 1) < 0.5, "float32") * float(enabled)

        low_zoom, high_zoom = spec.zoom_bounds
        columns = {
            "theta": uniform(-spec.rotation_range, spec.rotation_range),
            "tx": uniform(-spec.width_shift_range, spec.width_shift_range) * width,
            "ty": uniform(-spec.height_shift_range, spec.height_shift_range) * height,
            "shear": uniform(-spec.shear_range, spec.shear_range),
            "zx": uniform(low_zoom, high_zoom),
            "zy": uniform(low_zoom, high_zoom),
            "flip_horizontal": coin(spec.horizontal_flip),
            "flip_vertical": coin(spec.vertical_flip),
        }
        brightness = None if spec.brightness_range is None else uniform(*spec.brightness_range)
        return warp(images, columns, brightness, spec, brightness is not None)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self) -> dict:
        return {**super().get_config(), **self.spec.to_config(), "seed": self.seed}


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
