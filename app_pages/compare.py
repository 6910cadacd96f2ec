"""Compare: overlay runs, read where each starts to overfit, and check against the book's figures."""

import pandas as pd
import streamlit as st

import ui
from cnnviz.learning import analysis
from cnnviz.pictures import plots
from cnnviz.runtime import jobs, runs

st.title("Compare")
st.markdown(
    "Overfitting shows as a gap: training keeps improving while validation stalls or gets worse. Overlay runs to "
    "see which fix (dropout, augmentation, a pretrained base) closes it, and by how much."
)

usable = analysis.comparable(runs.list_runs())
if not usable:
    st.info("No run has finished an epoch yet. Train one on the Train page first.")
    st.stop()
by_id = {run.run_id: run for run in usable}
labels = {run.run_id: f"{run.label} ({run.state.value}, {run.epochs_done} epochs)" for run in usable}
selected_ids = st.multiselect(
    "Runs", list(labels), default=analysis.default_selection(usable), format_func=labels.get, key="compare_runs"
)
smoothing = st.slider("Smoothing (exponential moving average)", 0.0, 0.9, 0.0, 0.1, key="compare_smoothing")
if not selected_ids:
    st.info("Pick at least one run.")
    st.stop()
selected = [by_id[run_id] for run_id in selected_ids]


@st.fragment(run_every=2.0 if any(run.state.is_active for run in selected) else None)
def show_comparison(run_ids: list[str]) -> None:
    """Draw the curves, the table and the verdicts; refreshed while a selected run still trains."""
    chosen = [runs.load_run(run_id) for run_id in run_ids]
    short, shared = analysis.shorten_labels([run.label for run in chosen])
    histories = {}
    for name, run in zip(short, chosen):
        histories[name if name not in histories else f"{name} ({run.run_id[9:15]})"] = run.epochs
    accuracy_column, loss_column = st.columns(2)
    for column, metric in ((accuracy_column, "accuracy"), (loss_column, "loss")):
        references = analysis.book_references(chosen) if metric == "accuracy" else None
        column.plotly_chart(
            plots.compare_figure(histories, metric, smoothing, references, subtitle=shared),
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
    evaluation = runs.load_run(run_id).evaluation()
    return evaluation is not None and evaluation.is_running


def show_test_evaluation(run_ids: list[str], was_running: bool) -> None:
    """Evaluate one run on its test split in a worker; the result shows by itself when the worker ends."""
    evaluate_column, export_column = st.columns(2)
    run_id = evaluate_column.selectbox(
        "Run to evaluate on its test split", run_ids, format_func=labels.get, key="compare_evaluate_run"
    )
    evaluation = runs.load_run(run_id).evaluation()
    running = evaluation is not None and evaluation.is_running
    if was_running and not running:
        st.rerun()  # it just ended: one full redraw shows the result and stops the polling
    if evaluate_column.button("Evaluate on test set", key="compare_evaluate", disabled=running):
        with ui.explained_errors(stop=False, place=evaluate_column):
            jobs.evaluate(run_id)
            st.rerun()  # a full rerun, so this section polls until the worker ends
    if evaluation is not None:
        show = {"running": evaluate_column.info, "failed": evaluate_column.error}.get(
            evaluation.state, evaluate_column.success
        )
        show(evaluation.describe())
    export_column.download_button(
        "Download all selected histories (CSV)",
        analysis.histories_csv([runs.load_run(each) for each in run_ids]),
        file_name="histories.csv",
        key="compare_csv",
    )
    export_column.caption("Each figure saves itself as PNG from its camera icon (top right of the chart).")


st.subheader("Test set")
chosen_for_test = st.session_state.get("compare_evaluate_run")
evaluating = chosen_for_test in selected_ids and is_evaluating(chosen_for_test)
st.fragment(show_test_evaluation, run_every=1.0 if evaluating else None)(selected_ids, evaluating)
ui.next_step("app_pages/predict.py", "Next: drop an image on a trained model")
