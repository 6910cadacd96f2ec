"""The Network page's closer look: one map enlarged, cell by cell, beside how the clicked number was made."""

import numpy as np
import streamlit as st

import ui
from cnnviz.learning import arithmetic, network_view
from cnnviz.pictures import network


@st.cache_data(max_entries=64)
def cell_arithmetic(
    model_key: str, _model, batch: np.ndarray, layer: str, row: int, column: int, channel: int, _inputs: np.ndarray
):
    """Return how one number was made, once per model, image and cell (from the layer's input the view kept)."""
    return arithmetic.cell_arithmetic(_model, batch, layer, row, column, channel, _inputs)


def follow_map_click(chart_key: str) -> None:
    """Select the map a click on the overview picked (the chart's callback: the page then draws it at once)."""
    clicked = network.clicked_map(st.session_state.get(chart_key))
    if clicked is not None and clicked != tuple(st.session_state.get("network_selected") or ()):
        st.session_state.network_selected, st.session_state.network_cell = clicked, None


def follow_cell_click(chart_key: str, width: int) -> None:
    """Choose the cell a click on the enlarged map picked (the chart's callback: no second run for a click)."""
    clicked = network.clicked_cell(st.session_state.get(chart_key), width)
    if clicked is not None:
        st.session_state.network_cell = clicked


def choose_map(view: network_view.NetworkView, selected: tuple[str, int]) -> tuple[str, int]:
    """Draw the layer and map pickers (a click on the overview sets them too); return the chosen pair."""
    layer_column, channel_column, count_column = st.columns([2, 1, 1])
    key = f"{selected[0]}_{selected[1]}"  # a click on the overview gives the pickers new keys, so they follow it
    layer = layer_column.selectbox("Layer", view.names, index=view.names.index(selected[0]), key=f"network_layer_{key}")
    channels = view.layer(layer).maps.shape[-1]
    first = selected[1] + 1 if layer == selected[0] else 1
    channel = channel_column.number_input(f"Map (1 to {channels})", 1, channels, first, key=f"network_map_{key}") - 1
    count_column.radio("Maps a column", [3, 4], horizontal=True, key="network_maps")
    if (layer, channel) != tuple(selected):
        st.session_state.network_selected, st.session_state.network_cell = (layer, int(channel)), None
        st.rerun()
    return layer, int(channel)


def choose_cell(output: network_view.LayerOutput, channel: int, view_key: str) -> tuple[int, int]:
    """Draw the enlarged map (a click picks a cell; a big map has row and column pickers); return the cell.

    `view_key` names the model and the image the map comes from: the enlarged map is built once for all who look.
    """
    values = output.maps[..., channel]
    cell = st.session_state.get("network_cell")
    if cell is None or not (cell[0] < values.shape[0] and cell[1] < values.shape[1]):
        cell = output.strongest_cell(channel)
    if network.is_clickable(values):
        chart_key = f"network_cells_{output.name}_{channel}"
        st.plotly_chart(
            ui.shared_figure(
                ("network_map", view_key, output.name, channel, tuple(cell)),
                lambda: network.map_figure(output, channel, cell),
            ),
            on_select=lambda: follow_cell_click(chart_key, values.shape[1]),
            selection_mode="points",
            key=chart_key,
            config={"displayModeBar": False},
        )
    else:
        row_column, column_column = st.columns(2)
        row = row_column.number_input("Row", 1, values.shape[0], cell[0] + 1, key=f"network_row_{output.name}") - 1
        column = column_column.number_input("Column", 1, values.shape[1], cell[1] + 1, key=f"network_col_{output.name}")
        cell = (int(row), int(column) - 1)
        st.image(network.picture_of_map(output, channel, cell), caption="the chosen cell in orange")
    st.session_state.network_cell = tuple(cell)
    return tuple(cell)


def show(choice, view: network_view.NetworkView, selected: tuple[str, int]) -> None:
    """Draw the closer look at the selected map and the arithmetic of its chosen cell."""
    layer, channel = choose_map(view, selected)
    output = view.layer(layer)
    map_column, arithmetic_column = st.columns([2, 3])
    with map_column:
        st.markdown(f"**{layer}, map {channel + 1}** of {output.maps.shape[-1]} ({output.kind}, {output.shape_text})")
        row, column = choose_cell(output, channel, f"{choice.model_key}_{choice.prepared.key}")
    with arithmetic_column:
        st.markdown(f"**Row {row + 1}, column {column + 1}: {output.maps[row, column, channel]:.4f}**: how it was made")
        if not output.explained:
            st.info(f"{output.kind} layers are not explained cell by cell yet: pick a convolution or a pooling.")
            return
        with ui.explained_errors(stop=False):
            cell = cell_arithmetic(
                choice.model_key, choice.model, choice.prepared.batch, layer, row, column, channel, output.inputs
            )
            st.markdown(network.arithmetic_html(cell), unsafe_allow_html=True)
            if len(cell.terms) > 3:
                st.plotly_chart(network.contributions_figure(cell), key="network_contributions")
