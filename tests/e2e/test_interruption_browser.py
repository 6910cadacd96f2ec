"""Restart the Streamlit server mid-training: the run keeps going and the page re-attaches to it."""

import re
import time

import pytest
from playwright.sync_api import expect

from cnnviz.runtime import jobs, json_files, runs
from tests.e2e.browser import start_server, stop_server
from tests.e2e.test_browser import assert_no_exception, open_page

pytestmark = pytest.mark.e2e


def test_a_server_restart_never_touches_a_training_run(page, tmp_path):
    runs_dir = tmp_path / "runs"
    process, url = start_server(runs_dir, tmp_path / "datasets")
    try:
        open_page(page, f"{url}/train", "Train")
        page.get_by_text("Settings: epochs, batch size").click()  # the settings sit in an expander
        page.get_by_label("Limit training images (0 = all)").fill("20000")
        page.get_by_label("Limit training images (0 = all)").press("Enter")
        page.locator(".st-key-train_start button").first.click()
        expect(page.get_by_text(re.compile(r"epoch 1/10 · batch \d+/"))).to_be_visible(timeout=90_000)
    finally:
        stop_server(process)
    (run,) = runs.list_runs(runs_dir)
    status = json_files.read_json(runs_dir / run.run_id / "status.json")
    assert jobs.is_alive(status["pid"], run.run_id), "the worker outlived the server"
    written = len(json_files.read_jsonl(runs_dir / run.run_id / "batches.jsonl"))
    time.sleep(2)
    assert len(json_files.read_jsonl(runs_dir / run.run_id / "batches.jsonl")) > written, "and kept training"
    process, url = start_server(runs_dir, tmp_path / "datasets")
    try:
        open_page(page, f"{url}/train", "Train")
        expect(page.get_by_text(re.compile(r"epoch \d+/10 · batch \d+/"))).to_be_visible(timeout=60_000)
        assert_no_exception(page)
        page.get_by_role("button", name="Stop").click()
        expect(page.get_by_text(re.compile(r"stopped (after \d+ epochs?|inside epoch 1)"))).to_be_visible(
            timeout=90_000
        )
    finally:
        stop_server(process)
        if runs.load_run(run.run_id, runs_dir).state.is_active:
            jobs.stop(run.run_id, runs_dir)
