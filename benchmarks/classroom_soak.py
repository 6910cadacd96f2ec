"""A whole lesson on one server: N protocol-level students for M minutes while trainings run back to back.

Each student (benchmarks/soak_lesson.py, speaking Streamlit's protocol as benchmarks/protocol_students.py
does) downloads the static files a fresh Chromium fetched, opens a tab, then goes round the lesson until
the time is up: Convolution (stepping), Pooling, Augmentation (an upload of its own), Datasets and Predict
(an upload onto a run trained first with `python -m cnnviz train`), thinking a moment between clicks and
reopening its tab every few rounds. Meanwhile short trainings run one after another through jobs.start.
Before the class the teacher goes round once (Keras imported, Fashion-MNIST read), untimed.

It prints `errors = N` (exception elements, failed uploads, closed websockets, timeouts), `p95 step = S s`
(each interaction, from the request to its last picture, after everyone has arrived), `rss growth = X %`
(the server's VmRSS at the end against two minutes in), the server's open files (start, 2 min, end, after
the students left) and the `cnnviz` processes left once the trainings are stopped and the server is gone.
Goal: 0 errors, p95 under 1 s, memory growth at most 10 %, nothing leaked.

    python -m benchmarks.classroom_soak --students 30 --minutes 5
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import processes, trainings
from benchmarks.harness.processes import ProcessSample
from benchmarks.harness.protocol import Tab, record_static_files
from benchmarks.harness.server import start_server, stop_server
from benchmarks.harness.timing import describe_spread, percentile
from benchmarks.soak_lesson import Lesson, attend, go_through_round, make_photos
from cnnviz.learning import training
from cnnviz.runtime import jobs, runs
from cnnviz.runtime.runs import RunState

PREDICT_RUN_LABEL = "soak: the model Predict uses"
GROWTH_BASELINE_SECONDS = 120
MEMORY_SAMPLE_SECONDS = 30
SETTLE_SECONDS = 10
TRAINING_POLL_SECONDS = 2.0
PREDICT_RUN_ARGUMENTS = (
    "--recipe",
    "fashion_separable",
    "--dataset",
    "fashion_mnist",
    "--limit",
    "2000",
    "--epochs",
    "2",
)


@dataclass
class BackToBackTrainings:
    """Short trainings started one after another through jobs.start, each as soon as the last one ends."""

    runs_dir: Path
    epochs: int = 2
    limit: int = 2000
    started: list[str] = field(default_factory=list)
    ended: dict[str, str] = field(default_factory=dict)  # run id -> its final state

    def start_next(self) -> None:
        """Start one more short training (the Train page's path: a queued run folder, then a worker)."""
        config = training.default_config("fashion_separable", "fashion_mnist", epochs=self.epochs, limit=self.limit)
        self.started.append(jobs.start(config, self.runs_dir))

    def poll(self) -> bool:
        """Record the current run's end if it ended (a dead worker is recorded as failed); return if it ended."""
        run = jobs.watch(self.started[-1], self.runs_dir)
        if run.state.is_active:
            return False
        self.ended[run.run_id] = run.state.value
        return True

    async def keep_going(self, until: float) -> None:
        """Keep one training running until `until`, starting the next as each ends."""
        await asyncio.to_thread(self.start_next)
        while time.time() < until:
            await asyncio.sleep(TRAINING_POLL_SECONDS)
            if await asyncio.to_thread(self.poll) and time.time() < until:
                await asyncio.to_thread(self.start_next)

    def stop(self) -> None:
        """Stop the training still running and wait for its worker to end (it stops within a batch)."""
        if self.started and self.started[-1] not in self.ended:
            trainings.stop_and_wait(self.started[-1], self.runs_dir)
            self.poll()

    def describe(self) -> str:
        """Return how many trainings ran and how they ended."""
        states = [self.ended.get(run_id, "still running") for run_id in self.started]
        counted = {state: states.count(state) for state in dict.fromkeys(states)}
        failed = counted.get(RunState.FAILED.value, 0)
        return f"{len(states)} started ({', '.join(f'{n} {state}' for state, n in counted.items())}); failed {failed}"

    def failures(self) -> list[str]:
        """Return the message of every run that failed."""
        loaded = [runs.load_run(run_id, self.runs_dir) for run_id in self.started]
        return [f"{run.run_id}: {run.message}" for run in loaded if run.state is RunState.FAILED]


def parse_arguments() -> argparse.Namespace:
    """Return the class size, the lesson's length and how the students behave."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=5)
    parser.add_argument("--think-seconds", type=float, default=3, help="mean pause between two clicks")
    parser.add_argument("--rounds-per-tab", type=int, default=3, help="rounds before a student reopens the tab")
    parser.add_argument("--arrival-seconds", type=float, default=30, help="the students arrive over this long")
    parser.add_argument("--timeout-seconds", type=float, default=60, help="an interaction slower than this fails")
    return parser.parse_args()


async def teacher_round(url: str, lesson: Lesson, photos: list) -> float:
    """Go round the lesson once before class (imports Keras, reads Fashion-MNIST); return the seconds it took."""
    started = time.time()
    tab = await Tab.open(url)
    rehearsal = Lesson(time.time() + 3600, 0, 300, lesson.predict_run_label)
    await go_through_round(tab, rehearsal, random.Random(0), photos[0], "teacher")
    await tab.close()
    return time.time() - started


async def sample_memory(pid: int, began: float, until: float, samples: list[ProcessSample]) -> None:
    """Sample the server every half minute until the lesson ends, and at two minutes exactly."""
    moments = sorted({*range(0, int(until - began), MEMORY_SAMPLE_SECONDS), GROWTH_BASELINE_SECONDS})
    moments = [moment for moment in moments if moment < until - began]
    for moment in moments:
        await asyncio.sleep(max(0.0, began + moment - time.time()))
        samples.append(processes.sample_process(pid, began))
    await asyncio.sleep(max(0.0, until - time.time()))
    samples.append(processes.sample_process(pid, began))


async def arrive_later(delay: float, *attend_arguments) -> None:
    """Wait for this student's turn to arrive, then attend."""
    await asyncio.sleep(delay)
    await attend(*attend_arguments)


async def hold_lesson(
    url: str, server_pid: int, back_to_back: BackToBackTrainings, arguments: argparse.Namespace
) -> tuple[Lesson, list[ProcessSample]]:
    """Run the lesson: students, trainings back to back and memory samples; return what was seen."""
    static_paths = await record_static_files(url)
    photos = make_photos(10)
    lesson = Lesson(time.time(), arguments.think_seconds, arguments.timeout_seconds, PREDICT_RUN_LABEL)
    print(
        f"a fresh Chromium fetched {len(static_paths)} static files; the teacher's round before class took "
        f"{await teacher_round(url, lesson, photos):.1f} s"
    )
    began = lesson.began = time.time()
    lesson.ends_at = began + arguments.minutes * 60
    samples = [processes.sample_process(server_pid, began)]
    print(f"the server's open files at the start: {processes.describe_open_files(server_pid)}")
    background = [
        asyncio.create_task(back_to_back.keep_going(lesson.ends_at)),
        asyncio.create_task(sample_memory(server_pid, began, lesson.ends_at, samples)),
    ]
    spacing = arguments.arrival_seconds / max(1, arguments.students)
    await asyncio.gather(
        *(
            arrive_later(number * spacing, number, url, static_paths, photos, lesson, arguments.rounds_per_tab)
            for number in range(arguments.students)
        )
    )
    await asyncio.gather(*background)
    await asyncio.sleep(SETTLE_SECONDS)  # the students' websockets are closed; let the server notice
    samples.append(processes.sample_process(server_pid, began))
    print(f"the server's open files after the students left: {processes.describe_open_files(server_pid)}")
    return lesson, samples


def describe_interactions(lesson: Lesson) -> tuple[float, list[str]]:
    """Return the p95 of every interaction after everyone arrived, and one table row per kind of interaction."""
    everyone_in = max(lesson.arrivals, default=float("inf"))
    counted = [(what, seconds) for started, what, seconds in lesson.interactions if started >= everyone_in]
    rows = ["| interaction | count | p50 s | p95 s | max s |", "|---|---|---|---|---|"]
    for what in dict.fromkeys(what for what, _ in counted):
        values = [seconds for kind, seconds in counted if kind == what]
        rows.append(f"| {what} | {len(values)} | {describe_spread(values)} |")
    every = [seconds for _, seconds in counted]
    return (percentile(every, 0.95) if every else float("nan")), rows


def report(
    lesson: Lesson, samples: list[ProcessSample], back_to_back: BackToBackTrainings, leftovers: dict[int, str]
) -> None:
    """Print the soak's figures."""
    p95, rows = describe_interactions(lesson)
    print("\n".join(rows))
    # Two minutes in (the sample nearest to it in a shorter run): arrivals and first loads are behind us by then.
    baseline = min(samples[:-2], key=lambda sample: abs(sample.seconds - GROWTH_BASELINE_SECONDS))
    end, after = samples[-2], samples[-1]
    print("server memory (VmRSS), MiB: " + ", ".join(f"{s.seconds:.0f} s {s.rss_kib / 1024:.0f}" for s in samples))
    kinds = ", ".join(f"{kind} {count}" for kind, count in sorted(lesson.problems.items())) or "none"
    print(f"errors = {sum(lesson.problems.values())} ({kinds})")
    for kind, example in lesson.problem_examples.items():
        print(f"  first {kind}: {example}")
    arrived = max(lesson.arrivals, default=lesson.began) - lesson.began
    print(
        f"p95 step = {p95:.2f} s ({len(lesson.interactions)} interactions, {lesson.uploads} uploads, "
        f"{lesson.tabs_opened} tabs opened; everyone had arrived {arrived:.0f} s in)"
    )
    print(
        f"rss growth = {100 * (end.rss_kib / baseline.rss_kib - 1):.1f} % "
        f"({baseline.rss_kib / 1024:.0f} MiB at {baseline.seconds:.0f} s, {end.rss_kib / 1024:.0f} MiB at the end)"
    )
    print(
        f"open files = {samples[0].open_files} at start, {baseline.open_files} at 2 min, {end.open_files} at the "
        f"end, {after.open_files} after the students left"
    )
    print(f"trainings back to back: {back_to_back.describe()}")
    for failure in back_to_back.failures():
        print(f"  failed: {failure}")
    print(f"leftover cnnviz processes = {len(leftovers)}")
    for pid, command in leftovers.items():
        print(f"  {pid}: {command}")


def print_server_problems(server_log: list[str]) -> None:
    """Print the server log's tracebacks and errors, if any (students would have seen them as failures)."""
    problems = [line for line in server_log if "Traceback" in line or "Error" in line or "Exception" in line]
    print(f"server log: {len(server_log)} lines, {len(problems)} naming an error")
    for line in problems[:10]:
        print(f"  {line.rstrip()[:200]}")


# The README's "One server for a class": no typed paths, and a closed tab's session (its state and
# uploads) freed after 30 s instead of Streamlit's 120 s, so the memory of 60 reopened tabs is not held.
CLASS_SERVER_FLAGS = ("--server.disconnectedSessionTTL", "30")
CLASS_SERVER_ENVIRONMENT = {"CNNVIZ_ALLOW_SERVER_PATHS": "0"}


def main() -> None:
    """Train Predict's model, start the server, hold the lesson, stop everything, print the figures."""
    arguments = parse_arguments()
    with tempfile.TemporaryDirectory(prefix="cnnviz-soak-") as root:
        runs_dir = Path(root) / "runs"
        trainings.train_with_cli(runs_dir, *PREDICT_RUN_ARGUMENTS, "--label", PREDICT_RUN_LABEL)
        process, url = start_server(runs_dir, Path(root) / "datasets", CLASS_SERVER_FLAGS, CLASS_SERVER_ENVIRONMENT)
        back_to_back = BackToBackTrainings(runs_dir)
        try:
            lesson, samples = asyncio.run(hold_lesson(url, process.pid, back_to_back, arguments))
        finally:
            back_to_back.stop()
            stop_server(process)
        time.sleep(SETTLE_SECONDS)  # a worker gone with its server has a moment to exit
        report(lesson, samples, back_to_back, processes.find_processes("cnnviz", str(runs_dir)))
        print_server_problems(process.output)


if __name__ == "__main__":
    main()
