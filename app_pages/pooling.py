"""Pooling: the max, mean or sum of each window, step by step, a shift it absorbs, and a real feature map halving."""

import numpy as np
import streamlit as st

import ui
from cnnviz.lesson import convolution, links, pooling
from cnnviz.pictures import steps
from page_sections import pooling_lessons

ui.tighten_top()
ui.open_link("pooling", links.POOLING)
title_column, settings_column = st.columns([3, 2], vertical_alignment="bottom")
title_column.title("Pooling")
st.markdown(
    "A pooling layer keeps one number per window: the **max** (the strongest response, ringed in green), the "
    "**average**, or the **sum** (average × the window's area). It has **no parameters to learn**, which is why "
    "Keras lists MaxPooling2D with `Param # 0`."
)
# What the picture may take of the window's height: the title, two lines and the step row stay above it.
PICTURE_MAX_HEIGHT = "max(200px, calc(100vh - 375px))"

DEFAULT_GRID = np.array([[1, 3, 2, 9], [5, 6, 1, 7], [4, 2, 8, 0], [3, 1, 4, 6]], dtype=float)

ui.keep_settings("pooling", ["grid", "size", "stride", "modes", "photo", "edge"])
with settings_column.popover("Feature map, pool size, stride…", icon=":material/tune:", width="stretch"):
    ui.setting("pooling_modes", list(convolution.POOLING_MODES))  # the widget's value: held in session state
    st.pills("Pooling", convolution.POOLING_MODES, selection_mode="multi", key="pooling_modes")
    grid_text = ui.setting("pooling_grid", convolution.format_grid(DEFAULT_GRID))
    st.text_area("Feature map: one row per line", grid_text, key="pooling_grid", height=130)
    size_column, stride_column = st.columns(2)
    size = size_column.number_input("Pool size", 1, 4, ui.setting("pooling_size", 2), key="pooling_size")
    stride = stride_column.number_input(
        "Stride (Keras: the pool size)", 1, 4, ui.setting("pooling_stride", 2), key="pooling_stride"
    )

grid = ui.read_grid("pooling_grid", "feature map", DEFAULT_GRID)
modes = pooling.chosen_modes(st.session_state.pooling_modes)
with ui.explained_errors():
    traces = {mode: convolution.trace_pool2d(grid, size, stride, mode) for mode in modes}
link_values = {"grid": grid, "size": size, "stride": stride, "modes": modes}


@st.fragment(run_every=ui.play_interval("pooling"))
def show_step(traces: dict[str, convolution.Trace]) -> None:
    """Draw the same step of every chosen pooling: one input, its window, the outputs."""
    index = ui.step_controls("pooling", next(iter(traces.values())).num_steps, links.POOLING, link_values)
    st.markdown(steps.pooling_picture(traces, index, PICTURE_MAX_HEIGHT), unsafe_allow_html=True)


show_step(traces)
first = next(iter(traces.values()))
st.markdown(steps.size_formula(grid.shape, (size, size), first.output.shape, stride), unsafe_allow_html=True)
pooling_lessons.draw_grid_shift(grid, size, stride)
pooling_lessons.draw_real_map(size, stride)
ui.next_step("app_pages/layers.py", "Next: Layers, where the parameters come from")
