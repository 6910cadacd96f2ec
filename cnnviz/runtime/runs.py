"""The run store behind typed objects: one folder per run, JSON written atomically, JSONL read tolerantly.

Pages and the CLI see `RunConfig`, `Run`, `RunState`, `Progress` and `Evaluation`; the file names inside a
run folder are spelled once, in run_files.py (`RunFiles`), and everything else asks for them by name.
"""

from __future__ import annotations

import csv
import io
import re
import secrets
import time
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from pathlib import Path

from cnnviz.errors import CnnvizError, RunNotFound
from cnnviz.runtime import evaluations, settings
from cnnviz.runtime.epoch_snapshots import EpochSnapshot, list_snapshots
from cnnviz.runtime.evaluations import Evaluation
from cnnviz.runtime.json_files import read_json, read_jsonl, write_json
from cnnviz.runtime.records import METRICS, BatchRecord, EpochRecord
from cnnviz.runtime.run_config import RunConfig, clean_label
from cnnviz.runtime.run_files import RunFiles
from cnnviz.runtime.run_states import Progress, RunState

RUN_ID_PATTERN = re.compile(r"^\d{8}-\d{6}-[a-z0-9_]{1,40}-[0-9a-f]{4}$")
RAY_LAUNCHER = "ray"  # status.json's "launcher" for a run submitted to a Ray cluster


@dataclass(frozen=True)
class Run:
    """One run as the store holds it now: config, state, what the worker recorded, its epochs."""

    run_id: str
    folder: Path
    config: RunConfig
    state: RunState
    message: str
    created: float
    status: dict  # the worker's extra records: pid, device, backend, class_names, input_shape, parameters
    history: list[EpochRecord]  # one record per epoch; a cut-short one is `partial`

    @property
    def files(self) -> RunFiles:
        """Return the named paths of the run's folder."""
        return RunFiles(self.folder)

    @property
    def is_on_ray(self) -> bool:
        """Return whether the run was submitted to a Ray cluster (Ray queues and watches it, not this server)."""
        return self.status.get("launcher") == RAY_LAUNCHER

    @property
    def label(self) -> str:
        """Return the run's human label."""
        return self.config.label

    @property
    def epochs(self) -> list[EpochRecord]:
        """Return the complete epochs only: a partial one is never a best, a verdict or a plotted epoch."""
        return [record for record in self.history if not record.partial]

    @property
    def epochs_done(self) -> int:
        """Return how many epochs completed."""
        return len(self.epochs)

    @property
    def best_val_accuracy(self) -> float | None:
        """Return the best validation accuracy of a complete epoch, or None before the first one."""
        values = [record.val_accuracy for record in self.epochs if record.val_accuracy is not None]
        return max(values) if values else None

    @property
    def pid(self) -> int | None:
        """Return the worker's process id, when one was recorded."""
        return self.status.get("pid")

    @property
    def device(self) -> str:
        """Return what the run trains on, as the worker saw it (the config's guess until then), and where on Ray."""
        device = self.status.get("device") or self.config.device
        host = self.status.get("ray_host")
        return f"{device} · Ray node {host}" if host else device

    def describe_device(self) -> str:
        """Return device and backend in one line ('CPU (tensorflow)'; older runs recorded them apart)."""
        return self.device if self.backend in self.device else f"{self.device} · backend {self.backend}"

    @property
    def backend(self) -> str:
        """Return the Keras backend the run trains with."""
        return self.status.get("backend") or self.config.backend

    @property
    def class_names(self) -> list[str] | None:
        """Return the dataset's class names, once the worker has loaded it."""
        return self.status.get("class_names")

    @property
    def parameters(self) -> int | None:
        """Return the model's parameter count, once trained."""
        return self.status.get("parameters")

    @property
    def model_path(self) -> Path | None:
        """Return the latest saved model, or None before the first epoch ends."""
        path = self.files.model
        return path if path.is_file() else None

    def read_model(self) -> bytes:
        """Return the latest saved model file's bytes (for a download), or raise CnnvizError when there is none."""
        if self.model_path is None:
            raise CnnvizError(f"Run {self.label} has not saved a model yet: let at least one epoch finish.")
        return self.model_path.read_bytes()

    @property
    def has_trained_model(self) -> bool:
        """Return whether the run saved a model of at least one complete epoch (a Stop inside epoch 1 did not)."""
        return self.model_path is not None and self.epochs_done > 0

    @property
    def model_version(self) -> float | None:
        """Return when the latest model was saved (a cache key: a model trained further is loaded afresh)."""
        path = self.model_path
        return None if path is None else path.stat().st_mtime

    @property
    def best_model_path(self) -> Path | None:
        """Return the model of the best complete epoch, else the latest model."""
        path = self.files.best_model
        return path if path.is_file() else self.model_path

    @property
    def feature_extractor_path(self) -> Path | None:
        """Return the frozen base a features-taking run was trained on (VGG16 feature extraction), if any."""
        path = self.files.feature_extractor
        return path if path.is_file() else None

    @property
    def snapshots(self) -> list[EpochSnapshot]:
        """Return the saved weights of each complete epoch (none for runs trained before cnnviz kept them)."""
        return list_snapshots(self.folder, {record.epoch for record in self.epochs})

    @property
    def tensorboard_dir(self) -> Path:
        """Return the folder TensorBoard reads."""
        return self.files.tensorboard

    def batches(self) -> list[BatchRecord]:
        """Return the recent batch records of the live curve."""
        return [BatchRecord.from_json(data) for data in read_jsonl(self.files.batches)]

    @property
    def has_batch_points(self) -> bool:
        """Return whether the worker has written its first batch point yet (a file check, no parsing)."""
        path = self.files.batches
        return path.is_file() and path.stat().st_size > 0

    def progress(self) -> Progress | None:
        """Return where the training is, from its latest batch record, while it is active."""
        records = self.batches() if self.state.has_worker else []
        if not records:
            return None
        last = records[-1]
        return Progress(last.epoch, last.epochs, last.batch, last.batches, last.images_per_second, last.eta_seconds)

    def evaluation(self) -> Evaluation | None:
        """Return the run's evaluation as recorded (jobs.evaluation_of also notices a dead worker), or None."""
        return evaluations.read_evaluation(self.folder)

    def history_csv(self) -> str:
        """Return the epoch history as CSV text, one row per epoch, for download."""
        return history_csv([record.to_json() for record in self.history])

    def as_row(self) -> dict:
        """Return the run as a row of the runs table."""
        best = self.best_val_accuracy
        return {
            "label": self.label,
            "status": self.state.value,
            "epochs": f"{self.epochs_done}/{self.config.epochs}",
            "best val accuracy": "" if best is None else f"{best:.3f}",
            "recipe": self.config.recipe,
            "run": self.run_id,
        }


