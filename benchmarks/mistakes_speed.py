"""How fast the Mistakes lesson is on this machine: evaluating 10,000 Fashion-MNIST test images, opening the
matrix, a cell's gallery, and one image's two Grad-CAMs.

Trains fashion_separable for one epoch on 1,000 images (its weights decide nothing here, its size does)
with the whole 10,000-image test split, then times `cnnviz evaluate` as the page starts it (a process of
its own, Keras imported there) and the page's steps in this process. The matrix is opened in a fresh
process too, to show it imports no Keras.
Targets (issue: where the model goes wrong): evaluation < 15 s; matrix < 1 s with no model loaded;
gallery < 1 s; the two Grad-CAMs < 1.5 s with the model cached.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness.server import ROOT
from benchmarks.harness.timing import median_seconds
from benchmarks.harness.trainings import run_cnnviz

OPEN_MATRIX = """
import sys, time
started = time.perf_counter()
from cnnviz.learning import mistakes
from cnnviz.pictures import matrices
from cnnviz.runtime import jobs, runs
run = runs.load_folder(__import__("pathlib").Path(sys.argv[1]))
matrix = mistakes.load_confusion(jobs.evaluation_of(run))
matrices.confusion_figure(matrix, matrix.cells_by_interest()[0]).to_json()
print(time.perf_counter() - started, "keras" in sys.modules, matrix.images)
"""


def train_run(root: Path) -> Path:
    """Train the run whose model is evaluated; return its folder."""
    from cnnviz.learning import training
    from cnnviz.runtime import runs

    config = training.default_config(
        "fashion_separable", "fashion_mnist", epochs=1, limit=1000, validation_limit=10_000, label="benchmark"
    )
    folder = runs.create_run(config, root)  # the CLI has no --validation-limit: the whole test split is the point
    run_cnnviz("train", "--run-dir", str(folder))
    return folder


def main() -> None:
    """Print each step's median and its target."""
    with tempfile.TemporaryDirectory() as scratch:
        folder = train_run(Path(scratch))
        evaluate = median_seconds(lambda: run_cnnviz("evaluate", "--run-dir", str(folder)), 3)
        opened = [
            subprocess.run(
                [sys.executable, "-c", OPEN_MATRIX, str(folder)], cwd=ROOT, check=True, capture_output=True, text=True
            ).stdout.split()
            for _ in range(3)
        ]
        cold_matrix = statistics.median(float(seconds) for seconds, _, _ in opened)
        keras_imported = any(flag == "True" for _, flag, _ in opened)
        images = int(opened[0][2])

        from cnnviz.learning import mistakes
        from cnnviz.pictures import matrices
        from cnnviz.runtime import jobs, runs

        run = runs.load_folder(folder)
        evaluation = jobs.evaluation_of(run)
        warm_matrix = median_seconds(lambda: mistakes.load_confusion(jobs.evaluation_of(run)), 10)
        matrix = mistakes.load_confusion(evaluation)
        started = time.perf_counter()
        split = mistakes.evaluated_split(run, evaluation)
        split_load = time.perf_counter() - started
        cells = matrix.cells_by_interest()

        def draw_gallery(cell) -> None:
            gallery = mistakes.thumbnails(split, matrix, cell)
            matrices.gallery_figure([each.picture for each in gallery], [each.caption for each in gallery]).to_json()

        gallery = statistics.median(median_seconds(lambda cell=cell: draw_gallery(cell), 1) for cell in cells[:10])
        started = time.perf_counter()
        model = mistakes.load_model(run, evaluation)
        model_load = time.perf_counter() - started
        chosen = [image.index for cell in cells[:6] for image in matrix.cell_images(cell, limit=2)]
        mistakes.explain_image(model, split, matrix, chosen[0])  # traces the gradient once, as the first click does
        explain = statistics.median(
            median_seconds(lambda index=index: mistakes.explain_image(model, split, matrix, index), 1)
            for index in chosen[1:]
        )

    def verdict(seconds: float, target: float) -> str:
        return f"{seconds:.2f} s ({'ok' if seconds < target else 'OVER'} the {target:g} s target)"

    print(f"evaluate {images:,} test images, `cnnviz evaluate` in its own process: {verdict(evaluate, 15)}")
    print(f"open the matrix in a fresh process: {verdict(cold_matrix, 1)}; Keras imported: {keras_imported}")
    print(f"open the matrix again (page rerun, predictions read again): {warm_matrix * 1000:.0f} ms")
    print(f"a cell's gallery (24 images, split cached): {verdict(gallery, 1)}; first split load {split_load:.2f} s")
    print(f"two Grad-CAMs of one image, model cached: {verdict(explain, 1.5)}; first model load {model_load:.2f} s")


if __name__ == "__main__":
    main()
