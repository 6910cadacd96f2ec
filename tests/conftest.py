"""Fixtures several test files share: run stores made by real training, once per test session."""

from pathlib import Path

import pytest

from cnnviz.runtime import runs
from tests.apptest_helpers import run_cnnviz


@pytest.fixture(scope="session")
def trained_runs(tmp_path_factory) -> Path:
    """Two real runs: fashion_separable for 2 epochs and the cats-vs-dogs net on LFW faces for 1."""
    root = tmp_path_factory.mktemp("runs")
    for arguments in (
        ["--recipe", "fashion_separable", "--dataset", "fashion_mnist", "--epochs", "2", "--limit", "2048"],
        ["--recipe", "catsdogs_baseline", "--dataset", "lfw_faces", "--epochs", "1"],
    ):
        result = run_cnnviz("train", *arguments, "--runs-dir", str(root))
        assert result.returncode == 0, result.stderr[-2000:]
    return root


@pytest.fixture(scope="session")
def experiment_runs(tmp_path_factory) -> tuple[Path, dict[str, runs.Run]]:
    """The overfitting experiment on 300 images for one epoch; its baseline and dropout evaluated (1,000 images)."""
    root = tmp_path_factory.mktemp("runs")
    result = run_cnnviz("experiment", "overfitting", "--limit", "300", "--epochs", "1", "--runs-dir", str(root))
    assert result.returncode == 0, result.stderr[-2000:]
    by_variant = {run.config.variant: run for run in runs.list_runs(root)}
    folders = [str(by_variant[variant].folder) for variant in ("baseline", "dropout")]
    result = run_cnnviz("evaluate", "--run-dir", folders[0], "--run-dir", folders[1])
    assert result.returncode == 0, result.stderr[-2000:]
    return root, by_variant
