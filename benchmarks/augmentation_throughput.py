"""cnnviz's augmentation layer vs ImageDataGenerator.flow on the same images, in one run.

The tutorial's random spec on the same 150×150×3 real photos, batch 32, alternating the two so a
noisy machine slows both alike. Prints `images/s ratio cnnviz/ImageDataGenerator = X`.
Target (issue: Augmentation): X >= 5 on the project's 2-core CPU.
"""

from __future__ import annotations

import os
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from cnnviz.data import images
from cnnviz.learning import augment, augmentation_spec

TUTORIAL = augmentation_spec.TUTORIAL_AUGMENTATION.to_config()  # ImageDataGenerator takes the same keyword arguments
BATCH_SIZE, NUM_IMAGES, ROUNDS = 32, 320, 3


def make_images() -> np.ndarray:
    """Return NUM_IMAGES real photos at 150×150×3, float32 0..255, cycling the sample photos."""
    photos = [
        np.asarray(Image.fromarray(images.load_sample_photo(name)).resize((150, 150))) for name in images.SAMPLE_PHOTOS
    ]
    return np.stack([photos[i % len(photos)] for i in range(NUM_IMAGES)]).astype("float32")


def time_image_data_generator(data: np.ndarray) -> float:
    """Return images/s of ImageDataGenerator.flow over the data once."""
    flow = tf.keras.preprocessing.image.ImageDataGenerator(**TUTORIAL).flow(data, batch_size=BATCH_SIZE, shuffle=False)
    started = time.perf_counter()
    for _ in range(len(flow)):
        next(flow)
    return len(data) / (time.perf_counter() - started)


def time_layer(data: np.ndarray, augment_batch) -> float:
    """Return images/s of the cnnviz layer (compiled as it is inside model.fit) over the data once."""
    started = time.perf_counter()
    for start in range(0, len(data), BATCH_SIZE):
        keras.ops.convert_to_numpy(augment_batch(data[start : start + BATCH_SIZE]))
    return len(data) / (time.perf_counter() - started)


def main() -> None:
    """Measure both, alternating, and print the median images/s and their ratio."""
    data = make_images()
    layer = augment.make_layer(augmentation_spec.TUTORIAL_AUGMENTATION, seed=0)
    augment_batch = tf.function(lambda batch: layer(batch, training=True), jit_compile=False)
    time_layer(data[:BATCH_SIZE], augment_batch)  # trace once, as fit does before its first step
    layer_rates, generator_rates = [], []
    for _ in range(ROUNDS):
        generator_rates.append(time_image_data_generator(data))
        layer_rates.append(time_layer(data, augment_batch))
    layer_rate, generator_rate = statistics.median(layer_rates), statistics.median(generator_rates)
    print(
        f"backend {keras.backend.backend()}, {os.cpu_count()} CPUs, {NUM_IMAGES} images 150×150×3, batch {BATCH_SIZE}"
    )
    print(f"ImageDataGenerator.flow: {generator_rate:.0f} images/s")
    print(f"cnnviz ImageAugmentation layer: {layer_rate:.0f} images/s")
    print(f"images/s ratio cnnviz/ImageDataGenerator = {layer_rate / generator_rate:.1f}")


if __name__ == "__main__":
    main()
