"""Does the overfitting experiment overfit on a harder pair of own-photo classes? A cup and a cat on one busy table.

The earlier shots (benchmarks/own_photos_training.py) were crops of two photos that differ in colour everywhere, so
every variant reached 100% validation accuracy. Here each class is one object cut from a scikit-image photo (the
coffee cup from coffee(), the cat's face from chelsea()) in a soft-edged ellipse, its colours matched, channel by
channel, to the two objects' pooled histogram, pasted at a random position, size (30-55% of the frame's height) and
brightness (0.75-1.25×) onto a random crop of the same busy, brown background (immunohistochemistry()), in a random
overall light with sensor noise: 1600×1200 JPEGs, phone-photo size. Only the object's shape and texture tell the
classes apart. They are saved through the Your data page's own code (own_photos.add_photos, which keeps 256 px a
side and splits each class 80/20, seeded), and the four runs are queued as the Train page's button queues them
(experiment.start(experiment.own_photos_plan(...)); `cnnviz experiment` offers only Fashion-MNIST's plan).

    python -m benchmarks.own_photos_overfitting                 # 30 photos a class, seed 0
    python -m benchmarks.own_photos_overfitting --keep /tmp/x   # keep the dataset there to look at
"""

from __future__ import annotations

import argparse
import io
import os
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image
from skimage import data as samples
from skimage import exposure

from cnnviz.data import own_photos

FRAME = (1600, 1200)  # width, height: a phone photo's 4:3
OBJECTS = {  # class -> (photo, the object's box: top, bottom, left, right)
    "cup": (samples.coffee, (15, 315, 165, 415)),
    "cat": (samples.chelsea, (0, 300, 20, 380)),
}


def cut_object(photo: np.ndarray, box: tuple[int, int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """Return an object's box from a photo (float RGB) and a soft-edged elliptical mask (1 inside, 0 outside)."""
    top, bottom, left, right = box
    crop = photo[top:bottom, left:right].astype(np.float64)
    rows, columns = np.mgrid[-1 : 1 : crop.shape[0] * 1j, -1 : 1 : crop.shape[1] * 1j]
    radius = np.sqrt(rows**2 + columns**2)
    mask = np.clip((1.0 - radius) / 0.15, 0.0, 1.0)  # fades over the ellipse's outer 15%
    return crop, mask


def matched_objects() -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return each class's object with its colours matched, channel by channel, to both objects' pooled histogram."""
    cut = {name: cut_object(load(), box) for name, (load, box) in OBJECTS.items()}
    inside = {name: crop[mask > 0] for name, (crop, mask) in cut.items()}
    pooled = np.concatenate(list(inside.values()))[:, None, :]
    matched = {}
    for name, (crop, mask) in cut.items():
        recoloured = crop.copy()
        recoloured[mask > 0] = exposure.match_histograms(inside[name][:, None, :], pooled, channel_axis=-1)[:, 0]
        matched[name] = (np.clip(recoloured, 0, 255), mask)
    return matched


def scene(obj: np.ndarray, mask: np.ndarray, background: np.ndarray, rng: np.random.Generator) -> bytes:
    """Return one JPEG: the object pasted at a random place, size and brightness on a random background crop."""
    width, height = FRAME
    side = rng.uniform(0.6, 1.0) * min(background.shape[0], background.shape[1] * 3 / 4)
    crop_height, crop_width = int(side), int(side * 4 / 3)
    top = rng.integers(0, background.shape[0] - crop_height + 1)
    left = rng.integers(0, background.shape[1] - crop_width + 1)
    table = background[top : top + crop_height, left : left + crop_width]
    frame = np.asarray(Image.fromarray(table).resize(FRAME, Image.BILINEAR), dtype=np.float64)
    object_height = int(height * rng.uniform(0.30, 0.55))
    object_width = int(object_height * obj.shape[1] / obj.shape[0])
    pasted = np.asarray(Image.fromarray(obj.astype(np.uint8)).resize((object_width, object_height)), np.float64)
    alpha = np.asarray(Image.fromarray((mask * 255).astype(np.uint8)).resize((object_width, object_height)))
    alpha = alpha[..., None] / 255.0
    pasted = pasted * rng.uniform(0.75, 1.25)
    y, x = rng.integers(0, height - object_height + 1), rng.integers(0, width - object_width + 1)
    region = frame[y : y + object_height, x : x + object_width]
    frame[y : y + object_height, x : x + object_width] = region * (1 - alpha) + pasted * alpha
    lit = frame * rng.uniform(0.8, 1.2) + rng.normal(0, 4, frame.shape)
    buffer = io.BytesIO()
    Image.fromarray(np.clip(lit, 0, 255).astype(np.uint8)).save(buffer, format="JPEG", quality=88)
    return buffer.getvalue()


def make_scene_dataset(per_class: int = 30, seed: int = 0) -> own_photos.OwnDataset:
    """Make an own-photo dataset 'cup and cat on a table' in CNNVIZ_DATASETS_DIR, `per_class` photos a class."""
    background = samples.immunohistochemistry()
    dataset = own_photos.create("cup and cat on a table", "\n".join(OBJECTS))
    for offset, (class_name, (obj, mask)) in enumerate(matched_objects().items()):
        rng = np.random.default_rng(seed + offset)
        shots = [(f"shot{number:02d}.jpg", scene(obj, mask, background, rng)) for number in range(per_class)]
        result = own_photos.add_photos(dataset, class_name, shots)
        assert result.saved == per_class, result.refused
    return dataset


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0, help="the photos' seed; the runs' seed is 0, as on Train")
    parser.add_argument("--keep", type=Path, help="make the dataset under this folder and keep it")
    parser.add_argument("--no-train", action="store_true", help="only make the dataset")
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as root:
        os.environ["CNNVIZ_DATASETS_DIR"] = str(arguments.keep or Path(root) / "datasets")
        runs_dir = Path(root) / "runs"
        dataset = make_scene_dataset(arguments.per_class, arguments.seed)
        print(f"dataset: {dataset.folder}")
        print(
            "photos per class:",
            {count.class_name: (count.train, count.validation) for count in own_photos.class_counts(dataset)},
        )
        if arguments.no_train:
            return
        from cnnviz.__main__ import format_rows
        from cnnviz.learning import experiment

        started = time.monotonic()
        experiment_id, _ = experiment.start(experiment.own_photos_plan(str(dataset.folder)), runs_dir)
        finished = experiment.wait(experiment_id, runs_dir)
        print(format_rows([experiment.summarize(run).as_row() for run in finished]))
        print(f"four runs in {time.monotonic() - started:.1f} s")
        for run in finished:
            if not run.epochs_done:
                print(run.label, run.message)
        for run in finished:  # the curves behind the table: every 5th epoch
            shown = [
                f"{each.epoch}: {each.accuracy:.2f}/{each.val_accuracy:.2f} {each.loss:.2f}/{each.val_loss:.2f}"
                for each in run.epochs
                if each.epoch % 5 == 0
            ]
            print(f"{run.config.variant.value}: epoch: acc/val_acc loss/val_loss  " + "  ".join(shown))


if __name__ == "__main__":
    main()
