"""What streaming to the run store costs: bare `model.fit` vs the worker's `fit`, alternating, in one run.

Both fit the same freshly built recipe on the same real images held in memory, for the same epochs,
with validation; the only difference is the worker's callbacks (batch stream every 0.4 s, history
line, model.keras and best.keras saved at every epoch end, TensorBoard). Timed from fit's start to
its end, so every per-epoch save is counted. Prints `images/s ratio cnnviz/bare = X` per recipe.
Target (issue: Live training): X >= 0.97 for fashion_separable and catsdogs_baseline.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import keras  # noqa: E402
import numpy as np  # noqa: E402

from cnnviz.data import datasets, images
from cnnviz.learning import (
    models,
    training,  # noqa: E402
)


def fashion_data(count: int) -> tuple[np.ndarray, np.ndarray]:
    """Return the first `count` real Fashion-MNIST training images and labels."""
    return datasets.load("fashion_mnist", limit=count).train.to_numpy()


def photo_crops(count: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Return `count` random 150×150 crops of the real sample photos, labelled by photo (two classes)."""
    rng = np.random.default_rng(seed)
    photos = [images.load_sample_photo(name) for name in images.SAMPLE_PHOTOS]
    crops, labels = [], []
    for index in range(count):
        photo = photos[index % len(photos)]
        top, left = rng.integers(0, photo.shape[0] - 150), rng.integers(0, photo.shape[1] - 150)
        crops.append(photo[top : top + 150, left : left + 150])
        labels.append(index % 2)
    return np.stack(crops).astype("float32"), np.array(labels)


def time_fit(recipe: str, data, epochs: int, with_worker: bool) -> float:
    """Return images/s of one fit of a fresh model, bare or with the worker's callbacks."""
    (x, y), (x_val, y_val) = data
    recipe_settings = models.get_recipe(recipe)
    model = models.compile_model(models.build(recipe, input_shape=x.shape[1:]), recipe_settings)
    batch_size = recipe_settings.batch_size
    callbacks = []
    with tempfile.TemporaryDirectory() as folder:
        if with_worker:
            callbacks = training.worker_callbacks(Path(folder), epochs, batch_size, math.ceil(len(x) / batch_size))
        started = time.perf_counter()
        model.fit(
            x, y, batch_size=batch_size, epochs=epochs, validation_data=(x_val, y_val), callbacks=callbacks, verbose=0
        )
        return epochs * len(x) / (time.perf_counter() - started)


def measure(recipe: str, data, epochs: int, rounds: int) -> None:
    """Alternate bare and worker fits and print the medians and their ratio."""
    bare, worker = [], []
    for _ in range(rounds):
        bare.append(time_fit(recipe, data, epochs, with_worker=False))
        worker.append(time_fit(recipe, data, epochs, with_worker=True))
    bare_rate, worker_rate = statistics.median(bare), statistics.median(worker)
    print(
        f"{recipe}: {len(data[0][0])} images × {epochs} epochs, {rounds} rounds; bare {bare_rate:,.0f} images/s "
        f"(runs {', '.join(f'{r:.0f}' for r in bare)}), cnnviz {worker_rate:,.0f} images/s "
        f"(runs {', '.join(f'{r:.0f}' for r in worker)})"
    )
    print(f"{recipe}: images/s ratio cnnviz/bare = {worker_rate / bare_rate:.3f}")


def main() -> None:
    """Measure the two recipes of the target."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--recipes", nargs="+", default=["fashion_separable", "catsdogs_baseline"])
    arguments = parser.parse_args()
    print(f"backend {keras.backend.backend()}, {os.cpu_count()} CPUs")
    if "fashion_separable" in arguments.recipes:
        images_, labels = fashion_data(14_000)
        measure(
            "fashion_separable",
            ((images_[:12_800], labels[:12_800]), (images_[12_800:], labels[12_800:])),
            epochs=2,
            rounds=arguments.rounds,
        )
    if "catsdogs_baseline" in arguments.recipes:
        crops, labels = photo_crops(2_200)
        # The tutorial's sizes: 2,000 training images a epoch (100 steps of 20), 200 here to validate.
        measure(
            "catsdogs_baseline",
            ((crops[:2_000], labels[:2_000]), (crops[2_000:], labels[2_000:])),
            epochs=1,
            rounds=arguments.rounds,
        )


if __name__ == "__main__":
    main()
