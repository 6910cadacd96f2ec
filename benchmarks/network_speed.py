"""How fast the Network lesson is on this machine: the time-lapse's cost to training, the page's redraws, and the
filter patterns.

Trains fashion_separable for two epochs on all of Fashion-MNIST (55,000 images) through the CLI, as the Train page
does, so each epoch's weights are kept; then, side by side in this process: writing one snapshot (median of 20)
against the epoch's own seconds from history.jsonl; the page through AppTest: a click on another map and a click on
another number with the model cached, the epoch slider to an epoch not yet loaded and back; the patterns of conv1
(32 filters) and separable3 (128) as the worker computes them.
Targets (issue: inside the trained network): a snapshot < 5% of an epoch; a redraw < 1 s; an epoch switch < 1 s;
a 32-filter layer's patterns < 30 s.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.harness.server import ROOT
from benchmarks.harness.timing import median_seconds
from benchmarks.harness.trainings import run_cnnviz


def snapshot_cost(run, scratch: Path) -> tuple[float, int]:
    """Return the median seconds of writing one epoch's weights, and the file's bytes."""
    from cnnviz.learning import epoch_weights, explain

    model = explain.load_run_model(run)
    target = scratch / "snapshots"
    target.mkdir()
    seconds = median_seconds(lambda: epoch_weights.save_snapshot(model, target, 1), 20)
    return seconds, (target / "epochs" / "epoch-001.weights.npz").stat().st_size


def page_redraws(run) -> dict[str, float]:
    """Return the page's rerun seconds for a map click, a number click, and epoch switches (AppTest, as a click)."""
    sys.path.insert(0, str(ROOT))
    from tests.apptest_helpers import open_page

    app = open_page("app_pages/network.py", timeout=300)
    app.selectbox(key="network_run").select(run.run_id).run()
    maps = [("conv2", 3), ("separable2", 5), ("conv3", 9), ("pool2", 1), ("separable3", 7)]

    def click_map(choice) -> None:
        app.session_state["network_selected"] = choice
        app.run()

    map_click = statistics.median(median_seconds(lambda choice=choice: click_map(choice), 1) for choice in maps)
    cells = [(1, 1), (5, 9), (10, 2), (3, 3), (12, 12)]
    click_map(("conv2", 3))

    def click_cell(cell) -> None:
        app.session_state["network_cell"] = cell
        app.run()

    cell_click = statistics.median(median_seconds(lambda cell=cell: click_cell(cell), 1) for cell in cells)
    app.button_group(key="network_deeper").set_value("Learning, epoch by epoch").run()  # the replay's own pictures
    slider = app.select_slider(key=f"network_epoch_{run.run_id}")
    first_switch = median_seconds(lambda: slider.set_value(1).run(), 1)  # that epoch's model not loaded yet
    back = median_seconds(lambda: app.select_slider(key=f"network_epoch_{run.run_id}").set_value(2).run(), 1)
    again = median_seconds(lambda: app.select_slider(key=f"network_epoch_{run.run_id}").set_value(1).run(), 1)
    return {"map": map_click, "cell": cell_click, "epoch": first_switch, "back": back, "again": again}


def patterns_seconds(run, layer: str) -> float:
    """Return the seconds `cnnviz patterns` takes for one layer, in a process of its own as the page starts it."""
    started = time.perf_counter()
    run_cnnviz("patterns", "--run-dir", str(run.folder), "--layer", layer)
    return time.perf_counter() - started


def main() -> None:
    """Print each figure and its target."""
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch) / "runs"
        os.environ["CNNVIZ_RUNS_DIR"] = str(root)
        run_cnnviz("train", "--recipe", "fashion_separable", "--dataset", "fashion_mnist", "--epochs", "2",
                   "--runs-dir", str(root))  # fmt: skip
        from cnnviz.runtime import runs

        run = runs.list_runs(root)[0]
        epoch = statistics.median(record.seconds for record in run.epochs)
        snapshot, size = snapshot_cost(run, Path(scratch))
        redraws = page_redraws(run)
        conv1, separable3 = patterns_seconds(run, "conv1"), patterns_seconds(run, "separable3")

    def verdict(seconds: float, target: float) -> str:
        return f"{seconds:.2f} s ({'ok' if seconds < target else 'OVER'} the {target:g} s target)"

    share = snapshot / epoch
    print(f"epoch of fashion_separable on 55,000 images: {epoch:.1f} s; one snapshot {snapshot * 1000:.1f} ms "
          f"= {share:.3%} of it ({'ok' if share < 0.05 else 'OVER'} the 5% target); {size / 1e6:.2f} MB an epoch, "
          f"{30 * size / 1e6:.0f} MB for 30 epochs")  # fmt: skip
    print(f"page rerun after a click on another map, model cached: {verdict(redraws['map'], 1)}")
    print(f"page rerun after a click on another number: {verdict(redraws['cell'], 1)}")
    print(f"epoch slider to an epoch not loaded yet: {verdict(redraws['epoch'], 1)}; back to the last: "
          f"{redraws['back']:.2f} s; to the first again (cached): {redraws['again']:.2f} s")  # fmt: skip
    print(f"filter patterns, conv1 (32 filters), `cnnviz patterns` in its own process: {verdict(conv1, 30)}")
    print(f"filter patterns, separable3 (128 filters): {separable3:.1f} s")


if __name__ == "__main__":
    main()
