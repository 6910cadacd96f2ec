"""What a backend really trains on: a GPU the machine has but the backend cannot use is said, not hidden."""

import pytest

from cnnviz.runtime import system


@pytest.fixture
def machine(monkeypatch):
    """Pretend nvidia-smi sees the GPUs set on the returned dict, and the backend sees its own list."""
    seen = {"machine": [], "backend": []}
    monkeypatch.setattr(system, "nvidia_gpu_names", lambda: seen["machine"])
    monkeypatch.setattr(system, "backend_gpu_names", lambda backend: seen["backend"])
    return seen


def test_a_gpu_the_backend_uses_is_named_with_the_backend(machine):
    machine["machine"] = machine["backend"] = ["NVIDIA H100 80GB HBM3"]
    check = system.check_backend_device("jax")
    assert check.on_gpu and check.problem is None
    assert check.describe() == "GPU: NVIDIA H100 80GB HBM3 (jax)"


def test_a_gpu_without_cuda_in_the_backend_says_what_to_install(machine):
    machine["machine"] = ["NVIDIA H100 80GB HBM3"]
    check = system.check_backend_device("jax")
    assert not check.on_gpu
    assert (
        check.describe() == "CPU (nvidia-smi sees NVIDIA H100 80GB HBM3 but jax has no CUDA: pip install 'jax[cuda12]')"
    )
    assert "tensorflow[and-cuda]" in system.check_backend_device("tensorflow").describe()


def test_a_machine_without_a_gpu_is_plainly_the_cpu(machine):
    assert system.check_backend_device("torch").describe() == "CPU (torch)"


def test_a_backend_that_fails_to_probe_its_gpu_is_reported(machine, monkeypatch):
    def broken(backend):
        raise RuntimeError("libcudnn.so.9: cannot open shared object file")

    monkeypatch.setattr(system, "backend_gpu_names", broken)
    check = system.check_backend_device("jax")
    assert not check.on_gpu and "libcudnn.so.9" in check.describe()


def test_the_worker_line_warns_on_stderr_when_a_gpu_goes_unused(machine, monkeypatch, capsys):
    monkeypatch.setenv("KERAS_BACKEND", "tensorflow")
    machine["machine"] = ["NVIDIA H100 80GB HBM3"]
    assert system.describe_training_device().startswith("CPU (nvidia-smi sees NVIDIA H100")
    assert "warning: training on the CPU" in capsys.readouterr().err


def test_this_machine_probes_its_own_backend_without_failing():
    check = system.check_backend_device()
    assert check.backend == system.keras_backend() and check.describe()
