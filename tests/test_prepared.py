"""A network prepared ahead (compiled and traced by the warm worker) trains exactly as a fresh build."""

import dataclasses

import numpy as np
import pytest

from cnnviz.learning import models, prepared, recipes, training
from cnnviz.runtime.runs import RunState

keras = pytest.importorskip("keras")


def fresh_and_prepared():
    config = training.default_config("fashion_separable", "fashion_mnist", limit=64)
    recipe = recipes.get_recipe(config.recipe)
    options = training.build_options_for(config, recipe, recipe.input_shape, 10)
    prepared.prepare(config, options, config.learning_rate)
    ready = prepared.take(config, options, config.learning_rate)
    assert prepared.take(config, options, config.learning_rate) is None, "a prepared model is used once"
    keras.utils.set_random_seed(config.seed)
    fresh = models.build(recipe.name, **options.as_arguments())
    models.compile_model(fresh, recipe, config.learning_rate, config.optimizer)
    return ready, fresh


def test_a_prepared_model_starts_from_a_fresh_builds_state_and_trains_the_same():
    ready, fresh = fresh_and_prepared()
    for mine, theirs in zip(ready.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    assert int(keras.ops.convert_to_numpy(ready.optimizer.iterations)) == 0
    rng = np.random.default_rng(0)
    x, y = rng.integers(0, 256, (96, 28, 28, 1)).astype("uint8"), rng.integers(0, 10, 96)  # as fit_inputs feeds
    losses = [
        model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0).history["loss"] for model in (ready, fresh)
    ]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)


def test_uint8_pixels_train_exactly_as_their_float32_copy():
    """fit_inputs feeds a split's own uint8 array; the network casts it, so the losses are a float copy's."""
    config = training.default_config("fashion_separable", "fashion_mnist", augment=True)
    recipe = recipes.get_recipe(config.recipe)
    options = training.build_options_for(config, recipe, recipe.input_shape, 10)
    rng = np.random.default_rng(1)
    x, y = rng.integers(0, 256, (64, 28, 28, 1)).astype("uint8"), rng.integers(0, 10, 64)
    losses = []
    for pixels in (x, x.astype("float32")):
        keras.utils.set_random_seed(config.seed)
        model = models.compile_model(models.build(recipe.name, **options.as_arguments()), recipe, config.learning_rate)
        losses.append(model.fit(pixels, y, batch_size=32, epochs=2, shuffle=False, verbose=0).history["loss"])
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-5)


def test_other_settings_get_no_prepared_model():
    config = training.default_config("fashion_separable", "fashion_mnist")
    recipe = recipes.get_recipe(config.recipe)
    options = training.build_options_for(config, recipe, recipe.input_shape, 10)
    prepared.prepare(config, options, config.learning_rate)
    other = training.default_config("fashion_separable", "fashion_mnist", seed=1)
    assert prepared.take(other, options, other.learning_rate) is None
    assert prepared.take(config, dataclasses.replace(options, dropout_rate=None), config.learning_rate) is None
    assert prepared.take(config, options, config.learning_rate) is not None


def test_a_run_that_takes_the_prepared_model_does_not_seed_again(tmp_path, monkeypatch):
    """prepare() seeded right before building; seeding again clears TensorFlow's kernel caches (0.45 s more)."""
    from cnnviz.runtime import runs

    seeds = []
    original = keras.utils.set_random_seed
    monkeypatch.setattr(keras.utils, "set_random_seed", lambda seed: seeds.append(seed) or original(seed))
    config = training.default_config("fashion_separable", "fashion_mnist", limit=64, validation_limit=64, epochs=1)
    recipe = recipes.get_recipe(config.recipe)
    prepared.prepare(config, training.build_options_for(config, recipe, recipe.input_shape, 10), config.learning_rate)
    seeds.clear()
    warm_run = runs.create_run(config, tmp_path)
    assert training.train(warm_run).state is RunState.FINISHED
    assert seeds == [] and not prepared.PREPARED, "the prepared model was taken, and nothing was seeded again"
    cold_run = runs.create_run(config, tmp_path)
    assert training.train(cold_run).state is RunState.FINISHED
    assert seeds == [config.seed], "without a prepared model the run seeds as always"
