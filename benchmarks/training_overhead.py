"""What a user pays for cnnviz: the real worker against the tutorial's plain script, each in its own process.

Run from the project root: `.venv/bin/python -m benchmarks.training_overhead` (add `--rounds 5`, or
`KERAS_BACKEND=jax` in front, or larger `--fashion-images`/`--catsdogs-images` on a GPU).

One side is `python -m cnnviz train` (a process of its own, loading the data its own way: Fashion-MNIST
from its files, the cats-vs-dogs-like folder decoded batch by batch), streaming batches, saving
the model and the best model every epoch, TensorBoard on TensorFlow. The other is benchmarks/bare_fit.py:
the same recipe built by cnnviz.learning.models.build, `model.fit` on the same images held in memory.
They alternate, several rounds. Both are timed the same way: the wall clock at each epoch's end
(the `time` of the worker's epoch records, the bare script's own clock), images/s over the epochs after the
first (which compiles). Prints `images/s ratio cnnviz/bare = X` per recipe (X ≈ 1 means no overhead).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks import generated_images
from cnnviz.runtime import runs

ROOT = Path(__file__).resolve().parents[1]
CHILD_TIMEOUT_SECONDS = 600.0
CHILD_DEADLINE: float | None = None  # a time.monotonic() no child may outlive (benchmarks.gpu_check's budget)


@dataclass
class Workload:
    """One recipe on one dataset: the arguments both sides take."""

    recipe: str
    dataset: str
    epochs: int
    limit: int | None = None
    dataset_path: Path | None = None
    augment: bool = False
    extra: list[str] = field(default_factory=list)

    def arguments(self) -> list[str]:
        """Return the command-line arguments common to the worker and the bare script."""
        arguments = ["--recipe", self.recipe, "--dataset", self.dataset, "--epochs", str(self.epochs)]
        if self.limit is not None:
            arguments += ["--limit", str(self.limit)]
        if self.dataset_path is not None:
            arguments += ["--dataset-path", str(self.dataset_path)]
        return arguments


def rate_after_first_epoch(epoch_times: list[float], images: int) -> float:
    """Return images/s over the epochs after the first, from the clock read at each epoch's end."""
    if len(epoch_times) < 2:
        raise RuntimeError("need at least 2 epochs to time the ones after the first")
    return images * (len(epoch_times) - 1) / (epoch_times[-1] - epoch_times[0])


def child_environment() -> dict[str, str]:
    """Return the environment for a child: this one, with the project importable from anywhere."""
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    return {**os.environ, "PYTHONPATH": path, "TF_CPP_MIN_LOG_LEVEL": "2"}


def run_checked(command: list[str]) -> subprocess.CompletedProcess:
    """Run a child to its end and fail with the end of its output when it fails."""
    timeout = CHILD_TIMEOUT_SECONDS
    if CHILD_DEADLINE is not None:
        timeout = max(1.0, min(timeout, CHILD_DEADLINE - time.monotonic()))
    result = subprocess.run(command, cwd=ROOT, env=child_environment(), capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:6])}… exited {result.returncode}:\n{result.stderr[-3000:]}")
    return result


def run_worker(workload: Workload) -> dict:
    """Train through `python -m cnnviz train`; return its epoch records, status and images/s."""
    with tempfile.TemporaryDirectory() as runs_dir:
        flag = "--augment" if workload.augment else "--no-augment"
        command = [sys.executable, "-m", "cnnviz", "train", *workload.arguments(), flag, "--runs-dir", runs_dir]
        run_checked(command + workload.extra)
        (run,) = runs.list_runs(Path(runs_dir))
    images = train_images(workload, run.config.limit)
    return {
        "images_per_second": rate_after_first_epoch([record.time for record in run.history], images),
        "history": run.history,
        "status": run.status,
        "images": images,
    }


def train_images(workload: Workload, limit: int | None) -> int:
    """Return how many training images the worker fits an epoch (the folder's count, or the run's limit)."""
    if workload.dataset_path is not None:
        return sum(1 for path in (workload.dataset_path / "train").rglob("*.jpg"))
    return limit or 55_000


def run_bare(workload: Workload) -> dict:
    """Fit the same recipe in the tutorial's plain script; return its images/s."""
    command = [sys.executable, "-m", "benchmarks.bare_fit", *workload.arguments()]
    if workload.augment:
        command.append("--augment")
    result = json.loads(run_checked(command).stdout.strip().splitlines()[-1])
    return {"images_per_second": rate_after_first_epoch(result["epoch_times"], result["images"])}


def alternate(workload: Workload, rounds: int) -> tuple[list[dict], list[dict]]:
    """Run the worker and the bare script `rounds` times each, alternating; return both sides' results."""
    worker, bare = [], []
    for round_number in range(rounds):
        # Alternate which side goes first, so a machine warming up or slowing down favours neither.
        sides = [(worker, run_worker), (bare, run_bare)]
        for results, run in sides if round_number % 2 == 0 else reversed(sides):
            results.append(run(workload))
    return worker, bare


def median_rate(results: list[dict]) -> float:
    """Return the median images/s of a side's runs."""
    return statistics.median(result["images_per_second"] for result in results)


def list_rates(results: list[dict]) -> str:
    """Return each run's images/s, comma-separated, for the printout."""
    return ", ".join(f"{result['images_per_second']:.0f}" for result in results)


def compare(workload: Workload, rounds: int) -> float:
    """Alternate worker and bare runs, print every rate and the ratio of the medians; return the ratio."""
    worker, bare = alternate(workload, rounds)
    ratio = median_rate(worker) / median_rate(bare)
    print(
        f"{workload.recipe}: {workload.epochs} epochs (timed after the first), {rounds} rounds; "
        f"cnnviz {median_rate(worker):,.0f} images/s ({list_rates(worker)}), "
        f"bare {median_rate(bare):,.0f} images/s ({list_rates(bare)})"
    )
    print(f"{workload.recipe}: images/s ratio cnnviz/bare = {ratio:.3f}", flush=True)
    return ratio


def default_workloads(folder: Path, fashion_images: int, catsdogs_images: int, epochs: int) -> list[Workload]:
    """Return the two recipes of the issue: fashion_separable on Fashion-MNIST, catsdogs_baseline on made images."""
    generated_images.write_folder(folder, catsdogs_images, max(catsdogs_images // 10, 20))
    return [
        Workload("fashion_separable", "fashion_mnist", epochs, limit=fashion_images),
        Workload("catsdogs_baseline", "folder", epochs, dataset_path=folder),
    ]


def main() -> None:
    """Measure each recipe and print its ratio."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=3, help="the first is not timed")
    parser.add_argument("--fashion-images", type=int, default=6_000)
    parser.add_argument("--catsdogs-images", type=int, default=400)
    parser.add_argument("--recipes", nargs="+", default=["fashion_separable", "catsdogs_baseline"])
    arguments = parser.parse_args()
    print(f"backend {os.environ.get('KERAS_BACKEND', 'tensorflow')}, {os.cpu_count()} CPUs", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        sizes = (arguments.fashion_images, arguments.catsdogs_images, arguments.epochs)
        for workload in default_workloads(Path(folder), *sizes):
            if workload.recipe in arguments.recipes:
                compare(workload, arguments.rounds)


if __name__ == "__main__":
    main()
