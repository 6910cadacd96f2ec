"""Why a model said what it said: predictions, Grad-CAM heatmaps and intermediate feature maps.

The networks here are chains of layers (Sequential, possibly with VGG16's functional base nested
inside), so the forward pass is split at the layer of interest: the head gives its activations,
the tail goes from them to the prediction, and the gradient flows through the tail alone. That
works the same on TensorFlow, JAX and PyTorch.
"""

from __future__ import annotations

import hashlib
import tempfile
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from keras import ops
from PIL import Image

from cnnviz.data import datasets, images
from cnnviz.data.sources import DatasetName
from cnnviz.errors import CnnvizError
from cnnviz.learning.layer_chain import chain_layers, run_chain, split_at
from cnnviz.runtime import settings
from cnnviz.runtime.runs import Run

SPATIAL_LAYERS = ("Conv2D", "SeparableConv2D", "MaxPooling2D", "AveragePooling2D")


def spatial_layer_names(model: keras.Model) -> list[str]:
    """Return the convolution and pooling layers, the ones whose outputs are feature maps."""
    return [layer.name for layer in chain_layers(model) if type(layer).__name__ in SPATIAL_LAYERS]


def last_conv_layer_name(model: keras.Model) -> str:
    """Return the last convolution layer, the one Grad-CAM looks at by default."""
    convolutions = [layer.name for layer in chain_layers(model) if "Conv" in type(layer).__name__]
    if not convolutions:
        raise CnnvizError("This model has no convolution layer, so there is nothing for Grad-CAM to look at.")
    return convolutions[-1]


def prepare_image(image: np.ndarray, input_shape: tuple[int, ...]) -> np.ndarray:
    """Return a uint8 RGB image as the model sees it: resized, grey if it takes one channel, raw 0..255."""
    return images.fit_image(image, tuple(input_shape))[None]


@dataclass(frozen=True)
class PreparedImage:
    """An image as a model takes it, and what was done to it on the way (None when nothing was)."""

    batch: np.ndarray  # (1, H, W, C) float32, raw 0..255
    note: str | None

    @property
    def seen(self) -> np.ndarray:
        """Return the image as the model sees it, uint8, one channel squeezed."""
        picture = self.batch[0].astype(np.uint8)
        return picture[..., 0] if picture.shape[-1] == 1 else picture

    @property
    def key(self) -> str:
        """Return a short hash of the pixels: the same image gives the same key (for caches and widget keys)."""
        return content_key(self.batch.tobytes())

    @property
    def shape_text(self) -> str:
        """Return the size the model takes, e.g. '28×28×1'."""
        return "×".join(map(str, self.batch.shape[1:]))


def content_key(data: bytes) -> str:
    """Return a short hash of some bytes: the same content gives the same key (for caches and widget keys)."""
    return hashlib.sha256(data).hexdigest()[:16]


def prepare_for_model(
    image: np.ndarray, input_shape: tuple[int, ...], fit: images.SquareFit = images.SquareFit.SQUASH
) -> PreparedImage:
    """Return an image made the model's shape (square the way its training images were, then resized) and a note
    saying so: a resize changes the pixels, so a student should know the answer is about other pixels."""
    height, width = image.shape[:2]
    target_height, target_width = int(input_shape[0]), int(input_shape[1])
    if (height, width) == (target_height, target_width):
        return PreparedImage(prepare_image(image, input_shape), None)
    changed = target_height == target_width and height != width
    squared = images.make_square(image, fit) if changed else image
    note = f"resized from {width:,}×{height:,} to {target_width}×{target_height} for the model"
    note += f" ({fit.value})" if changed else ""
    note += ": the pixels change, so the answer can differ a little from the same image at the model's own size"
    return PreparedImage(prepare_image(squared, input_shape), note)


def probabilities(model: keras.Model, batch: np.ndarray) -> np.ndarray:
    """Return class probabilities; a single sigmoid unit becomes [1 - p, p]."""
    output = ops.convert_to_numpy(model(batch, training=False))[0]
    return np.array([1 - output[0], output[0]]) if output.shape[-1] == 1 else output


def activations(model: keras.Model, batch: np.ndarray, layer_name: str) -> np.ndarray:
    """Return one layer's output for the first image, shape (H, W, channels)."""
    head, _ = split_at(model, layer_name)
    return ops.convert_to_numpy(run_chain(head, ops.convert_to_tensor(batch)))[0]


def class_score(output, class_index: int):
    """Return the score Grad-CAM differentiates: the class's probability (1 - p for a sigmoid's class 0)."""
    if output.shape[-1] == 1:
        return output[:, 0] if class_index == 1 else 1 - output[:, 0]
    return output[:, class_index]


