"""Numpy arrays in the run store, written so a reader never sees half a file: a temp file, then os.replace."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np


def write_arrays(target: Path, arrays: dict[str, np.ndarray], compressed: bool = False) -> Path:
    """Write named arrays as one .npz atomically (in the target's folder, made if missing); return the file."""
    target.parent.mkdir(exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}.", suffix=".tmp")
    try:
        with os.fdopen(handle, "wb") as stream:
            (np.savez_compressed if compressed else np.savez)(stream, **arrays)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return target
