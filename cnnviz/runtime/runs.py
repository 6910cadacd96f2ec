"""The on-disk run store: one folder per run, JSON written atomically, JSONL read tolerantly."""

from __future__ import annotations

import json
import os
import re
import secrets
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from cnnviz.errors import CnnvizError, RunNotFound
from cnnviz.runtime import settings

RUN_ID_PATTERN = re.compile(r"^\d{8}-\d{6}-[a-z0-9_]{1,40}-[0-9a-f]{4}$")
ACTIVE_STATES = ("queued", "running", "stopping")
STOP_FILE = "stop-requested"


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


def write_json(path: Path, data: dict) -> None:
    """Write JSON atomically: a temp file in the same folder, then os.replace."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "w") as stream:
            json.dump(data, stream, indent=1, default=str)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def read_json(path: Path, default: dict | None = None) -> dict:
    """Return a JSON file's object, or `default` when it is missing or unreadable."""
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return {} if default is None else default


def append_jsonl(path: Path, record: dict) -> None:
    """Append one JSON line (one write call, so a reader sees whole lines or a torn last one)."""
    with open(path, "a") as stream:
        stream.write(json.dumps(record, default=float) + "\n")


def read_jsonl(path: Path) -> list[dict]:
    """Return every whole JSON line of a file; a torn or garbled line (a writer mid-write) is skipped."""
    try:
        text = path.read_text()
    except OSError:
        return []
    records = []
    for line in text.splitlines():
        try:
            records.append(json.loads(line))
        except ValueError:
            continue
    return records


def set_status(folder: Path, state: str, message: str = "", **extra) -> dict:
    """Record a run's state (queued, running, stopping, stopped, finished, failed) with a message."""
    status = {**read_json(folder / "status.json"), **extra, "state": state, "message": message, "updated": time.time()}
    write_json(folder / "status.json", status)
    return status


def create_run(config: dict, runs_dir: Path | None = None) -> Path:
    """Make a new run folder with its config and a `queued` status; return the folder."""
    root = runs_dir or settings.runs_dir()
    try:
        root.mkdir(parents=True, exist_ok=True)
        folder = root / new_run_id(config["recipe"])
        folder.mkdir()
        write_json(folder / "config.json", {**config, "run_id": folder.name, "created": time.time()})
        set_status(folder, "queued", "waiting for a free training slot")
    except OSError as error:
        raise CnnvizError(
            f"Cannot write the run store at {root} ({error.strerror}). Free some disk space or set "
            "CNNVIZ_RUNS_DIR to a writable folder."
        ) from None
    return folder


@dataclass
class RunSummary:
    """One line of the run list."""

    run_id: str
    recipe: str
    dataset: str
    state: str
    message: str
    epochs_done: int
    epochs: int
    best_val_accuracy: float | None
    created: float

    def as_row(self) -> dict:
        """Return the summary as a table row."""
        best = "" if self.best_val_accuracy is None else f"{self.best_val_accuracy:.3f}"
        return {
            "run": self.run_id,
            "recipe": self.recipe,
            "dataset": self.dataset,
            "status": self.state,
            "epochs": f"{self.epochs_done}/{self.epochs}",
            "best val accuracy": best,
        }


def summarize(folder: Path) -> RunSummary:
    """Return a run's summary from its files."""
    config, status = read_json(folder / "config.json"), read_json(folder / "status.json")
    history = read_jsonl(folder / "history.jsonl")
    accuracies = [record["val_accuracy"] for record in history if record.get("val_accuracy") is not None]
    return RunSummary(
        folder.name,
        config.get("recipe", "?"),
        config.get("dataset", "?"),
        status.get("state", "?"),
        status.get("message", ""),
        len(history),
        int(config.get("epochs") or 0),
        max(accuracies) if accuracies else None,
        float(config.get("created") or 0),
    )


def list_runs(runs_dir: Path | None = None) -> list[RunSummary]:
    """Return every run in the store, newest first."""
    root = runs_dir or settings.runs_dir()
    if not root.is_dir():
        return []
    folders = [child for child in root.iterdir() if child.is_dir() and RUN_ID_PATTERN.fullmatch(child.name)]
    return sorted((summarize(folder) for folder in folders), key=lambda run: run.run_id, reverse=True)


def history_rows(folder: Path) -> list[dict]:
    """Return the epoch history of a run (one dict per finished epoch)."""
    return read_jsonl(folder / "history.jsonl")


def as_keras_history(records: list[dict]) -> dict[str, list[float]]:
    """Return epoch records as Keras's History.history: metric name -> one value per epoch."""
    metrics = [key for key in ("loss", "accuracy", "val_loss", "val_accuracy") if any(key in r for r in records)]
    return {key: [record.get(key) for record in records] for key in metrics}


def history_csv(records: list[dict]) -> str:
    """Return epoch records as CSV text, one row per epoch, for download."""
    import csv
    import io

    columns = list(dict.fromkeys(key for record in records for key in record))
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns)
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()