def gradients_of_score(tail: list, feature_maps, class_index: int):
    """Return d(score)/d(feature_maps) through the tail of the network, on the active backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        with tf.GradientTape() as tape:
            tape.watch(feature_maps)
            score = ops.sum(class_score(run_chain(tail, feature_maps), class_index))
        return tape.gradient(score, feature_maps)
    if backend == "jax":
        import jax

        return jax.grad(lambda maps: ops.sum(class_score(run_chain(tail, maps), class_index)))(feature_maps)
    if backend == "torch":
        maps = feature_maps.detach().requires_grad_(True)
        ops.sum(class_score(run_chain(tail, maps), class_index)).backward()
        return maps.grad
    raise CnnvizError(f"Grad-CAM is not available on the {backend} backend.")


def grad_cam(
    model: keras.Model, image: np.ndarray, class_index: int | None = None, layer_name: str | None = None
) -> np.ndarray:
    """Return a Grad-CAM heatmap in [0, 1] at the layer's spatial size (the last conv layer by default).

    `image` is a batch of one as the model takes it (see prepare_image). Each channel of the layer's
    output is weighted by the mean gradient of the class score over it; negatives are dropped.
    """
    layer_name = layer_name or last_conv_layer_name(model)
    head, tail = split_at(model, layer_name)
    feature_maps = run_chain(head, ops.convert_to_tensor(image))
    if class_index is None:
        class_index = int(np.argmax(probabilities(model, image)))
    gradients = ops.convert_to_numpy(gradients_of_score(tail, feature_maps, class_index))[0]
    maps = ops.convert_to_numpy(feature_maps)[0]
    weights = gradients.mean(axis=(0, 1))
    heatmap = np.maximum((maps * weights).sum(axis=-1), 0)
    return heatmap / heatmap.max() if heatmap.max() > 0 else heatmap


def colorize(heatmap: np.ndarray) -> np.ndarray:
    """Return a heatmap in [0, 1] as uint8 RGB: dark blue, cyan, yellow, red."""
    stops = np.array([0.0, 0.35, 0.7, 1.0])
    colours = np.array([[20, 20, 120], [0, 200, 220], [250, 220, 0], [220, 20, 20]])
    return np.stack([np.interp(heatmap, stops, colours[:, c]) for c in range(3)], axis=-1).astype(np.uint8)


def overlay(image: np.ndarray, heatmap: np.ndarray, opacity: float = 0.5) -> np.ndarray:
    """Return the heatmap, resized to the image, blended over it with the given opacity."""
    height, width = image.shape[:2]
    resized = (
        np.asarray(Image.fromarray((heatmap * 255).astype(np.uint8)).resize((width, height), Image.Resampling.BILINEAR))
        / 255
    )
    blended = (1 - opacity) * images.ensure_rgb(image).astype(float) + opacity * colorize(resized).astype(float)
    return np.clip(blended, 0, 255).astype(np.uint8)


def feature_grid(maps: np.ndarray, count: int = 16, columns: int = 8, min_tile: int = 64) -> np.ndarray:
    """Return the first `count` channels of (H, W, C) activations as one uint8 mosaic, each channel stretched.

    Small maps are enlarged pixel by pixel (nearest neighbour) to at least `min_tile` pixels, so a 7×7 map
    shows 49 crisp squares instead of a blur that the browser's smoothing would make of it.
    """
    factor = max(1, -(-min_tile // max(maps.shape[:2])))
    maps = np.repeat(np.repeat(np.asarray(maps), factor, axis=0), factor, axis=1)
    channels = min(count, maps.shape[-1])
    columns = min(columns, channels)
    rows = -(-channels // columns)
    height, width = maps.shape[:2]
    mosaic = np.full((rows * (height + 1) - 1, columns * (width + 1) - 1), 255, dtype=np.uint8)
    for channel in range(channels):
        values = maps[..., channel]
        spread = values.max() - values.min()
        scaled = np.zeros_like(values) if spread == 0 else (values - values.min()) / spread
        row, column = divmod(channel, columns)
        mosaic[
            row * (height + 1) : row * (height + 1) + height, column * (width + 1) : column * (width + 1) + width
        ] = (scaled * 255).astype(np.uint8)
    return mosaic


def load_model_file(path: Path) -> keras.Model:
    """Load a model file with safe_mode=True, refusing anything that needs unsafe deserialization."""
    from cnnviz.learning import augment  # noqa: F401 - registers the augmentation layer for deserialization

    if Path(path).suffix != ".keras":
        raise CnnvizError("Only .keras model files are accepted (Keras 3's safe format).")
    try:
        return keras.saving.load_model(path, safe_mode=True)
    except Exception as error:  # noqa: BLE001 - a hostile or broken file fails in many ways
        if "safe_mode" in str(error) or "lambda" in str(error).lower():
            raise CnnvizError(
                "This model needs unsafe deserialization (it holds Python code, e.g. a Lambda layer); "
                "cnnviz refuses to load it."
            ) from None
        raise CnnvizError(f"The model file could not be loaded ({type(error).__name__}: {error}).") from None


def load_uploaded_model(data: bytes) -> keras.Model:
    """Load the bytes of an uploaded .keras file in safe mode (Keras loads from paths, so through a temp file)."""
    limit_mb = settings.max_upload_mb()
    if len(data) > limit_mb * 1_000_000:
        raise CnnvizError(
            f"The model is {len(data) / 1e6:,.0f} MB; the limit is {limit_mb} MB (CNNVIZ_MAX_UPLOAD_MB). "
            "Upload a smaller model, or ask whoever runs the server to raise the limit."
        )
    with tempfile.NamedTemporaryFile(suffix=".keras") as handle:
        handle.write(data)
        handle.flush()
        return load_model_file(Path(handle.name))


def class_names_of(model: keras.Model, run: Run | None = None) -> list[str]:
    """Return the class names a run recorded, else 'class 0', 'class 1', … for an uploaded model's outputs."""
    if run is not None and run.class_names:
        return list(run.class_names)
    return [f"class {index}" for index in range(max(2, model.output_shape[-1]))]


