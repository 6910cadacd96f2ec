"""Compare through AppTest: curves and a table of real runs, a test-set evaluation, the two-run diff."""

import pytest

from cnnviz.learning import mistakes
from cnnviz.runtime import runs
from tests.apptest_helpers import assert_no_errors, open_page, plotly_specs
from tests.helpers import run_ids

keras = pytest.importorskip("keras")


@pytest.fixture
def runs_dir(trained_runs, monkeypatch):
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(trained_runs))
    return trained_runs


@pytest.fixture
def experiment_runs_dir(experiment_runs, monkeypatch):
    """The overfitting experiment's run store, for the two-run diff: (root, runs by variant)."""
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(experiment_runs[0]))
    return experiment_runs


def test_compare_overlays_runs_with_a_table_and_verdicts(runs_dir):
    app = open_page("app_pages/compare.py", timeout=120)
    assert_no_errors(app)
    app.multiselect(key="compare_runs").set_value(
        [*run_ids(runs_dir, "fashion_separable"), *run_ids(runs_dir, "catsdogs_baseline")]
    ).run()
    accuracy, loss = plotly_specs(app)[:2]
    traces = accuracy["data"]
    in_legend = [trace["name"] for trace in traces if trace.get("showlegend", True)]
    labels = {run.label for run in runs.list_runs(runs_dir)}
    assert len(traces) == 4 and sorted(in_legend) == sorted(labels), "one legend entry per run, named by its label"
    assert sorted(trace["line"].get("dash", "solid") for trace in traces) == ["dot", "dot", "solid", "solid"]
    assert "validation solid, training dotted" in accuracy["layout"]["title"]["text"]
    notes = [
        note for note in accuracy["layout"].get("annotations", []) if "published, not a promise" in note.get("text", "")
    ]
    assert notes and all(note["hovertext"].startswith("source: ") for note in notes), "each line names its source"
    table = app.dataframe[0].value
    assert set(table["recipe"]) == {"fashion_separable", "catsdogs_baseline"}
    assert set(table["run"]) == labels
    fashion = runs.load_run(run_ids(runs_dir, "fashion_separable")[0], runs_dir)
    assert fashion.label == "Fashion-MNIST · 2,048 images · dropout"
    assert any(markdown.value.startswith(f"**{fashion.label}**") for markdown in app.markdown)
    app.slider(key="compare_smoothing").set_value(0.5).run()
    assert_no_errors(app)


def test_compare_evaluates_on_the_test_set_in_a_worker(runs_dir):
    import time

    app = open_page("app_pages/compare.py", timeout=120)
    run_id = run_ids(runs_dir, "catsdogs_baseline")[0]
    app.multiselect(key="compare_runs").set_value([run_id]).run()
    app.button(key="compare_evaluate").click().run()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not app.success:
        time.sleep(1)
        app.run()
    assert app.success and "test accuracy" in app.success[0].value and "40 images" in app.success[0].value
    evaluation = runs.load_run(run_id, runs_dir).evaluation()
    assert evaluation.state == "finished" and 0 <= evaluation.accuracy <= 1


def test_compare_diffs_the_experiments_baseline_and_dropout(experiment_runs_dir):
    root, by_variant = experiment_runs_dir
    app = open_page("app_pages/compare.py", timeout=120)
    assert not app.exception
    assert app.selectbox(key="compare_first").value == by_variant["baseline"].run_id
    assert app.selectbox(key="compare_second").value == by_variant["dropout"].run_id
    pair = [runs.load_run(by_variant[name].run_id, root) for name in ("baseline", "dropout")]
    difference = mistakes.difference(*pair)
    texts = [element.proto.body for element in app.get("html")]
    assert any(difference.describe() in text for text in texts)
    titles = [spec["layout"]["title"]["text"] for spec in plotly_specs(app)[2:]]
    assert titles[-1] == f"{difference.second_label} − {difference.first_label}"
    assert app.button(key="compare_evaluate_all").label == "Evaluate all 4 runs"
