"""The widget states a browser sends in a rerun, built for one widget the page drew: what a tab clicks and types."""

from __future__ import annotations

import json

from streamlit.proto.WidgetStates_pb2 import WidgetState

from benchmarks.harness.protocol import Widget


def slider_state(widget: Widget, value: float) -> WidgetState:
    """Return a slider's widget state holding one value."""
    state = WidgetState(id=widget.widget_id)
    state.double_array_value.data.append(value)
    return state


def point_state(widget: Widget, point_index: int) -> WidgetState:
    """Return a plotly chart's selection state after a click on one point, as the frontend sends it."""
    point = {"point_index": point_index, "point_number": point_index, "curve_number": 0}
    state = WidgetState(id=widget.widget_id)
    selection = {"points": [point], "point_indices": [point_index], "box": [], "lasso": []}
    state.string_value = json.dumps({"selection": selection})
    return state


def empty_selection(widget: Widget) -> WidgetState:
    """Return a plotly chart's selection state with nothing selected."""
    state = WidgetState(id=widget.widget_id)
    state.string_value = json.dumps({"selection": {"points": [], "point_indices": [], "box": [], "lasso": []}})
    return state


def trigger_state(widget: Widget) -> WidgetState:
    """Return a button's state in the run its click starts."""
    state = WidgetState(id=widget.widget_id)
    state.trigger_value = True
    return state


def strings_state(widget: Widget, values: list[str]) -> WidgetState:
    """Return a select_slider's state holding the options shown as `values`."""
    state = WidgetState(id=widget.widget_id)
    state.string_array_value.data.extend(values)
    return state


def number_state(widget: Widget, value: float) -> WidgetState:
    """Return a number_input's state holding one value."""
    state = WidgetState(id=widget.widget_id)
    state.double_value = value
    return state


def string_state(widget: Widget, value: str) -> WidgetState:
    """Return a selectbox's or radio's widget state holding the option shown as `value`."""
    state = WidgetState(id=widget.widget_id)
    state.string_value = value
    return state
