"""Sidebar click → the page's picture, in Debian's Chromium at 1440×900: each page's first visit and its median.

Starts the app as the README does on a fresh run store holding one trained and evaluated Fashion-MNIST
run (so Train, Compare, Mistakes and Predict have something to draw), opens Home, then clicks every page
in the sidebar in lesson order, `--rounds` times. A visit ends when the page's first picture (an SVG grid,
a chart or an image) is visible and Streamlit's running indicator is gone.
Target (issue: what a teacher hit): under 1 s for every page, first visit included.

    python -m benchmarks.page_switch --rounds 4
    python -m benchmarks.page_switch --rounds 4 --settle 15   # the class arrives after the server warmed up
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

from benchmarks.harness.chromium import launch_chromium
from benchmarks.harness.server import start_server, stop_server
from benchmarks.harness.trainings import run_cnnviz, train_with_cli

PAGES = ["Convolution", "Pooling", "Layers", "Augmentation", "Datasets", "Train", "Compare", "Mistakes", "Predict"]
PAGES += ["Network"]
PICTURE = (
    "[data-grid], [data-testid='stPlotlyChart'] .main-svg, [data-testid='stImage'] img, [data-testid='stMarkdown'] svg"
)


def prepare_store(root: Path) -> None:
    """Train one small Fashion-MNIST run and evaluate it."""
    arguments = ("--recipe", "fashion_separable", "--dataset", "fashion_mnist", "--epochs", "1", "--limit", "500")
    run_cnnviz("evaluate", "--run-dir", str(train_with_cli(root, *arguments)))


def visit(page, name: str) -> float:
    """Click a page in the sidebar; return the seconds until its picture shows and the script has finished."""
    started = time.perf_counter()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True).click()
    page.get_by_role("heading", name=name, level=1).wait_for(timeout=60_000)
    page.locator(PICTURE).first.wait_for(state="visible", timeout=60_000)
    page.get_by_test_id("stStatusWidget").wait_for(state="detached", timeout=60_000)
    return time.perf_counter() - started


def main() -> None:
    """Print each page's first visit and the median of the later ones."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument(
        "--settle", type=float, default=0.0, help="seconds on Home before the first click (a server started early)"
    )
    arguments = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        runs_dir = Path(scratch) / "runs"
        runs_dir.mkdir()
        prepare_store(runs_dir)
        process, url = start_server(runs_dir, Path(scratch) / "datasets")
        times: dict[str, list[float]] = {name: [] for name in PAGES}
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                page = browser.new_page(viewport={"width": 1440, "height": 900})
                page.goto(url)
                page.get_by_role("heading", level=1).first.wait_for(timeout=60_000)
                page.wait_for_timeout(arguments.settle * 1000)
                for _ in range(arguments.rounds):
                    for name in PAGES:
                        times[name].append(visit(page, name))
                browser.close()
        finally:
            stop_server(process)
    print(f"{'page':<13} {'first visit':>11} {'median after':>13}  (target < 1 s)")
    for name, measured in times.items():
        later = statistics.median(measured[1:]) if len(measured) > 1 else float("nan")
        flag = "" if max(measured[0], later) < 1 else "  OVER"
        print(f"{name:<13} {measured[0]:>10.2f}s {later:>12.2f}s{flag}")


if __name__ == "__main__":
    main()
