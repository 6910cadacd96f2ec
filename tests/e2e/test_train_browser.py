"""The Train page in a real browser: how soon a batch's metrics appear after the batch ends."""

import re
import statistics
import time

import pytest
from playwright.sync_api import expect

from cnnviz.learning import training
from cnnviz.runtime import jobs, json_files, runs
from tests.e2e.test_browser import assert_no_exception, open_page

pytestmark = pytest.mark.e2e

PROGRESS = re.compile(r"epoch (\d+)/\d+ · batch (\d+)/\d+")


def test_batch_metrics_reach_the_page_within_a_second_and_a_half(page, server_url, server_runs_dir):
    config = training.default_config("fashion_separable", "fashion_mnist", epochs=3, limit=20_000, batch_size=32)
    run_id = jobs.start(config, server_runs_dir)
    folder = server_runs_dir / run_id
    try:
        open_page(page, f"{server_url}/train", "Train")
        progress = page.get_by_test_id("stProgress")
        expect(progress).to_be_visible(timeout=90_000)  # the page re-attached to the running run by itself
        seen: dict[tuple[int, int], float] = {}
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            match = PROGRESS.search(progress.first.inner_text(timeout=5_000))
            if match:
                seen.setdefault((int(match[1]), int(match[2])), time.time())
            time.sleep(0.05)
        written = {(r["epoch"], r["batch"]): r["time"] for r in json_files.read_jsonl(folder / "batches.jsonl")}
        delays = [shown - written[key] for key, shown in seen.items() if key in written]
        print(
            f"batch-to-page delays over {len(delays)} updates: median {statistics.median(delays):.2f} s, "
            f"max {max(delays):.2f} s"
        )
        assert len(delays) >= 5, "the page kept up with the stream"
        assert statistics.median(delays) < 1.5
        assert_no_exception(page)
        page.get_by_role("button", name="Stop").click()
        expect(page.get_by_text(re.compile(r"stopped (after \d+ epochs?|inside epoch 1)"))).to_be_visible(
            timeout=90_000
        )
    finally:
        if runs.load_folder(folder).state.is_active:
            jobs.stop(run_id, server_runs_dir)
