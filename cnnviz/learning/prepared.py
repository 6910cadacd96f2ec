"""Networks built, compiled and traced before anyone presses Start (used by the warm worker).

The first batch of a fresh Keras model waits for TensorFlow to trace its training and validation
steps: seconds on a CPU, far longer than loading Fashion-MNIST or building the network. A warm
worker therefore prepares the network a class starts first (the Train page's default settings),
runs one step on zeros to trace it, and then puts every weight, optimizer slot and random-generator
state back as it was. A run whose settings match takes that model and starts from exactly the state
a fresh build with the same seed would have had; any other run builds its own as before.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras
import numpy as np

from cnnviz.data.feeding import feed_arrays
from cnnviz.learning import models, recipes
from cnnviz.runtime.run_config import RunConfig

if TYPE_CHECKING:
    from cnnviz.learning.training import BuildOptions

PREPARED: dict[tuple, keras.Model] = {}


def model_key(config: RunConfig, build_options: BuildOptions, learning_rate: float) -> tuple:
    """Return what decides a prepared model: recipe, shapes, weights, switches, optimizer, batch size, seed."""
    augmentation = build_options.augmentation
    return (
        config.recipe,
        tuple(build_options.input_shape),
        build_options.num_classes,
        str(build_options.weights),
        build_options.dropout_rate,
        None if augmentation is None else hashable_spec(augmentation.to_config()),
        float(learning_rate),
        config.optimizer,
        config.batch_size,
        config.seed,
        keras.backend.backend(),
    )


def hashable_spec(spec: dict) -> tuple:
    """Return an augmentation's config as a key: its (low, high) pairs come as lists, which cannot be hashed."""
    return tuple((name, tuple(value) if isinstance(value, list) else value) for name, value in sorted(spec.items()))


def random_states(model: keras.Model) -> list:
    """Return the seed-generator state variables of the model's layers (dropout, augmentation)."""
    generators = [layer.seed_generator for layer in model._flatten_layers() if hasattr(layer, "seed_generator")]
    return [generator.state for generator in generators]


def prepare(config: RunConfig, build_options: BuildOptions, learning_rate: float) -> None:
    """Build, compile and trace the model a run with these settings would build; keep it for `take`."""
    keras.utils.set_random_seed(config.seed)  # as train_stages does, so the weights are a fresh build's
    recipe = recipes.get_recipe(config.recipe)
    model = models.build(recipe.name, **build_options.as_arguments())
    models.compile_model(model, recipe, learning_rate, config.optimizer)
    model.optimizer.build(model.trainable_variables)
    variables = [*model.variables, *model.optimizer.variables, *random_states(model)]
    saved = [np.array(keras.ops.convert_to_numpy(variable)) for variable in variables]
    # One full batch and a partial one, fed as training.fit_inputs feeds a split (uint8 pixels, int64 labels):
    # the batch size is then unknown, as for any real split that does not divide evenly, and the real fit
    # does not trace again. One step of each is enough to trace.
    count = config.batch_size + 1
    zeros, labels = np.zeros((count, *build_options.input_shape), "uint8"), np.zeros(count, "int64")
    training = feed_arrays(zeros, labels, config.batch_size, shuffle=True, seed=config.seed)
    validation = feed_arrays(zeros, labels, config.batch_size, shuffle=False, seed=config.seed)
    model.fit(
        **training.as_fit_arguments(),
        **validation.as_validation_arguments(),
        epochs=1,
        steps_per_epoch=1,
        validation_steps=1,
        shuffle=False,  # the feed shuffles (or Keras does not need to: one step on zeros)
        verbose=0,
    )
    for variable, value in zip(variables, saved):
        variable.assign(value)
    PREPARED[model_key(config, build_options, learning_rate)] = model


def take(config: RunConfig, build_options: BuildOptions, learning_rate: float) -> keras.Model | None:
    """Return (and forget) the prepared model for these settings, or None when none matches."""
    return PREPARED.pop(model_key(config, build_options, learning_rate), None)
