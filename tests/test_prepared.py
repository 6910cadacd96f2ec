"""A network prepared ahead (compiled and traced by the warm worker) trains exactly as a fresh build."""

import numpy as np
import pytest

from cnnviz.learning import models, prepared, recipes, training

keras = pytest.importorskip("keras")


def fresh_and_prepared():
    config = training.default_config("fashion_separable", "fashion_mnist", limit=64)
    recipe = recipes.get_recipe(config.recipe)
    options = training.build_options_for(config, recipe, recipe.input_shape, 10)
    prepared.prepare(config, options, config.learning_rate)
    ready = prepared.take(config, options, config.learning_rate)
    assert prepared.take(config, options, config.learning_rate) is None, "a prepared model is used once"
    keras.utils.set_random_seed(config.seed)
    fresh = models.build(recipe.name, **options)
    models.compile_model(fresh, recipe, config.learning_rate, config.optimizer)
    return ready, fresh


def test_a_prepared_model_starts_from_a_fresh_builds_state_and_trains_the_same():
    ready, fresh = fresh_and_prepared()
    for mine, theirs in zip(ready.get_weights(), fresh.get_weights()):
        np.testing.assert_array_equal(mine, theirs)
    assert int(keras.ops.convert_to_numpy(ready.optimizer.iterations)) == 0
    rng = np.random.default_rng(0)
    x, y = rng.uniform(0, 255, (96, 28, 28, 1)).astype("float32"), rng.integers(0, 10, 96)
    losses = [
        model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0).history["loss"] for model in (ready, fresh)
    ]
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-4)


def test_other_settings_get_no_prepared_model():
    config = training.default_config("fashion_separable", "fashion_mnist")
    recipe = recipes.get_recipe(config.recipe)
    options = training.build_options_for(config, recipe, recipe.input_shape, 10)
    prepared.prepare(config, options, config.learning_rate)
    other = training.default_config("fashion_separable", "fashion_mnist", seed=1)
    assert prepared.take(other, options, other.learning_rate) is None
    assert prepared.take(config, {**options, "dropout_rate": None}, config.learning_rate) is None
    assert prepared.take(config, options, config.learning_rate) is not None
