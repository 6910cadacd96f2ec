"""What one student's round of the lesson costs the server, for this checkout and another commit, side by side.

The classroom soak's p95 is a queue: it rises steeply once 30 students ask one process for more CPU than it has,
and moves by a fifth between two runs of the same code on this noisy machine. What the queue is made of is the
server's CPU time per round, and that can be compared fairly: one student goes round every page of the soak
(benchmarks/soak_lesson.py and soak_model_pages.py), with no think time and no training beside it, alternately on
a server of this checkout and one of `--baseline` (a git worktree of that commit), on the same trained run. It
prints each server's CPU seconds a round (median of the rounds) and their ratio, and the median seconds of each
interaction on both.

    python -m benchmarks.round_cost --baseline 9704723 --rounds 5
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from benchmarks.classroom_soak import (
    CLASS_SERVER_ENVIRONMENT,
    CLASS_SERVER_FLAGS,
    PREDICT_RUN_LABEL,
    ROUND,
    train_predict_run,
)
from benchmarks.harness import processes
from benchmarks.harness.protocol import Tab
from benchmarks.harness.server import ROOT, start_server, stop_server
from benchmarks.soak_lesson import Lesson, OwnPhotos, Student, make_photos
from benchmarks.soak_model_pages import UPLOADS_PER_ROUND, make_camera_photos


def parse_arguments(arguments: list[str] | None = None) -> argparse.Namespace:
    """Read the command line: the commit to compare with, the rounds, the training size."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--baseline", required=True, help="a git revision of this repository")
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds on each server, after one untimed")
    parser.add_argument("--limit", type=int, default=2000, help="images the shared run trains on")
    return parser.parse_args(arguments)


def make_worktree(revision: str, folder: Path) -> Path:
    """Check `revision` out into `folder` (a detached git worktree) and return it."""
    subprocess.run(["git", "worktree", "add", "--detach", str(folder), revision], cwd=ROOT, check=True)
    return folder


async def go_round(url: str, lesson: Lesson, student: Student) -> None:
    """Open a tab and visit every page of the soak's round once, with no pause between clicks."""
    tab = await Tab.open(url)
    try:
        for visit in ROUND:
            await visit(tab, lesson, student)
    finally:
        await tab.close()


def timed_round(url: str, pid: int, lesson: Lesson, student: Student) -> float:
    """Go round once; return the server's CPU seconds (all its threads) for it."""
    before = processes.process_cpu_seconds(pid)
    asyncio.run(go_round(url, lesson, student))
    time.sleep(1.0)  # what the last click set off (a collection, a media file) finishes on the server's clock
    return processes.process_cpu_seconds(pid) - before


def make_lesson(run_id: str) -> Lesson:
    """Return a lesson with no think time and no end (one round at a time), on the shared trained run."""
    lesson = Lesson(time.time() + 10**6, 0.0, 120.0, PREDICT_RUN_LABEL, predict_run_id=run_id)
    lesson.camera_photos = make_camera_photos()
    return lesson


def medians_by_interaction(lesson: Lesson) -> dict[str, float]:
    """Return the median seconds of each kind of interaction the lesson timed."""
    kinds: dict[str, list[float]] = {}
    for _started, what, seconds in lesson.interactions:
        kinds.setdefault(what, []).append(seconds)
    return {what: statistics.median(values) for what, values in kinds.items()}


def compare(arguments: argparse.Namespace) -> None:
    """Train the shared run, serve it from both checkouts, alternate rounds between them, print the figures."""
    with tempfile.TemporaryDirectory(prefix="cnnviz-round-cost-") as root:
        root = Path(root)
        baseline = make_worktree(arguments.baseline, root / "baseline")
        runs_dir = root / "runs"
        run_id = train_predict_run(runs_dir, arguments.limit)
        names = {"this checkout": ROOT, f"baseline {arguments.baseline}": baseline}
        servers = {}
        try:
            for number, (name, checkout) in enumerate(names.items()):
                datasets = root / f"datasets-{number}"
                servers[name] = start_server(runs_dir, datasets, CLASS_SERVER_FLAGS, CLASS_SERVER_ENVIRONMENT, checkout)
            lessons = {name: make_lesson(run_id) for name in servers}
            photos = make_photos(2)
            cpu: dict[str, list[float]] = {name: [] for name in servers}
            for round_number in range(arguments.rounds + 1):
                for number, (name, (process, url)) in enumerate(servers.items()):
                    # A new student each round: a new dataset on Your data, as a fresh tab's student makes.
                    own = OwnPhotos(target=UPLOADS_PER_ROUND + 1, trains=False)
                    student = Student(round_number * 10 + number, photos[number % len(photos)], own)
                    seconds = timed_round(url, process.pid, lessons[name], student)
                    if round_number == 0:
                        lessons[name].interactions.clear()  # the first round loads Keras and fills caches
                    else:
                        cpu[name].append(seconds)
        finally:
            for process, _url in servers.values():
                stop_server(process)
            subprocess.run(["git", "worktree", "remove", "--force", str(baseline)], cwd=ROOT, check=False)
    report(cpu, {name: medians_by_interaction(lesson) for name, lesson in lessons.items()})


def report(cpu: dict[str, list[float]], medians: dict[str, dict[str, float]]) -> None:
    """Print each server's CPU seconds a round, their ratio, and each interaction's median on both."""
    (new, old) = cpu
    for name, values in cpu.items():
        rounds = ", ".join(f"{value:.2f}" for value in values)
        print(f"{name}: server CPU a round {statistics.median(values):.2f} s (rounds: {rounds})")
    print(f"ratio (this checkout / baseline) = {statistics.median(cpu[new]) / statistics.median(cpu[old]):.2f}")
    print(f"| interaction | {new} median s | {old} median s |\n|---|---|---|")
    for what in medians[old]:
        print(f"| {what} | {medians[new].get(what, float('nan')):.3f} | {medians[old][what]:.3f} |")


if __name__ == "__main__":
    compare(parse_arguments())
