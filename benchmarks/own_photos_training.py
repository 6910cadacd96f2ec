"""How long the small 64×64 convnet takes on a class's own photos: 2 classes × 30 photos, through the CLI.

The photos are hand-held-camera-like shots of two real photos that ship with scikit-image (the cat and the
coffee cup): each a random crop of 20-60% of the picture (a part of it, the way a phone held close frames
it), in a slightly different light, saved through the Your data page's own code (own_photos.add_photos).
The run is the Train page's
(`python -m cnnviz train`, a process of its own, Keras imported in it), so the time is what a student waits.

    python -m benchmarks.own_photos_training               # the baseline, the recipe's 40 epochs
    python -m benchmarks.own_photos_training --experiment  # the four runs of the overfitting experiment
"""

from __future__ import annotations

import argparse
import io
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from cnnviz.data import images, own_photos

PHOTOS = {"cat": "cat (chelsea)", "coffee": "coffee"}


def shots_of(photo: np.ndarray, count: int, seed: int) -> list[tuple[str, bytes]]:
    """Return `count` JPEG shots of a photo as a hand-held camera takes them: crops, shifts, light."""
    rng = np.random.default_rng(seed)
    height, width = photo.shape[:2]
    shots = []
    for number in range(count):
        share = rng.uniform(0.2, 0.6)
        crop_height, crop_width = int(height * share), int(width * share)
        top, left = rng.integers(0, height - crop_height + 1), rng.integers(0, width - crop_width + 1)
        crop = photo[top : top + crop_height, left : left + crop_width].astype(np.float64)
        lit = np.clip(crop * rng.uniform(0.8, 1.2) + rng.normal(0, 4, crop.shape), 0, 255).astype(np.uint8)
        buffer = io.BytesIO()
        Image.fromarray(lit).save(buffer, format="JPEG", quality=85)
        shots.append((f"shot{number:02d}.jpg", buffer.getvalue()))
    return shots


def make_photo_dataset(per_class: int = 30, seed: int = 0) -> own_photos.OwnDataset:
    """Make an own-photo dataset 'cat and coffee' in CNNVIZ_DATASETS_DIR with `per_class` shots of each class."""
    dataset = own_photos.create("cat and coffee", "\n".join(PHOTOS))
    for offset, (class_name, sample) in enumerate(PHOTOS.items()):
        result = own_photos.add_photos(
            dataset, class_name, shots_of(images.load_sample_photo(sample), per_class, seed + offset)
        )
        assert result.saved == per_class, result.refused
    return dataset


def time_training(dataset: own_photos.OwnDataset, runs_dir: Path, epochs: int | None) -> float:
    """Train the recipe's baseline on the dataset through the CLI; return the wall-clock seconds."""
    command = [sys.executable, "-m", "cnnviz", "train", "--recipe", "own_photos_small", "--dataset", "folder"]
    command += ["--dataset-path", str(dataset.folder), "--no-augment", "--no-dropout", "--seed", "0"]
    command += ["--epochs", str(epochs)] if epochs else []
    started = time.monotonic()
    subprocess.run(command, check=True, env={**os.environ, "CNNVIZ_RUNS_DIR": str(runs_dir)}, capture_output=True)
    return time.monotonic() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=None, help="default: the recipe's own")
    parser.add_argument("--experiment", action="store_true", help="time the four runs of the experiment instead")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        os.environ["CNNVIZ_DATASETS_DIR"] = str(Path(root) / "datasets")
        runs_dir = Path(root) / "runs"
        dataset = make_photo_dataset()
        print(
            "photos per class:",
            {count.class_name: (count.train, count.validation) for count in own_photos.class_counts(dataset)},
        )
        if not arguments.experiment:
            seconds = time_training(dataset, runs_dir, arguments.epochs)
            from cnnviz.runtime import runs

            run = runs.list_runs(runs_dir)[0]
            last = run.epochs[-1]
            print(f"{run.epochs_done} epochs in {seconds:.1f} s (CLI, Keras import included)")
            print(f"final: train accuracy {last.accuracy:.3f}, validation accuracy {last.val_accuracy:.3f}")
            return
        from cnnviz.learning import experiment

        started = time.monotonic()
        experiment_id, _ = experiment.start(experiment.own_photos_plan(str(dataset.folder)), runs_dir)
        finished = experiment.wait(experiment_id, runs_dir)
        print(f"four runs in {time.monotonic() - started:.1f} s")
        for run in finished:
            print(experiment.summarize(run).as_row(), "" if run.epochs_done else run.message)


if __name__ == "__main__":
    main()
