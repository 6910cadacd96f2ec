"""JSON files that survive a crash and a reader that races a writer: atomic writes, tolerant JSONL reads."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path


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
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {} if default is None else default
    return data if isinstance(data, dict) else ({} if default is None else default)


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
            record = json.loads(line)
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records