def new_run_id(recipe: str) -> str:
    """Return `<UTC yyyymmdd-HHMMSS>-<recipe>-<4 hex>`; only cnnviz makes run ids."""
    if not re.fullmatch(r"[a-z0-9_]{1,40}", recipe):
        raise CnnvizError(f"A recipe name is lowercase letters, digits and _; got {recipe!r}.")
    return f"{datetime.now(timezone.utc):%Y%m%d-%H%M%S}-{recipe}-{secrets.token_hex(2)}"


def run_dir(run_id: str, runs_dir: Path | None = None) -> Path:
    """Return the folder of a run, after checking the id is one cnnviz could have made."""
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.fullmatch(run_id):
        raise RunNotFound(f"{run_id!r} is not a run id (they look like 20261123-014500-fashion_separable-1a2b).")
    folder = (runs_dir or settings.runs_dir()) / run_id
    if not folder.is_dir():
        raise RunNotFound(f"There is no run {run_id} in {runs_dir or settings.runs_dir()}.")
    return folder


def read_history(folder: Path) -> list[EpochRecord]:
    """Return a run folder's epoch records, a cut-short epoch's (marked partial) included."""
    return [EpochRecord.from_json(data) for data in read_jsonl(RunFiles(folder).history)]


def set_status(folder: Path, state: RunState, message: str = "", **extra) -> dict:
    """Record a run's state with a message and any extra facts (pid, device, class names…)."""
    status = {
        **read_json(RunFiles(folder).status),
        **extra,
        "state": RunState(state).value,
        "message": message,
        "updated": time.time(),
    }
    write_json(RunFiles(folder).status, status)
    return status


def read_state(folder: Path) -> tuple[RunState | None, dict]:
    """Return a run folder's state (None when unreadable) and its whole status record."""
    status = read_json(RunFiles(folder).status)
    try:
        return RunState(status.get("state")), status
    except ValueError:
        return None, status


