"""The environment settings (README "Settings"), read when asked so tests can change them."""

from __future__ import annotations

import os
from pathlib import Path

from cnnviz.errors import CnnvizError


def read_int(name: str, default: int, minimum: int = 1) -> int:
    """Return an integer setting, refusing a value that is not a whole number >= minimum."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = int(text)
    except ValueError:
        raise CnnvizError(f"{name} must be a whole number; it is {text!r}.") from None
    if value < minimum:
        raise CnnvizError(f"{name} must be at least {minimum}; it is {value}.")
    return value


def runs_dir() -> Path:
    """Return where training runs are stored (CNNVIZ_RUNS_DIR, else ./runs)."""
    return Path(os.environ.get("CNNVIZ_RUNS_DIR") or "runs").resolve()


def datasets_dir() -> Path:
    """Return the folder cnnviz owns for extracted uploads and prepared splits (CNNVIZ_DATASETS_DIR)."""
    return Path(os.environ.get("CNNVIZ_DATASETS_DIR") or "datasets").resolve()


def max_jobs() -> int:
    """Return how many trainings may run at once (CNNVIZ_MAX_JOBS, default 1)."""
    return read_int("CNNVIZ_MAX_JOBS", 1)


def allow_server_paths() -> bool:
    """Return whether pages may read a folder path typed by a user (CNNVIZ_ALLOW_SERVER_PATHS, default 1)."""
    return os.environ.get("CNNVIZ_ALLOW_SERVER_PATHS", "1").strip().lower() not in ("0", "false", "no", "off")


def max_upload_mb() -> int:
    """Return the largest upload accepted, in MB (CNNVIZ_MAX_UPLOAD_MB, default 200)."""
    return read_int("CNNVIZ_MAX_UPLOAD_MB", 200)


def ray_address() -> str | None:
    """Return the Ray cluster that runs trainings (CNNVIZ_RAY_ADDRESS: host:port or `auto`), or None for local."""
    return os.environ.get("CNNVIZ_RAY_ADDRESS", "").strip() or None


def preload_keras() -> bool:
    """Return whether the server imports Keras in the background once its first page is drawn
    (CNNVIZ_PRELOAD_KERAS, default 1), so Predict and Mistakes open without waiting for it."""
    return os.environ.get("CNNVIZ_PRELOAD_KERAS", "1").strip().lower() not in ("0", "false", "no", "off")


def warm_worker_enabled() -> bool:
    """Return whether the Train page keeps a worker with Keras imported waiting (CNNVIZ_WARM_WORKER, default 1)."""
    return os.environ.get("CNNVIZ_WARM_WORKER", "1").strip().lower() not in ("0", "false", "no", "off")


def worker_niceness() -> int:
    """Return how many nice steps below the server workers run (CNNVIZ_WORKER_NICE, default 10; 0: the same)."""
    return read_int("CNNVIZ_WORKER_NICE", 10, minimum=0)
