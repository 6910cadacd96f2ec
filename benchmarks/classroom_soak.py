"""A whole lesson on one server: N protocol-level students for M minutes while trainings run back to back.

Each student (benchmarks/soak_lesson.py and soak_model_pages.py, speaking Streamlit's protocol) downloads
the static files a fresh Chromium fetched, opens a tab, then goes round the lesson until the time is up:
Convolution (stepping), Pooling, Augmentation (an upload of its own), Datasets, Predict (an upload onto a run
trained first with `python -m cnnviz train` and evaluated with `python -m cnnviz evaluate`), Mistakes (a cell,
then one mistake's Grad-CAM), Network (an image, a clicked number, epoch 1) and Your data (a dataset of
their own, a camera photo and a handful of uploads a round until their 20-60 are in; one student in five then
trains on them), thinking a moment between clicks and reopening its tab every few rounds. Meanwhile short
trainings run one after another through jobs.start. Before the class the teacher goes round once, untimed.

It prints `errors = N` (exception elements, failed uploads, closed websockets, timeouts), `p95 step = S s`
(each interaction, from the request to its last picture, after everyone has arrived), the server's memory
(VmRSS) every 30 s and `rss growth = X %` (the end against minute 10, or half-time in a shorter run; samples
move ±100 MiB with the collector, so `rss trend` also gives the last 5 minutes' mean against the first 5's and a
fitted line), the server's open files and threads (start, end, and 60 s after the last student left), the disk
the students' photos take against what they saved, and the `cnnviz` processes left once trainings are stopped
and the server is gone. Goal (issue 25): 0 errors, p95 under 1 s, growth at most 5 %, nothing leaked.

    python -m benchmarks.classroom_soak --students 30 --minutes 45
"""

from __future__ import annotations

import argparse
import asyncio
import os
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.harness import processes, trainings
from benchmarks.harness.processes import ProcessSample
from benchmarks.harness.protocol import Tab, record_static_files
from benchmarks.harness.server import start_server, stop_server
from benchmarks.soak_lesson import MECHANICS_ROUND, Lesson, OwnPhotos, Student, attend, enrol, make_photos
from benchmarks.soak_model_pages import MODEL_ROUND, UPLOADS_PER_ROUND, make_camera_photos
from benchmarks.soak_report import SoakFigures, report, write_figures
from cnnviz.learning import training
from cnnviz.runtime import jobs, runs
from cnnviz.runtime.runs import RunState

PREDICT_RUN_LABEL = "soak: the model Predict uses"
GROWTH_FROM_SECONDS = 600  # minute 10: arrivals, first loads and the caches' filling are behind us by then
MEMORY_SAMPLE_SECONDS = 30
SETTLE_SECONDS = 10
AFTER_LEAVING_SECONDS = 60  # closed tabs' sessions are freed after 30 s (CLASS_SERVER_FLAGS)
TRAINING_POLL_SECONDS = 2.0
ROUND = MECHANICS_ROUND + MODEL_ROUND


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


def parse_arguments(arguments: list[str] | None = None) -> argparse.Namespace:
    """Return the class size, the lesson's length and how the students behave."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--minutes", type=float, default=45)
    parser.add_argument("--think-seconds", type=float, default=3, help="mean pause between two clicks")
    parser.add_argument("--rounds-per-tab", type=int, default=3, help="rounds before a student reopens the tab")
    parser.add_argument("--arrival-seconds", type=float, default=30, help="the students arrive over this long")
    parser.add_argument("--timeout-seconds", type=float, default=60, help="an interaction slower than this fails")
    parser.add_argument("--photos", type=int, nargs=2, default=(20, 60), help="photos of their own each student takes")
    parser.add_argument("--limit", type=int, default=2000, help="Fashion-MNIST images each training takes")
    parser.add_argument("--figures-json", type=Path, help="also write the figures a test checks to this file")
    return parser.parse_args(arguments)


async def teacher_round(url: str, lesson: Lesson, photos: list) -> float:
    """Go round the lesson once before class (imports Keras, reads Fashion-MNIST); return the seconds it took."""
    started = time.time()
    tab = await Tab.open(url)
    saved_end, saved_think = lesson.ends_at, lesson.think_seconds
    lesson.ends_at, lesson.think_seconds = time.time() + 3600, 0
    teacher = Student(-1, photos[0], OwnPhotos(target=UPLOADS_PER_ROUND + 1, trains=False))
    for visit in ROUND:
        await visit(tab, lesson, teacher)
    lesson.ends_at, lesson.think_seconds = saved_end, saved_think
    lesson.interactions.clear()
    await tab.close()
    return time.time() - started


def read_cache_bytes(url: str) -> dict[str, int]:
    """Return the bytes each of Streamlit's caches holds (st.cache_data and _resource, uploads, media, session
    state), from its /_stcore/metrics: what the server's memory holds on purpose."""
    with urllib.request.urlopen(f"{url}/_stcore/metrics", timeout=30) as response:
        text = response.read().decode()
    held: dict[str, int] = {}
    for line in text.splitlines():
        if line.startswith("cache_memory_bytes{"):
            labels, value = line[len("cache_memory_bytes{") :].rsplit("} ", 1)
            kind = labels.split('cache_type="', 1)[1].split('"', 1)[0]
            name = labels.split('cache="', 1)[1].split('"', 1)[0]
            held[f"{kind} {name}".strip()] = held.get(f"{kind} {name}".strip(), 0) + int(float(value))
    return held


