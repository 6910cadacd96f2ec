"""Compare: overlay runs, read where each starts to overfit, and check against the book's figures."""

import pandas as pd
import streamlit as st

import ui
from cnnviz.learning import analysis, mistakes
from cnnviz.pictures import matrices, plots
from cnnviz.runtime import jobs, runs

ui.tighten_top()
ui.title_with_intro(
    "Compare",
    "Overfitting shows as a gap: training keeps improving while validation stalls or gets worse. Overlay runs to "
    "see which fix (dropout, augmentation, a pretrained base) closes it, and by how much.",
)

usable = analysis.comparable(runs.list_runs())
if not usable:
    st.info("No run has finished an epoch yet. Train one on the Train page first.")
    st.stop()
by_id = {run.run_id: run for run in usable}
labels = analysis.choice_labels(usable)
runs_column, smoothing_column = st.columns([5, 1])
selected_ids = runs_column.multiselect(
    "Runs", list(labels), default=analysis.default_selection(usable), format_func=labels.get, key="compare_runs"
)
smoothing = smoothing_column.slider("Smoothing (EMA)", 0.0, 0.9, 0.0, 0.1, key="compare_smoothing")
if not selected_ids:
    st.info("Pick at least one run.")
    st.stop()
selected = [by_id[run_id] for run_id in selected_ids]


@st.fragment(run_every=2.0 if any(run.state.is_active for run in selected) else None)
def show_comparison(run_ids: list[str]) -> None:
    """Draw the curves, the table and the verdicts; refreshed while a selected run still trains."""
    chosen = [runs.load_run(run_id) for run_id in run_ids]
    curves = analysis.curves_of(chosen)
    accuracy_column, loss_column = st.columns(2)
    for column, metric in ((accuracy_column, "accuracy"), (loss_column, "loss")):
        references = analysis.reference_lines(chosen) if metric == "accuracy" else None
        column.plotly_chart(
            plots.compare_figure(curves.histories, metric, smoothing, references, curves.shared, curves.variants),
            key=f"compare_{metric}",
            config={"toImageButtonOptions": {"format": "png", "filename": metric}},
        )
    st.subheader("Overfitting, run by run")
    st.dataframe(pd.DataFrame(analysis.comparison_table(chosen)), hide_index=True, width="stretch")
    for label, verdict in analysis.verdicts(chosen):
        st.markdown(f"**{label}**: {verdict}")


show_comparison(selected_ids)


def is_evaluating(run_id: str) -> bool:
    """Return whether a run's test evaluation is running in a worker now."""
    return jobs.is_evaluating(runs.load_run(run_id))


def show_test_evaluation(run_ids: list[str], was_running: bool) -> None:
    """Evaluate runs on their test splits in a worker; the results show by themselves when it ends."""
    evaluate_column, export_column = st.columns(2)
    run_id = evaluate_column.selectbox(
        "Run to evaluate on its test split", run_ids, format_func=labels.get, key="compare_evaluate_run"
    )
    evaluation = jobs.evaluation_of(runs.load_run(run_id))
    running = any(is_evaluating(each) for each in run_ids)
    if was_running and not running:
        st.rerun()  # it just ended: one full redraw shows the result and stops the polling
    one_column, all_column = evaluate_column.columns(2)
    with ui.explained_errors(stop=False, place=evaluate_column):
        if one_column.button("Evaluate on test set", key="compare_evaluate", disabled=running):
            jobs.evaluate([run_id])
            st.rerun()  # a full rerun, so this section polls until the worker ends
        if all_column.button(f"Evaluate all {len(run_ids)} runs", key="compare_evaluate_all", disabled=running):
            jobs.evaluate(run_ids)
            st.rerun()
    if evaluation is not None and not evaluation.is_finished:
        (evaluate_column.info if evaluation.is_running else evaluate_column.error)(evaluation.describe())
    if evaluation is not None and evaluation.is_finished:
        evaluate_column.success(evaluation.describe())
        evaluate_column.page_link(
            "app_pages/mistakes.py", label="See its mistakes: the confusion matrix", icon=":material/grid_view:"
        )
    export_column.download_button(
        "Download all selected histories (CSV)",
        analysis.histories_csv([runs.load_run(each) for each in run_ids]),
        file_name="histories.csv",
        key="compare_csv",
    )
    export_column.caption("Each figure saves itself as PNG from its camera icon (top right of the chart).")


st.subheader("Test set")
evaluating = any(is_evaluating(run_id) for run_id in selected_ids)
st.fragment(show_test_evaluation, run_every=1.0 if evaluating else None)(selected_ids, evaluating)

SIDE_BY_SIDE_HEIGHT = 470  # half the page's width: a taller figure only adds white space above and below


def show_two_runs(chosen: list[runs.Run]) -> None:
    """Two evaluated runs' confusion matrices side by side, and what the second fixed and broke."""
    evaluated = mistakes.evaluated_runs(chosen)
    pair = mistakes.default_pair(evaluated)
    if pair is None:
        st.caption(
            "Evaluate two runs of the same data (Evaluate all, above) to see what one fixed of the other's mistakes."
        )
        return
    names = {run.run_id: labels[run.run_id] for run in evaluated}
    first_column, second_column = st.columns(2)
    first = first_column.selectbox(
        "First run", list(names), list(names).index(pair[0].run_id), names.get, key="compare_first"
    )
    second = second_column.selectbox(
        "Second run", list(names), list(names).index(pair[1].run_id), names.get, key="compare_second"
    )
    with ui.explained_errors(stop=False):
        difference = mistakes.difference(by_id[first], by_id[second])
        ui.large_text(difference.describe())
        first_column, second_column = st.columns(2)
        for column, matrix, title in (
            (first_column, difference.first, difference.first_label),
            (second_column, difference.second, difference.second_label),
        ):
            column.plotly_chart(matrices.confusion_figure(matrix, title=title, height=SIDE_BY_SIDE_HEIGHT))
        change_column, key_column = st.columns(2)
        change_column.plotly_chart(matrices.difference_figure(difference, height=SIDE_BY_SIDE_HEIGHT))
        key_column.markdown(
            f"**{difference.second_label} − {difference.first_label}**, cell by cell: blue where "
            f"{difference.second_label} does better (more right answers on the diagonal, fewer mistakes off it), red "
            "where it does worse. Hover a cell for both counts."
        )


st.subheader("Mistakes, two runs side by side")
show_two_runs(selected)
ui.next_step("app_pages/mistakes.py", "Next: the mistakes of one run, image by image")
