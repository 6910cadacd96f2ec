"""What each filter looks for: the input that excites it most, found by gradient ascent (the book's 5.4.2).

Start from grey noise, and repeatedly nudge the pixels along the gradient of the filter's mean
activation, the gradient normalised so every step is the same size. Every filter of a layer climbs
at once, one image per filter in a batch. The gradient is taken on the active Keras backend
(TensorFlow, JAX or PyTorch), as Grad-CAM's is. The pixels stay real pixels, 0..255, because the
networks here take raw images and scale them themselves.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import keras
import numpy as np
from keras import ops

from cnnviz.errors import CnnvizError
from cnnviz.learning import explain
from cnnviz.runtime import pattern_store, runs
from cnnviz.runtime.pattern_store import PatternState
from cnnviz.runtime.runs import Run

STEPS = 40  # the book's 40 steps
STEP_PIXELS = 20.0  # the root-mean-square change of the pixels each step, in 0..255 units
NOISE_PIXELS = 20.0  # the start: grey 128 plus uniform noise of this spread, as the book's
CHUNK = 32  # filters climbing together in one batch
LEAK = 0.01
TARGET_GAIN = 5.0  # climb on, for up to MAX_ROUNDS rounds of STEPS, until each pattern excites its filter 5× the start
MAX_ROUNDS = 6


@dataclass(frozen=True)
class FilterPatterns:
    """Each filter's pattern and how strongly it excites the filter, against the grey-noise start."""

    layer: str
    patterns: np.ndarray  # (filters, height, width, channels) float32 pixels, 0..255
    start_activation: np.ndarray  # (filters,) the filter's mean activation on the grey-noise start
    final_activation: np.ndarray  # (filters,) … on its pattern

    def gains(self) -> np.ndarray:
        """Return how many times more each pattern excites its filter than the start did (∞ from a zero start)."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.start_activation > 0, self.final_activation / self.start_activation, np.inf)

    def pictures(self) -> list[np.ndarray]:
        """Return each pattern as uint8 for the screen, its contrast stretched as the book's deprocess_image does."""
        pictures = []
        for pattern in self.patterns.astype(np.float64):
            centred = pattern - pattern.mean()
            centred = centred / (centred.std() + 1e-5) * 0.1 + 0.5
            picture = (centred.clip(0, 1) * 255).astype(np.uint8)
            pictures.append(picture[..., 0] if picture.shape[-1] == 1 else picture)
        return pictures


def filter_layers(model: keras.Model) -> list[str]:
    """Return the convolutions whose filters have patterns to show."""
    return [layer.name for layer in explain.chain_layers(model) if "Conv" in type(layer).__name__]


def chosen_maps(head: list, images, filters: np.ndarray):
    """Return, per image, its own filter's map (image i climbs filter filters[i]): (batch, height, width)."""
    outputs = explain.run_chain(head, images)  # (batch, height, width, channels)
    return ops.take_along_axis(outputs, ops.convert_to_tensor(filters.reshape(-1, 1, 1, 1)), axis=3)


def mean_activations(head: list, images, filters: np.ndarray):
    """Return, per image, the mean activation of its own filter."""
    return ops.mean(chosen_maps(head, images, filters), axis=(1, 2, 3))


def climbing_objective(climbing: list, activation, images, filters: np.ndarray):
    """Return what the ascent climbs: the filter's mean activation, plus 1% of its mean sum before the activation.

    The 1% is a leak for ReLU: a filter silent everywhere on grey (0 out, 0 gradient) would never start to
    climb; where the filter responds, the activation's own gradient is a hundred times stronger and leads.
    """
    sums = chosen_maps(climbing, images, filters)
    return ops.sum(ops.mean(activation(sums), axis=(1, 2, 3)) + LEAK * ops.mean(sums, axis=(1, 2, 3)))


def input_gradients(climbing: list, activation, images, filters: np.ndarray):
    """Return the gradient of the climbing objective with respect to the images, on the active backend."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        images = tf.convert_to_tensor(images)
        with tf.GradientTape() as tape:
            tape.watch(images)
            total = climbing_objective(climbing, activation, images, filters)
        return tape.gradient(total, images)
    if backend == "jax":
        import jax

        return jax.grad(lambda x: climbing_objective(climbing, activation, x, filters))(images)
    if backend == "torch":
        import torch

        inputs = (
            torch.as_tensor(ops.convert_to_numpy(images)).to(ops.convert_to_tensor(0.0).device).requires_grad_(True)
        )
        climbing_objective(climbing, activation, inputs, filters).backward()
        return inputs.grad
    raise CnnvizError(f"Filter patterns are not available on the {backend} backend.")


def without_activation(layer, input_shape: tuple) -> keras.layers.Layer:
    """Return a copy of a convolution layer with the same weights and no activation (its pre-activation sums)."""
    copy = type(layer).from_config({**layer.get_config(), "activation": "linear"})
    copy.build((None, *input_shape))
    copy.set_weights(layer.get_weights())
    return copy


def climb(
    climbing: list, activation, start: np.ndarray, filters: np.ndarray, steps: int, step_pixels: np.ndarray | float
) -> np.ndarray:
    """Return the images after `steps` normalised gradient steps up their filters' activations."""
    images = start.astype(np.float32)
    for _ in range(steps):
        gradients = ops.convert_to_numpy(input_gradients(climbing, activation, ops.convert_to_tensor(images), filters))
        size = np.sqrt((gradients.astype(np.float64) ** 2).mean(axis=(1, 2, 3), keepdims=True)) + 1e-5
        images = (images + step_pixels * gradients / size).astype(np.float32)
    return images