async def sample_memory(
    pid: int, url: str, began: float, until: float, samples: list[ProcessSample], held: list[dict[str, int]]
) -> None:
    """Sample the server (and what its caches hold) every half minute until the lesson ends, and at its end."""
    moments = [*range(MEMORY_SAMPLE_SECONDS, int(until - began), MEMORY_SAMPLE_SECONDS), until - began]
    for moment in moments:
        await asyncio.sleep(max(0.0, began + moment - time.time()))
        samples.append(processes.sample_process(pid, began))
        held.append(await asyncio.to_thread(read_cache_bytes, url))


def cpu_seconds_now(server_pid: int) -> dict[str, float]:
    """Return the CPU seconds used so far by the server, by this process (the students) and by the whole machine."""
    return {
        "server": processes.process_cpu_seconds(server_pid),
        "students (this soak)": sum(os.times()[:2]),
        "machine": processes.machine_cpu_seconds(),
    }


def cores_used(before: dict[str, float], after: dict[str, float], seconds: float) -> dict[str, float]:
    """Return the cores each used on average between two readings; the rest of the machine is trainings and all."""
    used = {who: (after[who] - before[who]) / seconds for who in before}
    used["trainings and the rest"] = used["machine"] - used["server"] - used["students (this soak)"]
    return used


async def arrive_later(delay: float, *attend_arguments) -> None:
    """Wait for this student's turn to arrive, then attend."""
    await asyncio.sleep(delay)
    await attend(*attend_arguments)


async def hold_lesson(
    url: str, server_pid: int, back_to_back: BackToBackTrainings, arguments: argparse.Namespace, predict_run_id: str
) -> tuple[Lesson, list[ProcessSample], ProcessSample, str, str]:
    """Run the lesson: students, trainings back to back and memory samples; return what was seen."""
    static_paths = await record_static_files(url)
    photos = make_photos(10)
    lesson = Lesson(time.time(), arguments.think_seconds, arguments.timeout_seconds, PREDICT_RUN_LABEL)
    lesson.predict_run_id, lesson.photos_per_student = predict_run_id, tuple(arguments.photos)
    lesson.camera_photos = make_camera_photos()
    print(
        f"a fresh Chromium fetched {len(static_paths)} static files; the teacher's round before class took "
        f"{await teacher_round(url, lesson, photos):.1f} s"
    )
    lesson.problems.clear()  # the teacher's round is a rehearsal: its problems would show in its own run
    began = lesson.began = time.time()
    lesson.ends_at = began + arguments.minutes * 60
    cpu_before = cpu_seconds_now(server_pid)
    samples = [processes.sample_process(server_pid, began)]
    held = [await asyncio.to_thread(read_cache_bytes, url)]
    start_files = processes.describe_open_files(server_pid)
    background = [
        asyncio.create_task(back_to_back.keep_going(lesson.ends_at)),
        asyncio.create_task(sample_memory(server_pid, url, began, lesson.ends_at, samples, held)),
    ]
    spacing = arguments.arrival_seconds / max(1, arguments.students)
    students = [enrol(number, photos, lesson) for number in range(arguments.students)]
    await asyncio.gather(
        *(
            arrive_later(n * spacing, student, url, static_paths, lesson, arguments.rounds_per_tab, ROUND)
            for n, student in enumerate(students)
        )
    )
    await asyncio.gather(*background)
    lesson.cores_used = cores_used(cpu_before, cpu_seconds_now(server_pid), time.time() - began)
    await asyncio.sleep(AFTER_LEAVING_SECONDS)  # the students' tabs are closed; their sessions go after 30 s
    after = processes.sample_process(server_pid, began)
    after_files = processes.describe_open_files(server_pid)
    lesson.cache_bytes = held
    lesson.after_next_tabs = await open_next_tabs(url, server_pid, began)
    return lesson, samples, after, start_files, after_files


