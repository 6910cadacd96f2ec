"""The training worker: one run folder in, a trained model and its streamed curves out.

`python -m cnnviz train` and the Train page run exactly this code, always in a process of its
own (jobs.py starts it), so nothing a browser does can interrupt `fit`.
"""

from __future__ import annotations

import math
import os
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cnnviz.data.sources import DatasetName, DatasetSource
from cnnviz.errors import CnnvizError
from cnnviz.learning import recipes
from cnnviz.learning.augmentation_spec import AugmentationSpec, augmentation_for
from cnnviz.learning.recipes import NetworkInput, Recipe
from cnnviz.learning.streaming import ProgressLine, save_model, worker_callbacks
from cnnviz.runtime import runs, system
from cnnviz.runtime.json_files import read_json
from cnnviz.runtime.run_config import RunConfig, Weights
from cnnviz.runtime.run_files import RunFiles
from cnnviz.runtime.runs import Run, RunState

if TYPE_CHECKING:
    from cnnviz.data.feeding import Feed

IN_MEMORY_BYTES = 1_000_000_000  # a folder split up to 1 GB of uint8 pixels is decoded once and held
VALIDATION_BATCH_PIXELS = 256 * 32 * 32  # validation batches up to this many pixels (256 images of 32×32)


@dataclass
class BuildOptions:
    """What models.build takes for one run besides the recipe: shape, classes, weights, dropout, augmentation."""

    input_shape: tuple[int, int, int]
    num_classes: int
    weights: Weights | Path | None
    dropout_rate: float | None
    augmentation: AugmentationSpec | None

    def as_arguments(self) -> dict:
        """Return the options as models.build's keyword arguments."""
        return {
            "input_shape": self.input_shape,
            "num_classes": self.num_classes,
            "weights": self.weights,
            "dropout_rate": self.dropout_rate,
            "augmentation": self.augmentation,
        }


def default_config(recipe: str, dataset: DatasetSource | DatasetName | str, **overrides) -> RunConfig:
    """Return a run config with the recipe's own settings, overridden where given (None means default)."""
    chosen = recipes.get_recipe(recipe)
    if isinstance(dataset, DatasetSource):
        dataset, overrides = dataset.name, {"dataset_path": dataset.path, **overrides}
    settings = {
        "recipe": recipe,
        "dataset": dataset,
        "epochs": chosen.epochs,
        "batch_size": chosen.batch_size,
        "learning_rate": chosen.learning_rate,
        "optimizer": chosen.optimizer,
        "augment": chosen.augmentation is not None,
        "dropout": chosen.dropout_rate is not None,
        "weights": chosen.default_weights,
        "backend": system.keras_backend(),
        "device": system.describe_device(),
        "versions": system.package_versions(),
    }
    settings.update({key: value for key, value in overrides.items() if value is not None})
    return RunConfig(**settings)


def prepare_backend() -> None:
    """Let a GPU's memory grow as needed, before any framework starts (set by environment, so it applies)."""
    os.environ.setdefault("TF_FORCE_GPU_ALLOW_GROWTH", "true")
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def choose_input_shape(recipe: Recipe, dataset, input_size: int | None = None) -> tuple[int, int, int]:
    """Return the dataset's own shape when the network accepts it, else the recipe's size with its channels; a
    network without a pretrained base takes input_size × input_size when a person asks for it."""
    from cnnviz.learning import models

    if input_size and recipe.pretrained_base is None:
        return (input_size, input_size, recipe.input_shape[2])
    if not recipe.keeps_image_size:
        # ImageNet's VGG16 takes colour images of at least 32×32: grey images are repeated into RGB.
        return recipe.fed_image_shape
    if tuple(dataset.image_shape) == tuple(recipe.input_shape):
        return recipe.input_shape  # the tutorial's own pairing: no trial build needed
    try:
        models.build(recipe.name, dataset.image_shape, dataset.num_classes, weights=None, augmentation=None)
        return tuple(dataset.image_shape)
    except CnnvizError:
        return (recipe.input_shape[0], recipe.input_shape[1], dataset.image_shape[2])


def load_dataset(config: RunConfig):
    """Load the run's dataset at its limits, a folder's images sized for the recipe (and its tutorial's classes)."""
    from cnnviz.data import datasets

    recipe = recipes.get_recipe(config.recipe)
    height, width, _ = recipe.fed_image_shape
    if config.input_size and recipe.pretrained_base is None:
        height = width = config.input_size
    return datasets.load(
        config.source, config.limit, config.validation_limit, (height, width), selection=recipe.class_selection
    )


