"""The run a student picks on one model page is the run the other model pages open on, through AppTest."""

import pytest

from cnnviz.learning import analysis
from cnnviz.runtime import runs
from tests.apptest_helpers import assert_no_errors, open_page

pytest.importorskip("keras")


def test_a_run_picked_on_predict_is_the_one_network_and_mistakes_open_on(trained_runs, monkeypatch):
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(trained_runs))
    default = analysis.best_finished_run(runs.trained_runs()).run_id
    other = next(run.run_id for run in runs.trained_runs() if run.run_id != default)
    app = open_page("app_pages/predict.py", timeout=120)
    assert app.selectbox(key="predict_run").value == default, "a fresh tab opens on the best finished run"
    app.selectbox(key="predict_run").select(other).run()
    for page, key in [("network.py", "network_run"), ("mistakes.py", "mistakes_run"), ("predict.py", "predict_run")]:
        app.switch_page(f"app_pages/{page}")
        app.run()
        assert_no_errors(app)
        assert app.selectbox(key=key).value == other, f"{page} forgot the run picked on Predict"
    app.switch_page("app_pages/mistakes.py")
    app.run()
    app.selectbox(key="mistakes_run").select(default).run()  # picked again, on another page: that one is followed
    app.switch_page("app_pages/network.py")
    app.run()
    assert app.selectbox(key="network_run").value == default
