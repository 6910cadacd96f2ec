"""The GPU check: what cnnviz trains at on a GPU, per Keras backend, through the real worker. One table.

Run by `scripts/gpu-check` (which brings Keras and Fashion-MNIST along); by hand, from the project root:
`python -m benchmarks.gpu_check --backends jax torch` (`--quick` for a tiny CPU rehearsal).

Per backend: fashion_separable on all 55,000 Fashion-MNIST images for 3 epochs (seconds per epoch,
images/s, validation accuracy), catsdogs_baseline and catsdogs_dropout_augment at 150×150 on 2,000
images made here (images/s; the second with and without the augmentation layer), and the overhead
ratio of benchmarks.training_overhead (worker vs the tutorial's plain script, alternating) for
fashion_separable and catsdogs_baseline. images/s counts the epochs after the first (which compiles).
Steps run backend by backend (JAX first), and are skipped once --budget-seconds is spent, so it ends in
time; no child process outlives the budget by more than 20 s.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from benchmarks import generated_images, training_overhead
from benchmarks.training_overhead import Workload


@dataclass
class Row:
    """One line of the table."""

    backend: str
    workload: str
    seconds_per_epoch: str = ""
    cnnviz_rate: float | None = None
    bare_rate: float | None = None
    validation_accuracy: float | None = None
    note: str = ""

    def cells(self) -> list[str]:
        """Return the row as the table's text cells."""
        ratio = f"{self.cnnviz_rate / self.bare_rate:.3f}" if self.cnnviz_rate and self.bare_rate else ""
        return [
            self.backend,
            self.workload,
            self.seconds_per_epoch,
            f"{self.cnnviz_rate:,.0f}" if self.cnnviz_rate else "",
            f"{self.bare_rate:,.0f}" if self.bare_rate else "",
            ratio,
            f"{self.validation_accuracy:.3f}" if self.validation_accuracy is not None else "",
            self.note,
        ]


HEADER = ["backend", "workload", "s/epoch", "images/s cnnviz", "images/s bare", "cnnviz/bare", "val acc", "note"]


def device_line(backend: str) -> str:
    """Return what the backend trains on, as the worker records it (system.describe_training_device)."""
    code = "import keras; from cnnviz.runtime import system; print(system.describe_training_device())"
    environment = {**training_overhead.child_environment(), "KERAS_BACKEND": backend}
    result = subprocess.run(
        [sys.executable, "-c", code], env=environment, capture_output=True, text=True, timeout=180, check=False
    )
    lines = result.stdout.strip().splitlines()
    return lines[-1] if result.returncode == 0 and lines else f"failed: {result.stderr.strip()[-400:]}"


def describe_epochs(result: dict) -> str:
    """Return a worker run's seconds per epoch, e.g. '9.1/4.2/4.1'."""
    return "/".join(f"{record.seconds:.1f}" for record in result["history"])


def measured_row(backend: str, label: str, workload: Workload, rounds: int) -> Row:
    """Return the row of a workload timed on both sides (worker and bare), alternating."""
    worker, bare = training_overhead.alternate(workload, rounds)
    return Row(
        backend,
        label,
        describe_epochs(worker[0]),
        training_overhead.median_rate(worker),
        training_overhead.median_rate(bare),
        worker[0]["history"][-1].val_accuracy,
        f"{rounds} round(s)",
    )


def worker_row(backend: str, label: str, workload: Workload) -> Row:
    """Return the row of one worker run."""
    result = training_overhead.run_worker(workload)
    return Row(
        backend,
        label,
        describe_epochs(result),
        result["images_per_second"],
        validation_accuracy=result["history"][-1].val_accuracy,
    )