def fit_inputs(split, shape, batch_size: int, shuffle: bool, seed: int) -> Feed:
    """Return what model.fit takes for a split: arrays in memory when they fit, else a PyDataset of files."""
    from cnnviz.data.feeding import Feed, feed_arrays

    if split.images is not None and tuple(split.image_shape) == tuple(shape):
        # The split's own uint8 array, not a float32 copy: TensorFlow copies x into one tensor before the
        # first batch, four bytes a pixel instead of one (BENCHMARKS.md, "Measurements behind the code").
        # The networks cast and scale pixels themselves, so the numbers are the same.
        return feed_arrays(split.images, split.labels, batch_size, shuffle, seed)
    if len(split) * math.prod(shape) <= IN_MEMORY_BYTES:
        # Decode every file once, as uint8 (the models scale pixels themselves), not once an epoch on the
        # training thread: on a GPU, decoding 20 JPEGs a step took 8× the step (BENCHMARKS.md, GPU check).
        return feed_arrays(decode_split(split, shape), split.labels, batch_size, shuffle, seed)
    return Feed(split.as_py_dataset(batch_size, shape, shuffle=shuffle, seed=seed))


def validation_batch_size(batch_size: int, shape: tuple[int, ...]) -> int:
    """Return the batch size to validate with: larger than training's for small images, never smaller.

    Validation computes no gradients, so a batch of 256 Fashion-MNIST images costs little memory, and
    small batches made validation a noticeable share of a short epoch (BENCHMARKS.md, "Measurements
    behind the code").
    """
    return max(batch_size, min(256, VALIDATION_BATCH_PIXELS // max(shape[0] * shape[1], 1)))


def decode_split(split, shape, chunk: int = 256):
    """Return every image of a split resized to `shape` as one uint8 array (the resize already rounds to uint8)."""
    import numpy as np

    decoded = np.empty((len(split), *shape), dtype=np.uint8)
    for start in range(0, len(split), chunk):
        indices = np.arange(start, min(start + chunk, len(split)))
        decoded[indices] = np.clip(split.load(indices, shape), 0, 255).astype(np.uint8)
    return decoded


def train(folder: Path, progress: ProgressLine | None = None) -> Run:
    """Train the run in `folder` to the end (or to a Stop); record finished, stopped or failed; return the run."""
    record_training(folder, progress)
    return runs.load_folder(folder)


def record_training(folder: Path, progress: ProgressLine | None) -> None:
    """Train the run in `folder` and leave its final status, whatever happens inside."""
    prepare_backend()
    runs.set_status(folder, RunState.RUNNING, "loading the data and building the network", pid=os.getpid())
    try:
        config = RunConfig.from_json(read_json(RunFiles(folder).config))
        parameters = train_stages(folder, config, progress)
    except CnnvizError as error:
        runs.set_status(folder, RunState.FAILED, str(error))
        return
    except KeyboardInterrupt:
        # Ctrl-C in a terminal is a person stopping the run, not a crash: keep what it finished.
        runs.set_status(folder, RunState.STOPPED, describe_end(RunState.STOPPED, folder, " (Ctrl-C)"))
        return
    except BaseException as error:  # noqa: BLE001 - the worker must always leave a readable status
        lines = traceback.format_exc().splitlines()[-30:]
        message = f"Training crashed: {type(error).__name__}: {error}".strip()
        if isinstance(error, MemoryError):
            message = "Training ran out of memory. Try a smaller batch size or a dataset limit."
        runs.set_status(folder, RunState.FAILED, message, traceback=lines)
        return
    state = RunState.STOPPED if runs.stop_requested(folder) else RunState.FINISHED
    runs.set_status(folder, state, describe_end(state, folder), parameters=parameters)


def describe_end(state: RunState, folder: Path, how: str = "") -> str:
    """Return how a run ended in words: 'stopped after 3 epochs', or that no epoch was complete."""
    done = complete_epochs(folder)
    if done == 0:
        return (
            f"{state.value}{how} inside epoch 1, before any epoch was complete: there is no trained model to keep. "
            "Start again and let at least one epoch finish."
        )
    return f"{state.value}{how} after {done} epoch{'' if done == 1 else 's'}"


def complete_epochs(folder: Path) -> int:
    """Return how many epochs of the run completed (a stopped epoch's partial record does not count)."""
    return sum(not record.partial for record in runs.read_history(folder))


def train_stages(folder: Path, config: RunConfig, progress: ProgressLine | None) -> int:
    """Build, then fit each stage of the recipe (two for fine-tuning); return the model's parameter count."""
    import keras

    from cnnviz.learning import models, prepared

    recipe = recipes.get_recipe(config.recipe)
    dataset = load_dataset(config)
    shape = choose_input_shape(recipe, dataset, config.input_size)
    build_options = build_options_for(config, recipe, shape, dataset.num_classes)
    weights = build_options.weights
    # A warm worker may hold this very network already compiled and traced: seconds saved on a CPU. It was
    # built right after seeding with this seed; seeding again would clear TensorFlow's kernel caches and slow
    # the first batch (BENCHMARKS.md, "Measurements behind the code").
    ready = prepared.take(config, build_options, recipe.stages[0].learning_rate or config.learning_rate)
    ready = ready if len(recipe.stages) == 1 else None
    if ready is None:
        keras.utils.set_random_seed(config.seed)
    runs.set_status(
        folder,
        RunState.RUNNING,
        "training",
        pid=os.getpid(),
        device=system.describe_training_device(),  # what the backend really uses, not just what the machine has
        backend=keras.backend.backend(),
        input_shape=list(shape),
        num_classes=dataset.num_classes,
        class_names=dataset.class_names,
    )
    train_split, validation_split = dataset.train, dataset.validation
    if recipe.network_input is NetworkInput.VGG16_FEATURES:
        train_split, validation_split, shape = extract_features(folder, dataset, weights, config.batch_size)
        build_options.input_shape = shape
    model, done = None, 0
    stage_epochs = recipe.stage_epochs(config.epochs)
    for index, (stage, epochs) in enumerate(zip(recipe.stages, stage_epochs)):
        if runs.stop_requested(folder):
            break
        learning_rate, model_ready = stage.learning_rate or config.learning_rate, False
        if index == 0:
            model, model_ready = ready, ready is not None
            final_stage = len(recipe.stages) == 1
            model = model or models.build(recipe.name, **build_options.as_arguments(), final_stage=final_stage)
        else:
            models.apply_stage(model.get_layer(recipe.pretrained_base), stage)
        if not model_ready:
            models.compile_model(model, recipe, learning_rate, config.optimizer)
        training = fit_inputs(train_split, shape, config.batch_size, shuffle=True, seed=config.seed)
        validation_batch = validation_batch_size(config.batch_size, shape)
        validation = fit_inputs(validation_split, shape, validation_batch, shuffle=False, seed=config.seed)
        steps = math.ceil(len(train_split) / config.batch_size)
        callbacks = worker_callbacks(folder, done + epochs, config.batch_size, steps, progress, done)
        model.fit(
            **training.as_fit_arguments(),
            **validation.as_validation_arguments(),
            epochs=epochs,
            shuffle=training.y is not None,  # a tf.data pipeline or PyDataset shuffles itself
            callbacks=callbacks,
            verbose=0,
        )
        done += epochs
    if model is not None:
        save_model(model, RunFiles(folder).model)
    return int(model.count_params()) if model is not None else 0


def build_options_for(config: RunConfig, recipe: Recipe, shape: tuple[int, int, int], num_classes: int) -> BuildOptions:
    """Return what models.build takes for a run: shape, classes, weights, dropout, augmentation."""
    return BuildOptions(
        input_shape=shape,
        num_classes=num_classes,
        weights=config.weights_to_load,
        dropout_rate=recipe.dropout_rate if config.dropout else None,
        augmentation=training_augmentation(recipe, config),
    )


def training_augmentation(recipe: Recipe, config: RunConfig) -> AugmentationSpec | None:
    """Return the augmentation a run trains with: the recipe's own, else its dataset's, or none when off."""
    return augmentation_for(config.dataset, recipe.augmentation) if config.augment else None


def extract_features(folder: Path, dataset, weights, batch_size: int):
    """Run every train and validation image through VGG16's conv base once (the book's fast method).

    The base is saved beside the model, so Predict and test evaluation can run images through it first.
    """
    import numpy as np

    from cnnviz.data.splits import Split
    from cnnviz.learning import models

    extractor = models.build_feature_extractor(weights)
    save_model(extractor, RunFiles(folder).feature_extractor)
    image_shape = tuple(extractor.input_shape[1:])
    splits = []
    for split in (dataset.train, dataset.validation):
        features = [extractor.predict(x, verbose=0) for x, _ in split.batches(batch_size, image_shape)]
        stacked = np.concatenate(features)
        splits.append(Split(split.name, split.labels, stacked.shape[1:], stacked))
    return splits[0], splits[1], splits[0].image_shape