def held_out_image(split, index: int) -> tuple[np.ndarray, int]:
    """Return one held-out image as uint8 and its true class index."""
    return split.load([index])[0].astype(np.uint8), int(split.labels[index])


def held_out_images(run: Run):
    """Return the images of the run's dataset kept from training (the test split, else validation)."""
    from cnnviz.learning import training

    return training.load_dataset(run.config).held_out


def training_images(run: Run):
    """Return the images the run trained on (its dataset's training split, at the run's limit)."""
    from cnnviz.learning import training

    return training.load_dataset(run.config).train


def set_run_weights(model: keras.Model, weights: list[np.ndarray]) -> None:
    """Put one epoch's saved weights into a loaded run model; a VGG16 base joined in front keeps its own (the saved
    weights are the trained model's, which comes last)."""
    every = model.get_weights()
    every[len(every) - len(weights) :] = weights
    model.set_weights(every)


def load_run_model(run: Run, best: bool = False, weights: list[np.ndarray] | None = None) -> keras.Model:
    """Load a run's model (its best epoch's when asked, or with one epoch's saved weights) as a model that takes images.

    A classifier trained on VGG16 features gets the saved VGG16 base in front of it, so Predict,
    Grad-CAM and test evaluation work on images as for every other recipe.
    """
    path = run.best_model_path if best else run.model_path
    if path is None:
        raise CnnvizError(f"Run {run.label} has no trained model yet; train it for an epoch first.")
    model = load_model_file(path)
    if weights is not None:
        model.set_weights(weights)  # the same architecture, as it was at the end of that epoch
    if run.feature_extractor_path is None:
        return model
    extractor = load_model_file(run.feature_extractor_path)
    joined = keras.Sequential(name=model.name)
    joined.add(keras.Input(extractor.input_shape[1:]))
    for layer in [*extractor.layers, *model.layers]:
        joined.add(layer)
    return joined


@dataclass(frozen=True)
class ImageFit:
    """How an image compares with what the model was trained on, and what would make it fit."""

    trained_on: str  # e.g. "Fashion-MNIST: 28×28 grey photos of one garment each, white on black…"
    warning: str | None  # None when the image looks like the training images
    suggest_invert: bool = False
    suggest_crop: bool = False
    square_fit: images.SquareFit = images.SquareFit.SQUASH


def check_image_fit(dataset: DatasetName, image: np.ndarray) -> ImageFit:
    """Say what the model was trained on and whether `image` looks like it (a light background on a dark-background
    dataset is the common miss: a sneaker photographed on white paper)."""
    look = datasets.look_of(dataset)
    if look is None:
        return ImageFit(trained_on=f"images of {DatasetName.parse(dataset).title}", warning=None)
    fits = {"trained_on": look.description, "square_fit": look.square_fit}
    background = images.border_brightness(image)
    if look.dark_background and background > 128:
        return ImageFit(
            **fits,
            warning=(
                f"This photo has a light background (mean border brightness {background:.0f} of 255) but the model "
                "only saw objects light on black. Invert it and crop to the object to show it what it knows."
            ),
            suggest_invert=True,
            suggest_crop=True,
        )
    height, width = image.shape[:2]
    if max(height, width) > 3 * min(height, width):
        return ImageFit(
            **fits,
            warning="The image is much longer than it is wide; the model saw square images: crop to the object.",
            suggest_crop=True,
        )
    return ImageFit(**fits, warning=None)
