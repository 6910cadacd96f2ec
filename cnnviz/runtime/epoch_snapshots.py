"""Each complete epoch's weights in the run store: what the time-lapse replays.

A network up to WHOLE_NETWORK_LIMIT_BYTES is kept whole each epoch: every weight array, in Keras's
get_weights order (a third of a .weights.h5, which holds the optimizer's state too). A bigger one
(VGG16 with its base) keeps its first convolution only, so a 30-epoch run costs MBs, not GBs. Only
complete epochs are kept: the worker writes the file at the epoch's end, never for one cut short.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from cnnviz.runtime.array_files import write_arrays
from cnnviz.runtime.run_files import RunFiles

WHOLE_NETWORK_LIMIT_BYTES = 20_000_000
EPOCH_FILE = re.compile(r"^epoch-(\d{3,})\.(weights|first-layer)\.npz$")


@dataclass(frozen=True)
class EpochSnapshot:
    """One complete epoch's saved weights: the whole network's, or its first convolution's only."""

    epoch: int
    path: Path
    whole: bool


def list_snapshots(folder: Path, complete_epochs: set[int]) -> list[EpochSnapshot]:
    """Return the snapshots of the given complete epochs, in order (a file with no history line yet is left out)."""
    directory = RunFiles(folder).epochs
    if not directory.is_dir():
        return []
    found = {}
    for path in directory.iterdir():
        match = EPOCH_FILE.match(path.name)
        if match and int(match.group(1)) in complete_epochs:
            found[int(match.group(1))] = EpochSnapshot(int(match.group(1)), path, match.group(2) == "weights")
    return [found[epoch] for epoch in sorted(found)]


def keeps_whole(weight_bytes: int) -> bool:
    """Return whether a network of this many bytes of weights is kept whole each epoch."""
    return weight_bytes <= WHOLE_NETWORK_LIMIT_BYTES


def write_weights(folder: Path, epoch: int, weights: list[np.ndarray]) -> Path:
    """Write one epoch's whole-network weights, in get_weights order."""
    return write_arrays(RunFiles(folder).epoch_weights(epoch), {f"w{index:04d}": w for index, w in enumerate(weights)})


def read_weights(path: Path) -> list[np.ndarray]:
    """Return a whole-network snapshot's weights, in get_weights order."""
    with np.load(path, allow_pickle=False) as stored:
        return [stored[name] for name in sorted(stored.files)]


def write_first_layer(folder: Path, epoch: int, kernel: np.ndarray, bias: np.ndarray | None) -> Path:
    """Write one epoch's first-convolution kernel and bias; return the file."""
    bias = np.zeros(kernel.shape[-1], dtype=kernel.dtype) if bias is None else bias
    return write_arrays(RunFiles(folder).epoch_first_layer(epoch), {"kernel": kernel, "bias": bias})


def read_first_layer(path: Path) -> tuple[np.ndarray, np.ndarray]:
    """Return the kernel and bias of a first-layer snapshot."""
    with np.load(path, allow_pickle=False) as stored:
        return stored["kernel"], stored["bias"]
