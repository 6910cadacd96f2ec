"""A class at once: N students on one `streamlit run` while one training runs, as Chromiums or as protocol tabs.

Each student opens Convolution, steps the kernel once, then opens Augmentation, and each step is timed.
`--client browser` (the default): N Chromium contexts of one browser on the same cores as the server and
the training, timed from the navigation or key press until the result is drawn (the grids and the photo's
feature map, the new output cell, the original and all 8 copies decoded). `--client protocol`: N tabs that
ask of the server exactly what those browsers ask and nothing else (benchmarks/harness/protocol.py): the
static files a real Chromium fetched for its first visit, the websocket, Convolution, the step (the
fragment rerun the slider sends), Augmentation and its 9 pictures, timed from the request to the last byte.
In a class the browsers run on the students' own machines, so the protocol client is the server's share.
Training images/s comes from the run's own batch records, with no load and under each load, in the same
run; the CPU each side used (server, training, the clients and the rest) is read from /proc.
Goal (issue 7): N = 10 with p95 under 5 s and the training slowed by at most 30%.

    python -m benchmarks.classroom_load --sessions 1 5 10 20
    python -m benchmarks.classroom_load --client protocol --sessions 1 5 10 20
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import async_playwright, expect

from benchmarks.harness import processes, protocol, trainings
from benchmarks.harness.chromium import launch_chromium
from benchmarks.harness.protocol import Tab, TabProblem
from benchmarks.harness.server import start_server, stop_server
from benchmarks.harness.timing import describe_spread
from cnnviz.learning import training
from cnnviz.runtime import jobs, runs

STATIC_FILES = "static files (first visit)"
STEPS = ["open Convolution", "step the kernel", "open Augmentation"]
QUIET_SECONDS = 15
SETTLE_SECONDS = 10
Student = Callable[[dict[str, list[float]]], Awaitable[None]]

# The original and its 8 augmented copies, all downloaded and decoded by the browser.
ALL_COPIES_DRAWN = """() => {
    const pictures = [...document.querySelectorAll('[data-testid=stImageContainer] img')];
    return pictures.length >= 9 && pictures.every(picture => picture.complete && picture.naturalWidth > 0);
}"""


async def browser_student(browser, url: str, timings: dict[str, list[float]]) -> None:
    """One student in a Chromium context of its own: open Convolution, step the kernel, open Augmentation."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(180_000)
    try:
        started = time.perf_counter()
        await page.goto(f"{url}/convolution", timeout=180_000)
        await expect(page.get_by_text("Step 1 of 9")).to_be_visible(timeout=120_000)
        await expect(page.locator("[data-grid=input] [data-cell]")).to_have_count(25, timeout=120_000)
        await expect(page.get_by_text("feature map after ReLU")).to_be_visible(timeout=120_000)
        timings["open Convolution"].append(time.perf_counter() - started)
        started = time.perf_counter()
        await page.get_by_role("slider").first.focus()
        await page.keyboard.press("ArrowRight")
        second_output = page.locator('[data-grid="output"] [data-cell="0,1"] title')
        await expect(second_output).to_have_text("row 1, column 2: 40", timeout=120_000)
        timings["step the kernel"].append(time.perf_counter() - started)
        started = time.perf_counter()
        await page.goto(f"{url}/augmentation", timeout=180_000)
        await expect(page.get_by_text("original: 451×300")).to_be_visible(timeout=120_000)
        await page.wait_for_function(ALL_COPIES_DRAWN, timeout=120_000)
        timings["open Augmentation"].append(time.perf_counter() - started)
    finally:
        await context.close()


async def protocol_student(url: str, static_paths: list[str], timings: dict[str, list[float]]) -> None:
    """One student as protocol: the static files, then a tab that opens Convolution, steps, opens Augmentation."""
    started = time.perf_counter()
    await protocol.download_all(url, static_paths)
    timings[STATIC_FILES].append(time.perf_counter() - started)
    started = time.perf_counter()
    tab = await Tab.open(url)
    try:
        answers = await tab.rerun("convolution")
        await tab.download_media(answers)
        if "Step 1 of 9" not in protocol.text_of(answers):
            raise TabProblem("exception", "Convolution did not show step 1")
        timings["open Convolution"].append(time.perf_counter() - started)
        started = time.perf_counter()
        slider = protocol.find_widget(answers, "convolution_step")
        answers = await tab.rerun("convolution", [protocol.slider_state(slider, 2)], slider.fragment_id)
        if "Step 2 of 9" not in protocol.text_of(answers):
            raise TabProblem("exception", "Convolution did not show step 2")
        timings["step the kernel"].append(time.perf_counter() - started)
        started = time.perf_counter()
        if await tab.download_media(await tab.rerun("augmentation")) < 9:
            raise TabProblem("media", "Augmentation showed fewer than 9 pictures")
        timings["open Augmentation"].append(time.perf_counter() - started)
    finally:
        await tab.close()


