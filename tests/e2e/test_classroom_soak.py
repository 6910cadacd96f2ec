"""The classroom soak's round, short: three students for two minutes through every page, nothing broken or left.

benchmarks/classroom_soak.py measures a 45-minute lesson (BENCHMARKS.md); this runs the same soak for two
minutes so the round itself cannot rot: a page that changed its widgets, or a round that stopped reaching a
page, fails here. It runs as a subprocess, as a person runs the benchmark (its Chromium and event loop apart
from the suite's own Playwright). Timings are the benchmark's business, not this test's.
"""

import json
import subprocess
import sys

import pytest

from benchmarks.harness.server import ROOT

pytestmark = pytest.mark.e2e

EVERY_INTERACTION = {
    "open Convolution", "step the kernel", "open Pooling", "step the pool", "open Augmentation",
    "upload to Augmentation", "open Datasets", "open Predict", "pick upload on Predict", "upload to Predict",
    "open Mistakes", "click a matrix cell", "open one mistake",
    "open Network", "pick an image on Network", "click a number on Network", "move the epoch slider",
    "open Your data", "make a dataset", "take a camera photo", "upload photos to Your data",
    "press Train on Your data", "start a training on one's photos",
}  # fmt: skip


def test_two_minutes_of_a_lesson_go_round_every_page_without_an_error(tmp_path):
    figures_file = tmp_path / "figures.json"
    command = [
        sys.executable, "-m", "benchmarks.classroom_soak", "--students", "3", "--minutes", "2",
        "--think-seconds", "0.5", "--arrival-seconds", "5", "--photos", "10", "12", "--limit", "500",
        "--figures-json", str(figures_file),
    ]  # fmt: skip
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=900)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    figures = json.loads(figures_file.read_text())
    assert figures["errors"] == 0, figures["problems"]
    assert EVERY_INTERACTION <= set(figures["interactions"]), EVERY_INTERACTION - set(figures["interactions"])
    assert figures["interactions"]["make a dataset"] == 3  # each student's own (the teacher's rehearsal is not counted)
    # Every photo a student saved is one file on disk, and nothing else is kept there.
    assert figures["own_files"] == figures["own_photos_saved"] > 0
    assert figures["own_trainings_started"] >= 1 and "failed" not in figures["own_trainings"]
    assert figures["training_failures"] == [] and figures["leftovers"] == []
    assert figures["log_problems"] == []