def compute_patterns(
    model: keras.Model,
    layer_name: str,
    steps: int = STEPS,
    step_pixels: float = STEP_PIXELS,
    seed: int = 0,
    filters: list[int] | None = None,
    on_progress: Callable[[int, int], None] | None = None,
) -> FilterPatterns:
    """Return the pattern of each filter of one convolution (all of them unless `filters` says which)."""
    if layer_name not in filter_layers(model):
        raise CnnvizError(
            f"{layer_name} is not a convolution of this model; pick one of {', '.join(filter_layers(model))}."
        )
    head, _ = explain.split_at(model, layer_name)
    # The last layer again without its activation, for the objective's leak (see climbing_objective).
    shape = tuple(int(size) for size in model.input_shape[1:])
    layer_input = explain.run_chain(head[:-1], ops.zeros((1, *shape)))
    climbing = [*head[:-1], without_activation(head[-1], tuple(layer_input.shape[1:]))]
    count = int(head[-1].filters)
    chosen = np.arange(count) if filters is None else np.asarray(filters, dtype=np.int32)
    if on_progress:
        on_progress(0, len(chosen))
    start = 128 + np.random.default_rng(seed).uniform(-NOISE_PIXELS / 2, NOISE_PIXELS / 2, (len(chosen), *shape))
    patterns, start_activation, final_activation = [], [], []
    for first in range(0, len(chosen), CHUNK):
        batch_filters, batch_start = chosen[first : first + CHUNK], start[first : first + CHUNK].astype(np.float32)
        started = ops.convert_to_numpy(mean_activations(head, ops.convert_to_tensor(batch_start), batch_filters))
        climbed, step_sizes = batch_start, np.full((len(batch_filters), 1, 1, 1), step_pixels, dtype=np.float32)
        for _ in range(MAX_ROUNDS):
            climbed = climb(climbing, head[-1].activation, climbed, batch_filters, steps, step_sizes)
            reached = ops.convert_to_numpy(mean_activations(head, ops.convert_to_tensor(climbed), batch_filters))
            # Still silent (0, as ReLU gives it) counts as lagging too: the leak and a doubled step may yet light it.
            lagging = (reached < TARGET_GAIN * started) | (reached <= 0)
            if not lagging.any():
                break
            # A filter with small weights (or one a bias already lights on grey) rises slowly at a fixed step:
            # it climbs on with its step doubled each round, until it answers its pattern 5× more than grey.
            step_sizes[lagging] *= 2
        start_activation.append(started)
        final_activation.append(reached)
        patterns.append(climbed)
        if on_progress:
            on_progress(min(first + CHUNK, len(chosen)), len(chosen))
    return FilterPatterns(
        layer_name, np.concatenate(patterns), np.concatenate(start_activation), np.concatenate(final_activation)
    )


def store_patterns(folder: Path, layer_name: str) -> None:
    """Compute a run's patterns for one layer in this (worker) process, recording progress and then the result."""
    run = runs.load_folder(folder)
    started, version = time.monotonic(), run.model_version
    base = {"model_version": version, "pid": os.getpid(), "started": time.time()}
    try:
        model = explain.load_run_model(run)

        def record_progress(done: int, total: int) -> None:
            message = f"{done} of {total} filters"
            pattern_store.write_job(
                folder, layer_name, PatternState.RUNNING, done=done, total=total, message=message, **base
            )

        result = compute_patterns(model, layer_name, on_progress=record_progress)
    except CnnvizError as error:
        pattern_store.write_job(folder, layer_name, PatternState.FAILED, message=str(error))
        raise
    pattern_store.write_patterns(
        folder,
        layer_name,
        {"patterns": result.patterns, "start": result.start_activation, "final": result.final_activation},
    )
    total = len(result.patterns)
    seconds = time.monotonic() - started
    pattern_store.write_job(folder, layer_name, PatternState.FINISHED, done=total, total=total, seconds=seconds, **base)


def stored_patterns(run: Run, layer_name: str) -> FilterPatterns:
    """Return a layer's finished patterns from the run store."""
    arrays = pattern_store.read_patterns(run.folder, layer_name)
    return FilterPatterns(layer_name, arrays["patterns"], arrays["start"], arrays["final"])
