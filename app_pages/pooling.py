"""Pooling: the max or the mean of each window, step by step, and a real feature map halving."""

import numpy as np
import streamlit as st

import ui
from cnnviz.data import images
from cnnviz.lesson import convolution, photos
from cnnviz.pictures import steps

ui.tighten_top()
title_column, settings_column = st.columns([3, 2], vertical_alignment="bottom")
title_column.title("Pooling")
st.markdown(
    "A pooling layer keeps one number per window: the **max** (the strongest response, ringed in green) or the "
    "**average**. It has **no parameters to learn**, which is why Keras lists MaxPooling2D with `Param # 0`."
)
# What the picture may take of the window's height: the title, two lines and the step row stay above it.
PICTURE_MAX_HEIGHT = "max(200px, calc(100vh - 375px))"

DEFAULT_GRID = np.array([[1, 3, 2, 9], [5, 6, 1, 7], [4, 2, 8, 0], [3, 1, 4, 6]], dtype=float)
MODES = ("max", "average")


@st.cache_data(max_entries=8)
def load_small_photo(name: str) -> np.ndarray:
    """Return a sample photo as a 28×28 grayscale image, the size of a Fashion-MNIST picture."""
    return images.to_grayscale(images.load_sample_photo(name), size=(28, 28))


ui.keep_settings("pooling", ["grid", "size", "stride"])
with settings_column.popover("Feature map, pool size, stride…", icon=":material/tune:", width="stretch"):
    grid_text = ui.setting("pooling_grid", convolution.format_grid(DEFAULT_GRID))
    st.text_area("Feature map: one row per line", grid_text, key="pooling_grid", height=130)
    size_column, stride_column = st.columns(2)
    size = size_column.number_input("Pool size", 1, 4, ui.setting("pooling_size", 2), key="pooling_size")
    stride = stride_column.number_input(
        "Stride (Keras: the pool size)", 1, 4, ui.setting("pooling_stride", 2), key="pooling_stride"
    )

grid = ui.read_grid("pooling_grid", "feature map", DEFAULT_GRID)
with ui.explained_errors():
    traces = {mode: convolution.trace_pool2d(grid, size, stride, mode) for mode in MODES}


@st.fragment(run_every=ui.play_interval("pooling"))
def show_step(traces: dict[str, convolution.Trace]) -> None:
    """Draw the same step of max and average pooling: one input, its window, both outputs."""
    index = ui.step_controls("pooling", traces["max"].num_steps)
    st.markdown(steps.pooling_picture(traces, index, PICTURE_MAX_HEIGHT), unsafe_allow_html=True)


show_step(traces)
st.markdown(steps.size_formula(grid.shape, (size, size), traces["max"].output.shape, stride), unsafe_allow_html=True)

st.subheader("A real feature map")
st.markdown(
    "A 28×28 photo goes through a 3×3 edge kernel (valid padding, then ReLU), as in a first Conv2D layer: "
    "26×26. Pooling it with the settings above keeps the edges and shrinks the map."
)
photo_column, edge_column = st.columns(2)
photo_name = photo_column.selectbox("Photo", list(images.SAMPLE_PHOTOS), key="pooling_photo")
edge_name = edge_column.selectbox("Edge kernel", photos.EDGE_KERNELS, key="pooling_edge")
with ui.explained_errors():
    pictures = photos.pooling_pictures(load_small_photo(photo_name), edge_name, size, stride)
# Columns as wide as the pictures are: every map is drawn at the same pixel scale, so 26 → 13 shows as half.
for column, (caption, picture) in zip(st.columns([picture.shape[1] for _, picture in pictures]), pictures):
    column.image(picture, caption=caption, width="stretch")
ui.next_step("app_pages/layers.py", "Next: Layers, where the parameters come from")