def cpu_snapshot(server_pid: int, worker_pid: int) -> dict[str, float]:
    """Return CPU seconds used so far by the server, the training worker and the whole machine."""
    return {
        "server": processes.process_cpu_seconds(server_pid),
        "training": processes.process_cpu_seconds(worker_pid),
        "machine": processes.machine_cpu_seconds(),
    }


def describe_cpu(before: dict[str, float], after: dict[str, float], seconds: float) -> str:
    """Return where the CPU went between two snapshots, in cores used on average."""
    used = {name: after[name] - before[name] for name in before}
    clients = used["machine"] - used["server"] - used["training"]
    return (
        f"cores used over {seconds:.0f} s: server {used['server'] / seconds:.2f}, "
        f"training {used['training'] / seconds:.2f}, browsers and the rest {clients / seconds:.2f}"
    )


def training_rate(folder: Path, since: float, until: float) -> float:
    """Return the mean images/s the run reported between two wall-clock times (and in the report just after)."""
    records = runs.load_folder(folder).batches()
    inside = [record for record in records if since <= record.time <= until]
    after = [record for record in records if record.time > until][:1]  # it covers the window's last moments
    rates = [record.images_per_second for record in inside + after]
    return statistics.mean(rates) if rates else float("nan")


async def measure_classes(folder: Path, server_pid: int, session_counts: list[int], steps: list[str], student: Student):
    """Time one student alone, the training alone, then each class size beside the training; print the table."""
    warm: dict[str, list[float]] = {step: [] for step in steps}
    await student(warm)  # the first visit imports Keras in the server: reported apart
    print(f"first visit ever (server imports Keras for Augmentation): {warm['open Augmentation'][0]:.1f} s")
    worker_pid = runs.load_folder(folder).pid
    quiet_start, cpu_before = time.time(), cpu_snapshot(server_pid, worker_pid)
    await asyncio.sleep(QUIET_SECONDS)
    baseline = training_rate(folder, quiet_start, time.time())
    quiet = describe_cpu(cpu_before, cpu_snapshot(server_pid, worker_pid), time.time() - quiet_start)
    print(f"training alone: {baseline:,.0f} images/s; {quiet}")
    print("| sessions | step | p50 s | p95 s | max s |\n|---|---|---|---|---|")
    for count in session_counts:
        timings: dict[str, list[float]] = {step: [] for step in steps}
        started, cpu_before = time.time(), cpu_snapshot(server_pid, worker_pid)
        await asyncio.gather(*(student(timings) for _ in range(count)))
        loaded = training_rate(folder, started, time.time())
        cpu_report = describe_cpu(cpu_before, cpu_snapshot(server_pid, worker_pid), time.time() - started)
        for step, values in timings.items():
            print(f"| {count} | {step} | {describe_spread(values)} |")
        print(f"| {count} | training images/s | {loaded:,.0f} | slowed by {1 - loaded / baseline:.0%} | |")
        print(f"| {count} | {cpu_report} | | | |")
        await asyncio.sleep(SETTLE_SECONDS)  # let the training settle before the next class size


async def measure_browsers(url: str, folder: Path, server_pid: int, session_counts: list[int]) -> None:
    """Measure each class size with real Chromium sessions."""
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        student = functools.partial(browser_student, browser, url)
        await measure_classes(folder, server_pid, session_counts, STEPS, student)
        await browser.close()


async def measure_protocol(url: str, folder: Path, server_pid: int, session_counts: list[int]) -> None:
    """Measure each class size with protocol-level tabs, after one Chromium has shown which static files to fetch."""
    static_paths = await protocol.record_static_files(url)
    print(f"a fresh Chromium fetched {len(static_paths)} static files to open Convolution")
    student = functools.partial(protocol_student, url, static_paths)
    await measure_classes(folder, server_pid, session_counts, [STATIC_FILES, *STEPS], student)


def run_beside_training(client: str, session_counts: list[int]) -> None:
    """Start the app and one fashion_separable training, then measure the class sizes with the chosen client."""
    measure = {"browser": measure_browsers, "protocol": measure_protocol}[client]
    with tempfile.TemporaryDirectory() as root:
        runs_dir = Path(root) / "runs"
        process, url = start_server(runs_dir, Path(root) / "datasets")
        config = training.default_config("fashion_separable", "fashion_mnist", epochs=100, limit=20_000)
        run_id = jobs.start(config, runs_dir)
        try:
            trainings.wait_for_first_batch(runs_dir / run_id)
            asyncio.run(measure(url, runs_dir / run_id, process.pid, session_counts))
        finally:
            trainings.stop_and_wait(run_id, runs_dir)  # a worker left running would skew the next benchmark
            stop_server(process)


def main() -> None:
    """Measure each class size asked for on the command line with the chosen client."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10, 20], help="class sizes, in order")
    parser.add_argument("--client", choices=["browser", "protocol"], default="browser")
    arguments = parser.parse_args()
    run_beside_training(arguments.client, arguments.sessions)


if __name__ == "__main__":
    main()
