"""ImageDataGenerator's augmentation parameters as a typed spec, without importing Keras.

The names, defaults and meanings are ImageDataGenerator's (see cnnviz.learning.augment for the two
documented fixes). Recipes and the run config hold a spec; the Keras layer that applies it lives in
cnnviz.learning.augment and is imported only when a model is built.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

import numpy as np

from cnnviz.data.sources import DatasetName
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

    def to_config(self) -> dict:
        """Return the spec as plain JSON-able values (the constructor's arguments)."""
        config = asdict(self)
        config.pop("zoom_bounds")
        for key in ("zoom_range", "brightness_range"):
            if isinstance(config[key], tuple):
                config[key] = list(config[key])
        return config

    def shear_note(self) -> str | None:
        """Return a warning when the shear looks like a fraction: ImageDataGenerator's shear_range is in degrees."""
        if not 0 < self.shear_range <= 1:
            return None
        return (
            f"shear_range={self.shear_range} means **{self.shear_range} degrees**, as in ImageDataGenerator, so it "
            "barely shows. The tutorial's 0.2 is almost no shear; try 20 to see it."
        )

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


# Clothes are photographed upright and centred on black, and a left shoe is still a shoe: small shifts,
# a little zoom and left-right flips make plausible new garments. The tutorial's 40° turns and shears
# make 28×28 clothes that Fashion-MNIST never holds, and validation accuracy fell (BENCHMARKS.md,
# "Measurements behind the code").
CLOTHES_AUGMENTATION = AugmentationSpec(
    width_shift_range=0.1,
    height_shift_range=0.1,
    zoom_range=0.1,
    horizontal_flip=True,
    fill_mode="constant",
    cval=0.0,
)
DATASET_AUGMENTATION: dict[DatasetName, AugmentationSpec] = {DatasetName.FASHION_MNIST: CLOTHES_AUGMENTATION}


def uses_cval(fill_mode: str) -> bool:
    """Return whether a fill mode fills with cval (only "constant" does)."""
    return fill_mode == "constant"


def augmentation_for(dataset: DatasetName, recipe_augmentation: AugmentationSpec | None) -> AugmentationSpec:
    """Return the augmentation a run trains with: its recipe's own (the tutorial's), else its dataset's."""
    return recipe_augmentation or DATASET_AUGMENTATION.get(dataset, TUTORIAL_AUGMENTATION)
