"""The tutorial's plain script: build the recipe, hold the data in memory, `model.fit`; time each epoch's end.

Run by benchmarks.training_overhead in a process of its own (the way a student runs the tutorial):
`python -m benchmarks.bare_fit --recipe fashion_separable --dataset fashion_mnist --limit 1500 --epochs 3`
prints one JSON line: {"epoch_times": [...], "images": N}.
"""

from __future__ import annotations

import argparse
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def load_arrays(dataset: str, limit: int | None, dataset_path: str | None, image_size: tuple[int, int]):
    """Return ((x, y), (x_val, y_val)) exactly as the worker would feed them, all in memory."""
    from cnnviz.data import datasets, folders

    if dataset == "folder":
        loaded = folders.load_folder(dataset_path, image_size=image_size)
    else:
        loaded = datasets.load(dataset, limit=limit)
    return loaded.train.to_numpy(), loaded.validation.to_numpy(), loaded.num_classes


def main() -> None:
    """Fit once and print the wall-clock time at each epoch's end."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--recipe", required=True)
    parser.add_argument("--dataset", required=True)
    parser.add_argument("--dataset-path")
    parser.add_argument("--limit", type=int)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--augment", action="store_true", help="keep the recipe's augmentation layer")
    arguments = parser.parse_args()

    import keras

    from cnnviz.learning import models
    from cnnviz.learning.recipes import get_recipe

    recipe = get_recipe(arguments.recipe)
    keras.utils.set_random_seed(0)
    (x, y), (x_val, y_val), num_classes = load_arrays(
        arguments.dataset, arguments.limit, arguments.dataset_path, recipe.input_shape[:2]
    )
    augmentation = recipe.augmentation if arguments.augment else None
    model = models.build(recipe.name, input_shape=x.shape[1:], num_classes=num_classes, augmentation=augmentation)
    models.compile_model(model, recipe)
    epoch_times: list[float] = []

    class EpochClock(keras.callbacks.Callback):
        """Reads the clock where the worker stamps its history line: at each epoch's end, after validation."""

        def on_epoch_end(self, epoch, logs=None):
            epoch_times.append(time.time())

    model.fit(
        x,
        y,
        batch_size=recipe.batch_size,
        epochs=arguments.epochs,
        validation_data=(x_val, y_val),
        callbacks=[EpochClock()],
        verbose=0,
    )
    print(json.dumps({"epoch_times": epoch_times, "images": len(x)}))


if __name__ == "__main__":
    main()
