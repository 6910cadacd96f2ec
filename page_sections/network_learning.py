"""The Network page's two deeper looks: what each filter looks for, and the learning replayed epoch by epoch."""

import numpy as np
import streamlit as st

import ui
from cnnviz.learning import explain, filter_patterns, time_lapse
from cnnviz.pictures import network, plots
from cnnviz.runtime import pattern_store, runs
from cnnviz.runtime.pattern_store import PatternState


@st.cache_data(max_entries=8)
def stored_patterns(run_id: str, version: float, layer: str) -> list[np.ndarray]:
    """Return a layer's finished patterns as pictures, once per model version."""
    return filter_patterns.stored_patterns(runs.load_run(run_id), layer).pictures()


@st.cache_data(max_entries=8)
def confidence(run_id: str, version: float, image_key: str, batch: np.ndarray, class_index: int, name: str):
    """Return one class's probability for the image after each kept epoch."""
    return time_lapse.confidence_by_epoch(runs.load_run(run_id), batch, class_index, name)


@st.cache_data(max_entries=16)
def first_filters(model_key: str, _run, epoch: int, _model) -> list[np.ndarray]:
    """Return the first convolution's filters at an epoch as pictures."""
    return time_lapse.first_layer_filters(_run, epoch, _model).pictures()


@st.cache_data(max_entries=16)
def grad_cam(model_key: str, _model, batch: np.ndarray, class_index: int) -> np.ndarray:
    """Return Grad-CAM of one class for the image."""
    return explain.grad_cam(_model, batch, class_index)


@st.fragment(run_every=1.0)
def follow_patterns(run: runs.Run, layer: str) -> None:
    """Show the worker's progress; when it ends, rerun the page to show the patterns."""
    job = pattern_store.current_job(runs.load_run(run.run_id), layer)
    if job is None or job.state is not PatternState.RUNNING:
        st.rerun()
    st.progress(job.fraction, text=f"Climbing each filter's gradient in a worker: {job.message}")


def show_patterns(choice, selected: tuple[str, int]) -> None:
    """Draw the filter patterns of a convolution (the one looked at closer, by default): computed in a worker once,
    then read from the run; the looked-at map's own filter enlarged beside them."""
    run = choice.run
    if run is None:
        st.info("Filter patterns are computed for runs trained here (the worker keeps them in the run's folder).")
        return
    layers = filter_patterns.filter_layers(choice.model)
    index = layers.index(selected[0]) if selected[0] in layers else min(2, len(layers) - 1)
    key = f"network_pattern_layer_{run.run_id}_{selected[0]}"  # follows the layer clicked above
    layer = st.selectbox("Convolution", layers, index=index, key=key)
    job = pattern_store.current_job(run, layer)
    if job is not None and job.state is PatternState.FINISHED:
        pictures = stored_patterns(run.run_id, run.model_version, layer)
        grid_column, chosen_column = st.columns([4, 1])
        grid_column.image(network.tiles(pictures, columns=16), width="stretch")
        channel = selected[1] if selected[0] == layer else 0
        chosen_column.image(network.enlarge(pictures[channel], 160), width="stretch")
        chosen_column.caption(f"filter {channel + 1}: what map {channel + 1} of {layer} looks for")
        st.caption(
            f"The input each of {layer}'s {len(pictures)} filters answers most: grey noise, climbed "
            f"{filter_patterns.STEPS}+ steps up the filter's gradient (computed in {job.seconds:.0f} s). "
            "A flat tile: no input the climb found lights that filter from grey noise."
        )
        return
    if job is not None and job.state is PatternState.RUNNING:
        follow_patterns(run, layer)
        return
    if job is not None and job.state is PatternState.FAILED:
        st.error(f"The last try failed: {job.message}. Try again below.")
    if st.button(f"Find what each filter of {layer} looks for", key="network_pattern_start", icon=":material/search:"):
        with ui.explained_errors():
            pattern_store.start(run, layer)
        st.rerun()


def show_time_lapse(choice, answer: int) -> None:
    """Draw the curves with the chosen epoch marked, the first layer's filters and Grad-CAM at that epoch."""
    run = choice.run
    if run is None or not run.snapshots:
        st.info("The time-lapse replays a run trained here with cnnviz keeping each epoch's weights: train one.")
        return
    epoch = choice.epoch or run.snapshots[-1].epoch
    curves_column, filters_column, cam_column = st.columns([3, 2, 2])
    figure = plots.training_figure([], run.epochs, planned_epochs=run.config.epochs)
    figure.add_vline(x=epoch, line=dict(color=network.SELECTED_OUTLINE, width=3))
    curves_column.plotly_chart(figure, key="network_curves")
    with filters_column, ui.explained_errors(stop=False):
        kept_whole = run.snapshots[-1].whole
        model = choice.model if kept_whole else None  # None: read the first layer the epoch kept
        filters = first_filters(f"{run.run_id}@{run.model_version}@{epoch}", run, epoch, model)
        st.image(network.tiles(filters, columns=8, size=40), width="stretch")
        st.caption(f"The first convolution's filters at epoch {epoch} (grey is 0; one scale for all)")
    heatmap = grad_cam(choice.model_key, choice.model, choice.prepared.batch, answer)
    cam_column.image(explain.overlay(choice.prepared.seen, heatmap), width="stretch")
    at = f"at epoch {epoch}" if run.snapshots[-1].whole else "of the final model"
    cam_column.caption(f"Grad-CAM of {choice.class_names[answer]} {at}")
    if choice.true_class is not None:
        name = choice.class_names[choice.true_class]
        curve = confidence(
            run.run_id, run.model_version, choice.prepared.key, choice.prepared.batch, choice.true_class, name
        )
        st.plotly_chart(
            plots.confidence_figure(curve.epochs, curve.probabilities, name, epoch), key="network_confidence"
        )


DEEPER_LOOKS = ["What each filter looks for", "Learning, epoch by epoch"]


def show(choice, selected: tuple[str, int], answer: int) -> None:
    """Draw one of the two deeper looks under the closer look (one at a time: tabs would compute both each click)."""
    look = st.segmented_control("Look deeper", DEEPER_LOOKS, default=DEEPER_LOOKS[0], key="network_deeper")
    if look in (None, DEEPER_LOOKS[0]):  # a click on the chosen option clears it: keep showing it
        show_patterns(choice, selected)
    elif look == DEEPER_LOOKS[1]:
        show_time_lapse(choice, answer)
