"""From a click on Start to the first batch point drawn on the Train page, in Chromium.

Two servers side by side in one run: one as shipped (a warm worker with Keras imported waits for the
Start) and one with CNNVIZ_WARM_WORKER=0 (every Start starts a Python process that imports
TensorFlow). Each round opens the Train page, waits until the warm worker (if any) is idle, as a
class does between opening the page and pressing Start, clicks Start, and times until the live
chart holds a training point; then it stops the run. Prints each median and
`median = X s` for the warm worker. Target (issue 12): under 2 s.

    .venv/bin/python -m benchmarks.start_latency --rounds 5
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from benchmarks.harness.chromium import launch_chromium
from benchmarks.harness.server import start_server, stop_server
from benchmarks.harness.trainings import stop_every_run
from cnnviz.runtime import runs, warm

FIRST_POINT = """() => {
  const chart = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  return !!chart && !!chart.data && chart.data.some(trace => trace.x && trace.x.length > 0);
}"""


def wait_until(condition, timeout: float) -> None:
    """Poll `condition()` every 50 ms until it holds, or raise after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("gave up waiting")
        time.sleep(0.05)


def first_batch_time(root: Path) -> tuple[float, float]:
    """Return the wall-clock times the only run was created and its first batch record was written."""
    (run,) = runs.list_runs(root)
    return run.created, run.batches()[0].time


def time_one_start(browser, warm_worker: bool) -> tuple[float, float, float]:
    """Return the seconds from Start to the run created, to its first batch written, to that point drawn.

    On a fresh server and run store each time.
    A fresh store each time: a page that already shows a run's curves would count the old chart as
    the new run's first point.
    """
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "runs"
        root.mkdir()
        process, url = start_server(root, Path(folder) / "datasets")
        context = browser.new_context(viewport={"width": 1440, "height": 900})
        page = context.new_page()
        try:
            page.goto(f"{url}/train")
            expect(page.get_by_text("No runs yet")).to_be_visible(timeout=120_000)
            if warm_worker:
                wait_until(lambda: warm.idle_workers(root), timeout=120)
            time.sleep(1.0)  # the page settles, as it does before a teacher clicks
            clicked = time.time()
            page.locator(".st-key-train_start button").first.click()
            wait_until(lambda: page.evaluate(FIRST_POINT), timeout=120)
            drawn = time.time()
            created, first_batch = first_batch_time(root)
            stop_every_run(root)
        finally:
            context.close()
            stop_server(process)
    return created - clicked, first_batch - clicked, drawn - clicked


def time_starts(browser, warm_worker: bool, rounds: int) -> list[tuple[float, float, float]]:
    """Return (created, first batch, drawn) seconds after Start for each round, with or without the warm worker."""
    # Set here, not only for the server: this process's jobs calls (the Stops) may start workers too.
    os.environ["CNNVIZ_WARM_WORKER"] = "1" if warm_worker else "0"
    return [time_one_start(browser, warm_worker) for _ in range(rounds)]


def main() -> None:
    """Time Start to first point with and without the warm worker and print the medians."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--warm-only", action="store_true", help="skip the rounds without a warm worker")
    arguments = parser.parse_args()
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            cold = [] if arguments.warm_only else time_starts(browser, warm_worker=False, rounds=arguments.rounds)
            warm_rounds = time_starts(browser, warm_worker=True, rounds=arguments.rounds)
        finally:
            browser.close()
    for title, rounds in (("new worker process", cold), ("warm worker", warm_rounds)):
        for created, first_batch, drawn in rounds:
            print(f"{title}: run created {created:.2f} s, first batch written {first_batch:.2f} s, drawn {drawn:.2f} s")
    if cold:
        print(f"new worker process: median {statistics.median(drawn for *_, drawn in cold):.2f} s")
    print(f"median = {statistics.median(drawn for *_, drawn in warm_rounds):.2f} s")


if __name__ == "__main__":
    main()
