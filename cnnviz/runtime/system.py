"""What this machine trains on, found without importing TensorFlow (so pages stay fast)."""

from __future__ import annotations

import os
import shutil
import subprocess
from importlib import metadata

PACKAGES = ("streamlit", "keras", "tensorflow", "jax", "torch", "numpy")


def describe_device() -> str:
    """Return the GPU name(s) nvidia-smi reports, or 'CPU' when there is none."""
    nvidia_smi = shutil.which("nvidia-smi")
    if nvidia_smi is None:
        return "CPU"
    try:
        result = subprocess.run(
            [nvidia_smi, "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return "CPU"
    names = [line.strip() for line in result.stdout.splitlines() if line.strip()]
    return ", ".join(f"GPU: {name}" for name in names) or "CPU"


def keras_backend() -> str:
    """Return the Keras backend training will use (KERAS_BACKEND, else TensorFlow)."""
    return os.environ.get("KERAS_BACKEND", "tensorflow")


def package_versions() -> dict[str, str]:
    """Return the installed versions of the packages that matter, from metadata (no imports)."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions
