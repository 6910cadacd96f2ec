"""The files inside one run folder, by name: the one place in cnnviz that spells them.

Everything else (the worker, the launchers, the benchmarks, the tests) asks `RunFiles(folder).status` and so
on, so a renamed file is one edit here and old run folders keep opening.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class RunFiles:
    """Named paths of one run folder (the files need not exist yet)."""

    folder: Path

    @property
    def config(self) -> Path:
        """Return config.json: the RunConfig, the run id and when it was created."""
        return self.folder / "config.json"

    @property
    def status(self) -> Path:
        """Return status.json: state, message, pid and what the worker recorded."""
        return self.folder / "status.json"

    @property
    def history(self) -> Path:
        """Return history.jsonl: one record per epoch."""
        return self.folder / "history.jsonl"

    def stamps(self) -> tuple:
        """Return the (inode, mtime, size) of the config, status and history: any write to them changes one.

        JSON files are replaced whole (a new inode each write) and the history only grows, so a change shows
        even within one tick of the file system's clock.
        """
        stamps = []
        for path in (self.config, self.status, self.history):
            try:
                info = path.stat()
            except OSError:
                stamps.append(None)
                continue
            stamps.append((info.st_ino, info.st_mtime_ns, info.st_size))
        return tuple(stamps)

    @property
    def batches(self) -> Path:
        """Return batches.jsonl: the recent batch records of the live curve."""
        return self.folder / "batches.jsonl"

    @property
    def model(self) -> Path:
        """Return model.keras: the latest saved model."""
        return self.folder / "model.keras"

    @property
    def best_model(self) -> Path:
        """Return best.keras: the model of the best complete epoch."""
        return self.folder / "best.keras"

    @property
    def feature_extractor(self) -> Path:
        """Return feature_extractor.keras: the frozen base of a features-taking run."""
        return self.folder / "feature_extractor.keras"

    @property
    def stop_request(self) -> Path:
        """Return the file whose presence asks the worker to stop after its batch."""
        return self.folder / "stop-requested"

    @property
    def worker_log(self) -> Path:
        """Return worker.log: the worker process's stdout and stderr."""
        return self.folder / "worker.log"

    @property
    def heartbeat(self) -> Path:
        """Return the file a Ray worker rewrites every few seconds while it lives."""
        return self.folder / "heartbeat"

    @property
    def tensorboard(self) -> Path:
        """Return the folder TensorBoard reads."""
        return self.folder / "tensorboard"

    @property
    def evaluation(self) -> Path:
        """Return evaluation.json: the evaluation's state and figures."""
        return self.folder / "evaluation.json"

    @property
    def predictions(self) -> Path:
        """Return predictions.npz: every evaluated image's true class, prediction and probabilities."""
        return self.folder / "predictions.npz"

    @property
    def epochs(self) -> Path:
        """Return the folder of each complete epoch's weights (the time-lapse)."""
        return self.folder / "epochs"

    def epoch_weights(self, epoch: int) -> Path:
        """Return one complete epoch's weights: the whole network's, in Keras's get_weights order."""
        return self.epochs / f"epoch-{epoch:03d}.weights.npz"

    def epoch_first_layer(self, epoch: int) -> Path:
        """Return one complete epoch's first convolution (kernel and bias): all a network too big to keep keeps."""
        return self.epochs / f"epoch-{epoch:03d}.first-layer.npz"

    @property
    def patterns(self) -> Path:
        """Return the folder of cached filter patterns, one file per layer and model version."""
        return self.folder / "patterns"

    def pattern_status(self, layer: str) -> Path:
        """Return one layer's filter-pattern record (state, progress, the model version it is for)."""
        return self.patterns / f"{safe_layer_name(layer)}.json"

    def pattern_images(self, layer: str) -> Path:
        """Return one layer's filter patterns and their activations."""
        return self.patterns / f"{safe_layer_name(layer)}.npz"


def safe_layer_name(layer: str) -> str:
    """Return a layer name as a file name: letters, digits, '_' and '-' only (a model's names are not trusted)."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", layer)[:80] or "_"