async def open_next_tabs(url: str, server_pid: int, began: float) -> ProcessSample:
    """Open and close two tabs after the class, as the next one arriving does; return the server's state then.

    Streamlit drops a closed tab's expired session only when another tab closes, and the session's event loop
    (a socket pair and an epoll) closes when the garbage collector next runs, after a script run.
    """
    for _ in range(2):
        tab = await Tab.open(url)
        await tab.rerun("convolution", fresh=True)
        await tab.close()
        await asyncio.sleep(SETTLE_SECONDS)
    return processes.sample_process(server_pid, began)


def server_problems(server_log: list[str]) -> list[str]:
    """Return the server log's tracebacks and errors (students would have seen them as failures)."""
    return [line for line in server_log if "Traceback" in line or "Error" in line or "Exception" in line]


def own_photo_files(datasets_dir: Path) -> tuple[int, int]:
    """Return how many photo files the students' datasets hold on disk and their bytes."""
    files = [path for path in (datasets_dir / "own").rglob("*") if path.is_file() and not path.name.startswith(".")]
    return len(files), sum(path.stat().st_size for path in files)


def own_training_states(runs_dir: Path) -> dict[str, int]:
    """Return the students' own-photo trainings counted by their final state."""
    states = [run.state.value for run in runs.list_runs(runs_dir) if "/own/" in str(run.config.dataset_path or "")]
    return {state: states.count(state) for state in dict.fromkeys(states)}


# The README's "One server for a class": no typed paths, and a closed tab's session (its state and
# uploads) freed after 30 s instead of Streamlit's 120 s, so the memory of 60 reopened tabs is not held.
CLASS_SERVER_FLAGS = ("--server.disconnectedSessionTTL", "30")
# and glibc at two heaps, as scripts/run-app starts the server (why: the comment there).
CLASS_SERVER_ENVIRONMENT = {"CNNVIZ_ALLOW_SERVER_PATHS": "0", "MALLOC_ARENA_MAX": "2"}


def train_predict_run(runs_dir: Path, limit: int) -> str:
    """Train and evaluate the run Predict, Mistakes and Network look at (2 epochs: Network replays epoch 1)."""
    arguments = ("--recipe", "fashion_separable", "--dataset", "fashion_mnist", "--limit", str(limit), "--epochs", "2")
    folder = trainings.train_with_cli(runs_dir, *arguments, "--label", PREDICT_RUN_LABEL)
    trainings.run_cnnviz("evaluate", "--run-dir", str(folder))
    return runs.load_folder(folder).run_id


def hold_class(arguments: argparse.Namespace) -> SoakFigures:
    """Train the class's model, start the server, hold the lesson, stop everything; return the figures."""
    with tempfile.TemporaryDirectory(prefix="cnnviz-soak-") as root:
        runs_dir, datasets_dir = Path(root) / "runs", Path(root) / "datasets"
        predict_run_id = train_predict_run(runs_dir, arguments.limit)
        process, url = start_server(runs_dir, datasets_dir, CLASS_SERVER_FLAGS, CLASS_SERVER_ENVIRONMENT)
        back_to_back = BackToBackTrainings(runs_dir, limit=arguments.limit)
        try:
            lesson, samples, after, start_files, after_files = asyncio.run(
                hold_lesson(url, process.pid, back_to_back, arguments, predict_run_id)
            )
        finally:
            back_to_back.stop()
            trainings.stop_every_run(runs_dir)  # the students' own trainings still queued or running
            stop_server(process)
        time.sleep(SETTLE_SECONDS)  # a worker gone with its server has a moment to exit
        own_files, own_bytes = own_photo_files(datasets_dir)
        return SoakFigures(
            lesson, samples, after, start_files, after_files, back_to_back.describe(), back_to_back.failures(),
            own_training_states(runs_dir), own_files, own_bytes, processes.find_processes("cnnviz", str(root)),
            server_problems(process.output), min(GROWTH_FROM_SECONDS, arguments.minutes * 30),
        )  # fmt: skip


def main() -> None:
    """Hold a lesson as the arguments say and print its figures."""
    arguments = parse_arguments()
    figures = hold_class(arguments)
    report(figures)
    if arguments.figures_json:
        write_figures(figures, arguments.figures_json)


if __name__ == "__main__":
    main()
