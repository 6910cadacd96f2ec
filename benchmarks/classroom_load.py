"""A class at once: N real browser sessions on one `streamlit run` while one training runs.

Each session opens Convolution, steps the kernel once, then opens Augmentation; every step is timed
from the click (or navigation) to the page showing the result (grids drawn, photos decoded).
Training images/s is read from the run's own batches.jsonl, with no load and under each load, in
the same run; the CPU each side used (server, training, browsers) is read from /proc.
Goal (issue: Reliability): N = 10 with p95 under 5 s and training slowed by at most 30%.

    python -m benchmarks.classroom_load --sessions 1 5 10 20
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from playwright.async_api import async_playwright, expect

from cnnviz.learning import training
from cnnviz.runtime import jobs, runs
from tests.e2e.browser import CHROMIUM, CHROMIUM_ARGS, start_server, stop_server

ROOT = Path(__file__).resolve().parents[1]

STEPS = ["open Convolution", "step the kernel", "open Augmentation"]

# The original and its 8 augmented copies, all downloaded and decoded by the browser.
ALL_COPIES_DRAWN = """() => {
    const pictures = [...document.querySelectorAll('[data-testid=stImageContainer] img')];
    return pictures.length >= 9 && pictures.every(picture => picture.complete && picture.naturalWidth > 0);
}"""


async def student(browser, url: str, timings: dict[str, list[float]]) -> None:
    """One student: open Convolution, step the kernel, open Augmentation; time each."""
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


def process_cpu_seconds(pid: int) -> float:
    """Return the CPU seconds a process (all its threads) has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_cpu_seconds() -> float:
    """Return the busy CPU seconds of the whole machine so far (all cores, idle and iowait left out)."""
    user, nice, system, _idle, _iowait, irq, softirq, steal = map(int, Path("/proc/stat").read_text().split()[1:9])
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def cpu_snapshot(server_pid: int, worker_pid: int) -> dict[str, float]:
    """Return CPU seconds used so far by the server, the training worker and the whole machine."""
    return {
        "server": process_cpu_seconds(server_pid),
        "training": process_cpu_seconds(worker_pid),
        "machine": machine_cpu_seconds(),
    }


def describe_cpu(before: dict[str, float], after: dict[str, float], seconds: float) -> str:
    """Return where the CPU went between two snapshots, in cores used on average."""
    used = {name: after[name] - before[name] for name in before}
    browsers = used["machine"] - used["server"] - used["training"]
    return (
        f"cores used over {seconds:.0f} s: server {used['server'] / seconds:.2f}, "
        f"training {used['training'] / seconds:.2f}, browsers and the rest {browsers / seconds:.2f}"
    )


def training_rate(folder: Path, since: float, until: float) -> float:
    """Return the mean images/s the run reported between two wall-clock times (and in the report just after)."""
    records = runs.read_jsonl(folder / "batches.jsonl")
    inside = [record for record in records if since <= record["time"] <= until]
    after = [record for record in records if record["time"] > until][:1]  # it covers the window's last moments
    rates = [record["images_per_second"] for record in inside + after]
    return statistics.mean(rates) if rates else float("nan")


def percentile(values: list[float], fraction: float) -> float:
    """Return the value below which `fraction` of the values fall (nearest rank)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * len(ordered) + 0.5) - 1))]


async def measure_classes(
    folder: Path,
    server_pid: int,
    session_counts: list[int],
    steps: list[str],
    run_student: Callable[[dict[str, list[float]]], Awaitable[None]],
) -> None:
    """Time one student alone, the training alone, then each class size beside the training; print the table."""
    warm: dict[str, list[float]] = {step: [] for step in steps}
    await run_student(warm)  # the first visit imports Keras in the server: reported apart
    print(f"first visit ever (server imports Keras for Augmentation): {warm['open Augmentation'][0]:.1f} s")
    worker_pid = runs.read_json(folder / "status.json")["pid"]
    quiet_start, cpu_before = time.time(), cpu_snapshot(server_pid, worker_pid)
    await asyncio.sleep(15)
    baseline = training_rate(folder, quiet_start, time.time())
    quiet = describe_cpu(cpu_before, cpu_snapshot(server_pid, worker_pid), time.time() - quiet_start)
    print(f"training alone: {baseline:,.0f} images/s; {quiet}")
    print("| sessions | step | p50 s | p95 s | max s |\n|---|---|---|---|---|")
    for count in session_counts:
        timings: dict[str, list[float]] = {step: [] for step in steps}
        started, cpu_before = time.time(), cpu_snapshot(server_pid, worker_pid)
        await asyncio.gather(*(run_student(timings) for _ in range(count)))
        loaded = training_rate(folder, started, time.time())
        cpu_report = describe_cpu(cpu_before, cpu_snapshot(server_pid, worker_pid), time.time() - started)
        for step, values in timings.items():
            median, p95 = statistics.median(values), percentile(values, 0.95)
            print(f"| {count} | {step} | {median:.2f} | {p95:.2f} | {max(values):.2f} |")
        print(f"| {count} | training images/s | {loaded:,.0f} | slowed by {1 - loaded / baseline:.0%} | |")
        print(f"| {count} | {cpu_report} | | | |")
        await asyncio.sleep(10)  # let the training settle before the next class size


def wait_for_worker_to_end(folder: Path, timeout: float = 120) -> None:
    """Wait until the run's worker has stopped (it honours Stop within a batch, or a validation batch)."""
    deadline = time.time() + timeout
    while time.time() < deadline and jobs.is_alive(runs.read_json(folder / "status.json").get("pid"), folder.name):
        time.sleep(0.5)


def run_beside_training(measure: Callable[[str, Path, int], Awaitable[None]]) -> None:
    """Start the app and one fashion_separable training, then await measure(url, run folder, server pid)."""
    with tempfile.TemporaryDirectory() as root:
        runs_dir = Path(root) / "runs"
        process, url = start_server(runs_dir, Path(root) / "datasets")
        run_id = jobs.start(
            training.default_config("fashion_separable", "fashion_mnist", epochs=100, limit=20_000), runs_dir
        )
        try:
            deadline = time.time() + 120
            while not runs.read_jsonl(runs_dir / run_id / "batches.jsonl") and time.time() < deadline:
                time.sleep(0.5)
            asyncio.run(measure(url, runs_dir / run_id, process.pid))
        finally:
            jobs.stop(run_id, runs_dir)
            stop_server(process)
            wait_for_worker_to_end(runs_dir / run_id)  # a worker left running would skew the next benchmark


def parse_session_counts() -> list[int]:
    """Return the class sizes asked for on the command line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sessions", type=int, nargs="+", default=[1, 5, 10, 20])
    return parser.parse_args().sessions


def main() -> None:
    """Measure each class size with real Chromium sessions."""
    session_counts = parse_session_counts()

    async def measure(url: str, folder: Path, server_pid: int) -> None:
        async with async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
            await measure_classes(
                folder, server_pid, session_counts, STEPS, lambda timings: student(browser, url, timings)
            )
            await browser.close()

    run_beside_training(measure)


if __name__ == "__main__":
    main()
