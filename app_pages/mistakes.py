"""Mistakes: an evaluated run's confusion matrix; click a cell for its images, an image for where it looked."""

import pandas as pd
import streamlit as st

import ui
from cnnviz.learning import confusion, mistakes
from cnnviz.pictures import matrices
from cnnviz.runtime import jobs, runs

ui.tighten_top()
st.title("Mistakes")
st.markdown(
    "Which images does the model get wrong, and why? Each row is a true class, each column what the model "
    "called it. **Click a cell** to see its images, then an image to see where the model looked."
)


@st.cache_data(max_entries=16)
def load_confusion(run_id: str, version: str) -> confusion.Confusion:
    """Read an evaluation's predictions once per version (no model is loaded for the matrix)."""
    return mistakes.load_confusion(jobs.evaluation_of(runs.load_run(run_id)))


@st.cache_resource(max_entries=2)
def load_split(run_id: str, version: str):
    """Load the evaluated split's images once per server (shared by every student looking at this run)."""
    run = runs.load_run(run_id)
    return mistakes.evaluated_split(run, jobs.evaluation_of(run))


@st.cache_resource(max_entries=4)
def load_model(run_id: str, version: str):
    """Load the evaluated model once (safe mode), only when an image is explained."""
    run = runs.load_run(run_id)
    return mistakes.load_model(run, jobs.evaluation_of(run))


@st.cache_resource(max_entries=32)
def thumbnails(run_id: str, version: str, cell: confusion.Cell, _matrix: confusion.Confusion) -> list:
    """Return a cell's thumbnails, made once per cell for the whole class (they only change with the evaluation)."""
    return mistakes.thumbnails(load_split(run_id, version), _matrix, cell)


@st.cache_data(max_entries=32)
def explain(run_id: str, version: str, index: int, _confusion) -> mistakes.Explanation:
    """Return one image with its two Grad-CAMs, computed once per image."""
    return mistakes.explain_image(load_model(run_id, version), load_split(run_id, version), _confusion, index)


@st.dialog("Where it looked", width="large")
def show_explanation(run_id: str, version: str, index: int, matrix: confusion.Confusion) -> None:
    """Show one image large beside its Grad-CAMs for the class predicted and the true class."""
    with ui.explained_errors(stop=False), st.spinner("Grad-CAM for both classes…"):
        explanation = explain(run_id, version, index, matrix)
        ui.large_text(explanation.caption)
        for column, (picture, caption) in zip(
            st.columns(3), [(explanation.picture, "as the model sees it"), *explanation.heatmaps]
        ):
            column.image(picture, caption=caption, width="stretch")


choices = mistakes.candidates(runs.list_runs())
if not choices:
    st.info("No run has finished an epoch yet: train one on the Train page, then evaluate it here.")
    st.stop()
by_id = {run.run_id: run for run in choices}
labels = {run.run_id: mistakes.choice_label(run, jobs.evaluation_of(run)) for run in choices}
run_column, button_column = st.columns([3, 1], vertical_alignment="bottom")
run = by_id[ui.run_picker(run_column, "Run", labels, "mistakes_run", lambda: mistakes.default_run(choices).run_id)]
evaluation = jobs.evaluation_of(run)
evaluating = evaluation is not None and evaluation.is_running
with ui.explained_errors(stop=False):
    if button_column.button("Evaluate", key="mistakes_evaluate", icon=":material/fact_check:", disabled=evaluating):
        jobs.evaluate([run.run_id])
        st.rerun()


@st.fragment(run_every=1.0 if evaluating else None)
def wait_for_evaluation(run_id: str, was_running: bool) -> None:
    """Poll a running evaluation; one full rerun draws the matrix when it ends."""
    now = jobs.evaluation_of(runs.load_run(run_id))
    if was_running and not (now is not None and now.is_running):
        st.rerun()
    if now is not None and now.is_running:
        st.info(f"{now.message or 'Evaluating'}… (every image of the test split, in a worker process)")


wait_for_evaluation(run.run_id, evaluating)
if evaluation is None or evaluating:
    if evaluation is None:
        st.info("This run has not been evaluated yet: press **Evaluate** to predict every image of its test split.")
    st.stop()
with ui.explained_errors():
    matrix = load_confusion(run.run_id, evaluation.version)
if evaluation.model_is_newer:
    st.warning("The model was saved again after this evaluation: these numbers are stale. Evaluate again.")

cells = matrix.cells_by_interest()
clicked = matrices.clicked_cell(st.session_state.get("mistakes_matrix"), len(matrix.class_names))
clicked_key = f"mistakes_clicked_{run.run_id}"
if clicked is not None and clicked != st.session_state.get(clicked_key):
    st.session_state.mistakes_cell = clicked  # a new click picks the cell; the picker can change it again
st.session_state[clicked_key] = clicked
if st.session_state.get("mistakes_cell") not in cells:
    st.session_state.mistakes_cell = cells[0]  # the commonest mistake: the first screen shows a gallery at once
ui.stack_when_narrow("mistakes_matrix_row")
matrix_column, gallery_column = st.container(key="mistakes_matrix_row").columns([3, 2])
figure = ui.shared_figure(
    ("mistakes_matrix", run.run_id, evaluation.version, st.session_state.mistakes_cell),
    lambda: matrices.confusion_figure(matrix, st.session_state.mistakes_cell),
)
matrix_column.plotly_chart(figure, key="mistakes_matrix", on_select="rerun", selection_mode="points")
with gallery_column:
    ui.large_text(f"{evaluation.describe().capitalize()}. {matrix.describe()}")
    cell = st.selectbox("Cell", cells, format_func=matrix.describe_cell, key="mistakes_cell")
    st.caption(f"Under each image: how sure it was of {matrix.class_names[cell.predicted]}. Click one to see why.")
    with ui.explained_errors(stop=False):
        gallery = thumbnails(run.run_id, evaluation.version, cell, matrix)
        shown = [thumbnail.image.index for thumbnail in gallery]
        picked = matrices.clicked_point(st.session_state.get("mistakes_gallery"))
        new_pick = picked is not None and picked < len(shown) and picked != st.session_state.get("mistakes_picked")
        if new_pick:
            st.session_state.mistakes_image = shown[picked]
        st.session_state.mistakes_picked = picked
        chosen = st.session_state.get("mistakes_image")
        marked = shown.index(chosen) if chosen in shown else None
        st.plotly_chart(
            ui.shared_figure(
                ("mistakes_gallery", run.run_id, evaluation.version, cell, marked),
                lambda: matrices.gallery_figure(
                    [each.picture for each in gallery], [each.caption for each in gallery], marked
                ),
            ),
            key="mistakes_gallery",
            on_select="rerun",
            selection_mode="points",
            config={"displayModeBar": False},
        )
        if new_pick:
            show_explanation(run.run_id, evaluation.version, chosen, matrix)

with st.expander("Precision and recall, class by class"):
    st.dataframe(pd.DataFrame(matrix.per_class_rows()), hide_index=True, width="stretch")

ui.next_step("app_pages/predict.py", "Next: drop an image of your own on a trained model")
