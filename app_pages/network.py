"""Network: one image through every layer of a trained network; click a number to see how it was made."""

import streamlit as st

import ui
from cnnviz.learning import network_view
from cnnviz.pictures import network, plots
from page_sections import network_choice, network_closer, network_learning

ui.tighten_top()
ui.title_with_intro(
    "Network",
    "Your trained network, one image flowing left to right through every layer: each column is a layer's "
    "feature maps (one colour scale per layer: dark is its smallest value, yellow its largest). "
    "Click a map to look closer, then a number to see how the learned weights made it.",
)


VIEWS_BYTES = 96 * 2**20  # a class's picks of one run's test images (BENCHMARKS.md, "A whole lesson, every page")


def view_of(choice: network_choice.Choice) -> network_view.NetworkView:
    """Return every layer's maps for the image (one forward pass), once per model and image for the whole class."""
    return ui.shared_cache("network_views", VIEWS_BYTES).get_or_make(
        (choice.model_key, choice.prepared.key),
        lambda: network_view.network_view(choice.model, choice.prepared.batch),
        lambda view: view.nbytes,
    )


choice = network_choice.choose()
with ui.explained_errors():
    view = view_of(choice)
if not view.layers:
    st.warning("This model has no convolution or pooling layer, so there are no feature maps to show: only its answer.")
    st.plotly_chart(plots.probability_figure(choice.class_names, list(view.probabilities)), key="network_probabilities")
    st.stop()

maps_shown = st.session_state.get("network_maps", 3)
selected = st.session_state.get("network_selected")
if selected is None or selected[0] not in view.names:
    selected = view.default_map()
# A new chart for each selection: a click's point would otherwise stay selected and undo the pickers below.
overview_key = f"network_overview_{choice.model_key}_{choice.prepared.key}_{selected[0]}_{selected[1]}"
st.plotly_chart(
    ui.shared_figure(
        ("network_overview", choice.model_key, choice.prepared.key, maps_shown, tuple(selected)),
        lambda: network.network_figure(view, choice.class_names, view.shown_channels(maps_shown, selected), selected),
    ),
    on_select=lambda: network_closer.follow_map_click(overview_key),  # before the next run: one run a click
    selection_mode="points",
    key=overview_key,
    config={"displayModeBar": False},
)
st.session_state.network_selected = selected
answer = choice.class_names[view.answer]
truth = f" (its true class: {choice.class_names[choice.true_class]})" if choice.true_class is not None else ""
epoch = f" at epoch {choice.epoch}" if choice.replays_network else ""
st.caption(
    f"{view.describe_shapes()}. The network says **{answer}**{truth}{epoch}. Each column shows the "
    f"{maps_shown} maps that respond most; pick another below."
)
# Notes under the picture, not above it: with the epoch strip above, a note pushed the maps off a 960×600 screen.
if choice.note:
    st.warning(choice.note, icon=":material/info:")
if view.from_logits:
    st.caption("This model gives scores (logits), not probabilities: the answer shows them through a softmax.")

network_closer.show(choice, view, selected)
network_learning.show(choice, st.session_state.network_selected, view.answer)  # the view's answer: no second pass
ui.next_step("app_pages/predict.py", "Next: Predict, with Grad-CAM on any image")
