"""Learning as a time-lapse: replay each complete epoch's weights, kept while training.

The worker keeps them (epoch_weights.save_snapshot, at each complete epoch's end). The Network page
loads the network as it was at epoch k, the run's architecture with that epoch's weights, so the
feature maps, Grad-CAM and probabilities of one image can be watched forming.
"""

from __future__ import annotations

from dataclasses import dataclass

import keras
import numpy as np
from keras import ops

from cnnviz.errors import CnnvizError
from cnnviz.learning import explain
from cnnviz.learning.epoch_weights import first_convolution
from cnnviz.runtime import epoch_snapshots
from cnnviz.runtime.epoch_snapshots import EpochSnapshot
from cnnviz.runtime.runs import Run


def find_snapshot(run: Run, epoch: int) -> EpochSnapshot:
    """Return the run's snapshot of one epoch, or raise a CnnvizError saying which epochs there are."""
    snapshots = run.snapshots
    for snapshot in snapshots:
        if snapshot.epoch == epoch:
            return snapshot
    if not snapshots:
        raise CnnvizError(
            f"Run {run.label} has no epoch-by-epoch weights (it was trained before cnnviz kept them): "
            "train it again to replay its learning."
        )
    raise CnnvizError(
        f"Run {run.label} kept epochs {snapshots[0].epoch}–{snapshots[-1].epoch}; there is no epoch {epoch}."
    )


def load_model_at(run: Run, epoch: int, final_model: keras.Model | None = None) -> keras.Model:
    """Return the run's network as it was at the end of one complete epoch (its whole weights were kept).

    Given the run's final model already loaded, its architecture is cloned rather than read from the file again
    (0.24 → 0.09 s: BENCHMARKS.md, "The Network page"); the final model itself is left untouched.
    """
    snapshot = find_snapshot(run, epoch)
    if not snapshot.whole:
        raise CnnvizError(
            f"{run.label}'s network is too big to keep whole every epoch: only its first convolution was kept, "
            "so the replay shows that layer's filters and the final model's view."
        )
    weights = epoch_snapshots.read_weights(snapshot.path)
    if final_model is None:
        return explain.load_run_model(run, weights=weights)
    model = keras.models.clone_model(final_model)
    explain.set_run_weights(model, weights)
    return model


@dataclass(frozen=True)
class Replay:
    """What an epoch on the slider replays: the epoch, which network to load for it, and a line to say so."""

    epoch: int | None  # the slider's epoch; None when there is nothing to replay
    network_epoch: int | None  # the epoch whose whole network to load; None: the model file is the one
    note: str | None = None


def replayable_epochs(run: Run) -> list[int]:
    """Return the complete epochs the run kept weights of."""
    return [snapshot.epoch for snapshot in run.snapshots]


def replay(run: Run | None, epoch: int | None) -> Replay:
    """Return what replaying `epoch` of the run shows (None: the slider is not drawn), with the note a student reads."""
    if run is None:
        return Replay(None, None)
    snapshots = run.snapshots
    if not snapshots:
        note = "This run was trained before cnnviz kept each epoch's weights: train it again for the time-lapse."
        return Replay(None, None, note)
    if epoch is None:
        return Replay(None, None, "One epoch kept: train for more epochs to watch it learn.")
    if not snapshots[-1].whole:
        return Replay(epoch, None, "This network is too big to keep whole each epoch: the epochs replay its first "
                      "layer's filters only.")  # fmt: skip
    # The model file is the last complete epoch's, unless a Stop cut the run inside the epoch after it.
    is_model_file = epoch == snapshots[-1].epoch and not run.history[-1].partial
    return Replay(epoch, None if is_model_file else epoch)


@dataclass(frozen=True)
class FirstLayerFilters:
    """The first convolution's learned kernels at one epoch, each as a small picture."""

    kernel: np.ndarray  # (kh, kw, input channels, filters)
    bias: np.ndarray  # (filters,)
    epoch: int | None  # None: the final model's

    def pictures(self) -> list[np.ndarray]:
        """Return each filter as uint8 (RGB for a colour input, grey for one channel), on one scale for all."""
        kernel = self.kernel.astype(np.float64)
        limit = float(np.abs(kernel).max()) or 1.0
        scaled = ((kernel / limit + 1) * 127.5).clip(0, 255).astype(np.uint8)  # 0 weight = mid grey
        filters = [scaled[..., index] for index in range(kernel.shape[-1])]
        return [picture[..., 0] if picture.shape[-1] == 1 else picture[..., :3] for picture in filters]


def first_layer_filters(run: Run, epoch: int, model: keras.Model | None = None) -> FirstLayerFilters:
    """Return the first convolution's kernels at one epoch, from whichever kind of snapshot was kept."""
    snapshot = find_snapshot(run, epoch)
    if not snapshot.whole:
        kernel, bias = epoch_snapshots.read_first_layer(snapshot.path)
        return FirstLayerFilters(kernel, bias, epoch)
    layer = first_convolution(model if model is not None else load_model_at(run, epoch))
    if layer is None or not hasattr(layer, "kernel"):
        raise CnnvizError(
            "This network has no plain convolution in front, so there are no first-layer filters to show."
        )
    return FirstLayerFilters(ops.convert_to_numpy(layer.kernel), ops.convert_to_numpy(layer.bias), epoch)


@dataclass(frozen=True)
class ConfidenceCurve:
    """How sure the network was of one class for one image, at the end of each kept epoch."""

    epochs: list[int]
    probabilities: list[float]
    class_name: str


def confidence_by_epoch(run: Run, batch: np.ndarray, class_index: int, class_name: str) -> ConfidenceCurve:
    """Return one class's probability for the image after each kept epoch (one model, its weights swapped in)."""
    snapshots = [snapshot for snapshot in run.snapshots if snapshot.whole]
    if not snapshots:
        return ConfidenceCurve([], [], class_name)
    model = explain.load_run_model(run)  # a private copy: the weights of each epoch are swapped into it
    probabilities = []
    for snapshot in snapshots:
        explain.set_run_weights(model, epoch_snapshots.read_weights(snapshot.path))
        probabilities.append(float(explain.probabilities(model, batch)[class_index]))
    return ConfidenceCurve([snapshot.epoch for snapshot in snapshots], probabilities, class_name)
