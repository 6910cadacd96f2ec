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

import keras
import numpy as np
from keras import ops

from cnnviz.errors import CnnvizError
from cnnviz.learning import warping
from cnnviz.learning.augmentation_spec import AugmentationSpec


def apply_transform(images: np.ndarray, params: list[dict], spec: AugmentationSpec) -> np.ndarray:
    """Return the batch (N, H, W, C) transformed with one parameter dict per image, as numpy."""
    images = np.asarray(images)
    if images.ndim != 4 or len(params) != images.shape[0]:
        raise CnnvizError(
            f"apply_transform takes a batch (N, H, W, C) and N parameter dicts; "
            f"got shape {images.shape} and {len(params)} dicts."
        )
    columns = warping.parameter_columns(params)
    brightness = warping.brightness_column(params)
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
    transforms = warping.build_transforms(**columns, height=height, width=width, operations=ops)
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


def make_layer(spec: AugmentationSpec, seed: int | None = None, name: str = "augmentation") -> ImageAugmentation:
    """Return the Keras layer for a spec: it augments when training=True and only rescales otherwise."""
    return ImageAugmentation(**spec.to_config(), seed=seed, name=name)
