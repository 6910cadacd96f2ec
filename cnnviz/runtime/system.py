"""What this machine trains on, found without importing TensorFlow (so pages stay fast)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib import metadata

PACKAGES = ("streamlit", "keras", "tensorflow", "jax", "torch", "numpy")


CUDA_INSTALL_HINTS = {
    "tensorflow": "pip install 'tensorflow[and-cuda]'",
    "jax": "pip install 'jax[cuda12]'",
    "torch": "install a CUDA build of PyTorch (pytorch.org/get-started)",
}


def describe_device() -> str:
    """Return the GPU name(s) nvidia-smi reports, or 'CPU' when there is none.

    This is the machine's hardware, not what a backend can use: a worker records
    describe_training_device() for that.
    """
    names = nvidia_gpu_names()
    return ", ".join(f"GPU: {name}" for name in names) or "CPU"


def nvidia_gpu_names() -> list[str]:
    """Return the GPU names nvidia-smi lists (none without nvidia-smi or a working driver)."""
    nvidia_smi = shutil.which("nvidia-smi")
    if nvidia_smi is None:
        return []
    try:
        result = subprocess.run(
            [nvidia_smi, "--query-gpu=name", "--format=csv,noheader"],
            capture_output=True,
            text=True,
            timeout=5,
            check=True,
        )
    except (OSError, subprocess.SubprocessError):
        return []
    return [line.strip() for line in result.stdout.splitlines() if line.strip()]


@dataclass
class DeviceCheck:
    """What a Keras backend trains on, beside the GPUs the machine has."""

    backend: str
    gpus: list[str] = field(default_factory=list)  # what the backend itself uses
    machine_gpus: list[str] = field(default_factory=list)  # what nvidia-smi sees
    problem: str | None = None  # why the backend is on the CPU although the machine has a GPU

    @property
    def on_gpu(self) -> bool:
        return bool(self.gpus)

    def describe(self) -> str:
        """Return one line for a person: 'GPU: NVIDIA H100 (jax)', or 'CPU (why, and what to install)'."""
        if self.gpus:
            return f"{', '.join(f'GPU: {name}' for name in self.gpus)} ({self.backend})"
        if self.problem:
            return f"CPU ({self.problem})"
        return f"CPU ({self.backend})"


def backend_gpu_names(backend: str) -> list[str]:
    """Return the GPUs the backend's framework can run on; the framework is imported if it is not yet."""
    if backend == "tensorflow":
        import tensorflow as tf

        found = tf.config.list_physical_devices("GPU")
        return [tf.config.experimental.get_device_details(gpu).get("device_name", gpu.name) for gpu in found]
    if backend == "jax":
        import jax

        return [device.device_kind for device in jax.devices() if device.platform in ("gpu", "cuda", "rocm")]
    if backend == "torch":
        import torch

        count = torch.cuda.device_count() if torch.cuda.is_available() else 0
        return [torch.cuda.get_device_name(index) for index in range(count)]
    return []


def check_backend_device(backend: str | None = None) -> DeviceCheck:
    """Return what `backend` (default: Keras's) trains on, and why it is the CPU when the machine has a GPU."""
    backend = backend or keras_backend()
    check = DeviceCheck(backend, machine_gpus=nvidia_gpu_names())
    try:
        check.gpus = backend_gpu_names(backend)
    except (ImportError, RuntimeError) as error:  # a broken CUDA install raises either while probing
        check.problem = f"{backend} could not look for a GPU: {type(error).__name__}: {error}"
        return check
    if not check.gpus and check.machine_gpus:
        hint = CUDA_INSTALL_HINTS.get(backend, "install its CUDA build")
        check.problem = f"nvidia-smi sees {', '.join(check.machine_gpus)} but {backend} has no CUDA: {hint}"
    return check


def describe_training_device() -> str:
    """Return the device line a worker records after importing Keras, warning on stderr when a GPU is unused."""
    check = check_backend_device()
    if check.problem:
        print(f"warning: training on the CPU: {check.problem}", file=sys.stderr)
    return check.describe()


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


def process_problem(pid: int) -> str | None:
    """Return why process `pid` is not running (exited but not reaped, gone, unreadable), or None when it runs."""
    try:
        os.waitpid(pid, os.WNOHANG)  # reap our own finished child, so it does not linger as a zombie
    except ChildProcessError:
        pass
    try:
        with open(f"/proc/{pid}/stat") as stat_file:
            if stat_file.read().rsplit(")", 1)[1].split()[0] in ("Z", "X"):
                return f"process {pid} has exited"
    except FileNotFoundError:
        return f"process {pid} is gone"
    except (OSError, IndexError) as error:
        return f"process {pid} could not be checked: {error}"
    return None


def lower_priority(pid: int, niceness: int) -> None:
    """Run a worker `niceness` steps below this process: pages answer first, training takes what is left.

    Called right after the worker starts, before it creates any thread (threads inherit the value).
    Lowering one's own child's priority needs no privilege; a failure only leaves it at the server's.
    """
    if niceness <= 0:
        return
    try:
        os.setpriority(os.PRIO_PROCESS, pid, min(os.getpriority(os.PRIO_PROCESS, 0) + niceness, 19))
    except (OSError, AttributeError):  # gone already, or a platform without setpriority
        pass