def plan(backends: list[str], sizes: argparse.Namespace, folder: Path) -> list[tuple[str, str, object]]:
    """Return the steps as (backend, label, thunk), in the order they run."""
    fashion = Workload("fashion_separable", "fashion_mnist", sizes.epochs, limit=sizes.fashion_limit)
    fashion_label = f"fashion_separable {sizes.fashion_limit or 55_000:,} ×{sizes.epochs}"
    baseline = Workload("catsdogs_baseline", "folder", sizes.epochs, dataset_path=folder)
    augmented = Workload("catsdogs_dropout_augment", "folder", sizes.epochs, dataset_path=folder, augment=True)
    plain = Workload("catsdogs_dropout_augment", "folder", sizes.epochs, dataset_path=folder)
    size = f"{sizes.catsdogs_images:,} 150×150"
    steps = []
    # Backend by backend: on the H200, one PyTorch Fashion-MNIST run outlasted what was left, and going
    # step by step across backends let it take the JAX rows' time with it.
    for backend in backends:
        for step in sizes.steps:
            if step == "fashion":
                thunk = lambda b=backend: measured_row(b, fashion_label, fashion, sizes.rounds)  # noqa: E731
                steps.append((backend, fashion_label, thunk))
            if step == "augment":
                for workload, label in ((augmented, "augmentation on"), (plain, "augmentation off")):
                    name = f"catsdogs_dropout_augment {size}, {label}"
                    steps.append((backend, name, lambda b=backend, w=workload, n=name: worker_row(b, n, w)))
            if step == "baseline":
                name = f"catsdogs_baseline {size}"
                steps.append((backend, name, lambda b=backend, n=name: measured_row(b, n, baseline, sizes.rounds)))
    return steps


def run_steps(steps: list, deadline: float) -> list[Row]:
    """Run each step under its backend, keeping going past failures; skip what the deadline leaves no time for."""
    rows = []
    for backend, label, step in steps:
        if time.monotonic() > deadline:
            rows.append(Row(backend, label, note="skipped: out of time"))
            continue
        os.environ["KERAS_BACKEND"] = backend  # the worker and bare processes inherit it
        # A slow or hung child must not take the table with it: none outlives the budget by more than 20 s.
        training_overhead.CHILD_DEADLINE = deadline + 20
        started = time.monotonic()
        try:
            row = step()
        except (RuntimeError, subprocess.SubprocessError, OSError, KeyError, ValueError) as error:
            row = Row(backend, label, note=f"failed: {str(error).strip().splitlines()[-1][:200]}")
            print(f"{backend} {label} failed:\n{error}", file=sys.stderr)
        row.note = f"{row.note} {time.monotonic() - started:.0f} s".strip()
        print(" | ".join(row.cells()), flush=True)
        rows.append(row)
    return rows


def print_table(rows: list[Row]) -> None:
    """Print the rows as one aligned table."""
    table = [HEADER, *(row.cells() for row in rows)]
    widths = [max(len(line[column]) for line in table) for column in range(len(HEADER))]
    for line in table:
        print("  ".join(cell.ljust(width) for cell, width in zip(line, widths)).rstrip())


def main() -> None:
    """Measure every step and print the table."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backends", nargs="+", default=["jax", "torch"])
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a CPU rehearsal of the whole script")
    parser.add_argument("--budget-seconds", type=float, default=450)
    parser.add_argument("--steps", nargs="+", default=["fashion", "augment", "baseline"], help="in this order")
    parser.add_argument("--rounds", type=int, help="worker/bare rounds (default 2; 1 with --quick)")
    parser.add_argument("--fashion-limit", type=int, help="Fashion-MNIST training images (default all 55,000)")
    parser.add_argument("--skip-device-probe", action="store_true")
    arguments = parser.parse_args()
    arguments.epochs = 2 if arguments.quick else 3
    arguments.rounds = arguments.rounds or (1 if arguments.quick else 2)
    arguments.fashion_limit = arguments.fashion_limit or (1_000 if arguments.quick else None)
    arguments.catsdogs_images = 100 if arguments.quick else 2_000
    deadline = time.monotonic() + arguments.budget_seconds
    from cnnviz.runtime import system

    print(f"versions: {json.dumps(system.package_versions())}; machine: {system.describe_device()}", flush=True)
    devices = {} if arguments.skip_device_probe else {backend: device_line(backend) for backend in arguments.backends}
    for backend, line in devices.items():
        print(f"{backend}: {line}", flush=True)
    with tempfile.TemporaryDirectory() as folder:
        generated_images.write_folder(Path(folder), arguments.catsdogs_images, max(arguments.catsdogs_images // 10, 20))
        rows = run_steps(plan(arguments.backends, arguments, Path(folder)), deadline)
    print()
    for backend, line in devices.items():
        print(f"{backend}: {line}")
    print_table(rows)
    if os.environ.get("OUT"):
        record = {"devices": devices, "versions": system.package_versions(), "rows": [asdict(row) for row in rows]}
        (Path(os.environ["OUT"]) / "gpu_check.json").write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
