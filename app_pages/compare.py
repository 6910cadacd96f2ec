"""Compare: overlay runs, read where each starts to overfit, and check against the book's figures."""

import pandas as pd
import streamlit as st

from cnnviz import errors
from cnnviz.learning import analysis
from cnnviz.pictures import plots
from cnnviz.runtime import jobs, runs

st.title("Compare")
st.markdown(
    "Overfitting shows as a gap: training keeps improving while validation stalls or gets worse. Overlay runs to "
    "see which fix (dropout, augmentation, a pretrained base) closes it, and by how much."
)

summaries = runs.list_runs()
usable = [summary for summary in summaries if summary.epochs_done > 0]
if not usable:
    st.info("No run has finished an epoch yet. Train one on the Train page first.")
    st.stop()
labels = {summary.run_id: f"{summary.run_id} ({summary.state}, {summary.epochs_done} epochs)" for summary in usable}
default = [run for run in analysis.default_selection(usable) if run in labels] or [usable[0].run_id]
selected = st.multiselect("Runs", list(labels), default=default, format_func=labels.get, key="compare_runs")
smoothing = st.slider("Smoothing (exponential moving average)", 0.0, 0.9, 0.0, 0.1, key="compare_smoothing")
if not selected:
    st.info("Pick at least one run.")
    st.stop()

folders = {run_id: runs.run_dir(run_id) for run_id in selected}
histories = {run_id: runs.history_rows(folder) for run_id, folder in folders.items()}
recipes = {run_id: runs.read_json(folder / "config.json").get("recipe") for run_id, folder in folders.items()}
references = {recipe: analysis.book_reference(recipe) for recipe in set(recipes.values())}
references = {f"book, {recipe}": value for recipe, value in references.items() if value is not None}
for metric in ("accuracy", "loss"):
    smoothed = {
        run: {key: analysis.smooth([r.get(key) for r in records], smoothing) for key in (metric, f"val_{metric}")}
        for run, records in histories.items()
    }
    st.plotly_chart(
        plots.compare_figure(histories, metric, smoothed, references if metric == "accuracy" else None),
        key=f"compare_{metric}",
        config={"toImageButtonOptions": {"format": "png", "filename": metric}},
    )

st.subheader("Overfitting, run by run")
table = pd.DataFrame([analysis.run_row(folder) for folder in folders.values()])
st.dataframe(table.drop(columns=["verdict"]), hide_index=True, width="stretch")
for row in table.to_dict("records"):
    st.markdown(f"**{row['run']}**: {row['verdict']}")

st.subheader("Test set")
evaluate_column, export_column = st.columns(2)
to_evaluate = evaluate_column.selectbox("Run to evaluate on its test split", selected, key="compare_evaluate_run")
evaluation = runs.read_json(folders[to_evaluate] / "evaluation.json")
if evaluate_column.button(
    "Evaluate on test set", key="compare_evaluate", disabled=evaluation.get("state") == "running"
):
    try:
        jobs.evaluate(to_evaluate)
        evaluation = {"state": "running"}
    except errors.CnnvizError as error:
        st.error(str(error))
if evaluation.get("state") == "running":
    evaluate_column.info("Evaluating in a worker process… rerun or come back in a moment.")
elif evaluation.get("state") == "failed":
    evaluate_column.error(evaluation.get("message", "evaluation failed"))
elif evaluation.get("state") == "finished":
    evaluate_column.success(
        f"test accuracy {evaluation['accuracy']:.1%} on {evaluation['images']:,} images (loss {evaluation['loss']:.4f})"
    )
export_column.download_button(
    "Download all selected histories (CSV)",
    analysis.histories_csv(list(folders.values())),
    file_name="histories.csv",
    key="compare_csv",
)
export_column.caption("Each figure saves itself as PNG from its camera icon (top right of the chart).")
