"""The overfitting experiment in a real browser: one click queues four runs, the page follows them, Compare opens."""

import pytest
from playwright.sync_api import expect

from cnnviz.learning import experiment
from cnnviz.runtime import jobs, runs
from tests.e2e.test_browser import assert_no_exception, open_page
from tests.waiting import wait_for

pytestmark = pytest.mark.e2e


def test_one_click_runs_the_four_variants_and_opens_compare_on_them(page, server_url, server_runs_dir):
    open_page(page, f"{server_url}/train", "Train")
    page.locator(".st-key-train_experiment_start button").first.click()
    experiment_id = wait_for(lambda: experiment.latest_experiment(server_runs_dir))
    try:
        variants = wait_for(
            lambda: len(found := experiment.experiment_runs(experiment_id, server_runs_dir)) == 4 and found
        )
        assert [run.config.variant for run in variants] == ["baseline", "dropout", "augmentation", "both"]
        assert len({(run.config.seed, run.config.limit, run.config.epochs) for run in variants}) == 1
        for run in variants:  # one complete epoch each is enough to compare: stop each run after it
            wait_for(lambda run=run: runs.load_run(run.run_id, server_runs_dir).epochs_done >= 1)
            jobs.stop(run.run_id, server_runs_dir)
            wait_for(lambda run=run: not runs.load_run(run.run_id, server_runs_dir).state.is_active)
        expect(page.get_by_role("heading", name="Compare", level=1)).to_be_visible(timeout=60_000)
        expect(page.get_by_test_id("stPlotlyChart").first).to_be_visible(timeout=30_000)  # not a blank main area
        for run in variants:
            # The table's own cells are hidden (its grid draws on a canvas): the label a person sees is a visible one.
            expect(page.get_by_text(run.label, exact=True).filter(visible=True).first).to_be_visible(timeout=30_000)
        assert_no_exception(page)
    finally:
        for run in experiment.experiment_runs(experiment_id, server_runs_dir):
            if runs.load_run(run.run_id, server_runs_dir).state.is_active:
                jobs.stop(run.run_id, server_runs_dir)