def write_config(folder: Path, config: RunConfig) -> None:
    """Write a run's config.json, keeping when it was created."""
    created = read_json(RunFiles(folder).config).get("created") or time.time()
    write_json(RunFiles(folder).config, {**config.to_json(), "run_id": folder.name, "created": created})


def create_run(config: RunConfig, runs_dir: Path | None = None) -> Path:
    """Make a new run folder with its config and a `queued` status; return the folder."""
    root = runs_dir or settings.runs_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        folder = root / new_run_id(config.recipe)
        folder.mkdir()
        write_config(folder, config)
        set_status(folder, RunState.QUEUED, "waiting for a free training slot")
    except OSError as error:
        raise CnnvizError(
            f"Cannot write the run store at {root} ({error.strerror}). Free some disk space or set "
            "CNNVIZ_RUNS_DIR to a writable folder."
        ) from None
    return folder


# The runs read so far, each with its files' stamps: a class's pages list every run on every rerun, and a
# lesson's store grows to some 150 runs (BENCHMARKS.md, "A whole lesson, every page").
_read_runs: dict[Path, tuple[tuple, Run]] = {}


def load_folder(folder: Path) -> Run:
    """Return the run stored in `folder`, read again only when one of its files changed."""
    stamps = RunFiles(folder).stamps()
    known = _read_runs.get(folder)
    if known is not None and known[0] == stamps:
        return known[1]
    run = read_folder(folder)
    _read_runs[folder] = (stamps, run)
    return run


def read_folder(folder: Path) -> Run:
    """Return the run stored in `folder`, read from its files."""
    data = read_json(RunFiles(folder).config)
    state, status = read_state(folder)
    if state is None:
        state, status = RunState.FAILED, {**status, "message": status.get("message") or "status.json is unreadable"}
    return Run(
        run_id=folder.name,
        folder=folder,
        config=RunConfig.from_json(data),
        state=state,
        message=status.get("message", ""),
        created=float(data.get("created") or 0),
        status=status,
        history=read_history(folder),
    )


def load_run(run_id: str, runs_dir: Path | None = None) -> Run:
    """Return the run called `run_id`, or raise RunNotFound."""
    return load_folder(run_dir(run_id, runs_dir))


def list_runs(runs_dir: Path | None = None) -> list[Run]:
    """Return every readable run in the store, newest first (a folder with a broken config is left out)."""
    root = runs_dir or settings.runs_dir()
    if not root.is_dir():
        return []
    found = []
    for child in root.iterdir():
        if child.is_dir() and RUN_ID_PATTERN.fullmatch(child.name):
            try:
                found.append(load_folder(child))
            except CnnvizError:
                continue  # a half-written or foreign folder: listing the others matters more
    return sorted(found, key=lambda run: run.run_id, reverse=True)


def trained_runs(runs_dir: Path | None = None) -> list[Run]:
    """Return the runs that saved a model of at least one complete epoch, newest first."""
    return [run for run in list_runs(runs_dir) if run.has_trained_model]


def queued_runs(all_runs: list[Run]) -> list[Run]:
    """Return the runs waiting in this server's queue, in the order they were made (Ray queues its own).

    Ids made in the same second differ by their random tail, so `created` orders them first.
    """
    queued = [run for run in all_runs if run.state is RunState.QUEUED and not run.is_on_ray]
    return sorted(queued, key=lambda run: (run.created, run.run_id))


def rename(run_id: str, label: str, runs_dir: Path | None = None) -> Run:
    """Give a run a new label (an empty one goes back to the label made from its settings)."""
    run = load_run(run_id, runs_dir)
    write_config(run.folder, replace(run.config, label=clean_label(label)))
    return load_folder(run.folder)


def request_stop(folder: Path) -> None:
    """Leave the stop request the worker checks after every batch."""
    RunFiles(folder).stop_request.touch()


def stop_requested(folder: Path) -> bool:
    """Return whether someone asked the run to stop."""
    return RunFiles(folder).stop_request.exists()


def as_keras_history(records: list[EpochRecord]) -> dict[str, list[float]]:
    """Return epoch records as Keras's History.history: metric name -> one value per epoch."""
    metrics = [name for name in METRICS if any(record.metric(name) is not None for record in records)]
    return {name: [record.metric(name) for record in records] for name in metrics}


def history_csv(records: list[dict]) -> str:
    """Return epoch records as JSON-like rows (EpochRecord.to_json) in CSV text, one row per epoch, for download."""
    columns = list(dict.fromkeys(key for record in records for key in record))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()
