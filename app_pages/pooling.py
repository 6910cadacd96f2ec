"""Pooling: the max or the mean of each window, step by step, and a real feature map halving."""

import numpy as np
import streamlit as st

import ui
from cnnviz.data import images
from cnnviz.lesson import convolution
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
rows, columns = traces["max"].output.shape
row_formula = convolution.output_size_formula(grid.shape[0], size, stride)
column_formula = convolution.output_size_formula(grid.shape[1], size, stride)
where = (
    f"rows and columns: {row_formula}"
    if row_formula == column_formula
    else f"rows: {row_formula}<br>columns: {column_formula}"
)
st.markdown(
    f'<div data-formula="output-size" style="font-size:clamp(16px, 2.2vh, 22px)"><b>Output size: {rows}×{columns}</b>'
    f"<br>{where}</div>",
    unsafe_allow_html=True,
)

st.subheader("A real feature map")
st.markdown(
    "A 28×28 photo goes through a 3×3 edge kernel (valid padding, then ReLU), as in a first Conv2D layer: "
    "26×26. Pooling it with the settings above keeps the edges and shrinks the map."
)
photo_column, edge_column = st.columns(2)
photo_name = photo_column.selectbox("Photo", list(images.SAMPLE_PHOTOS), key="pooling_photo")
edge_name = edge_column.selectbox("Edge kernel", ["Sobel x", "Sobel y", "Laplacian"], key="pooling_edge")
photo = load_small_photo(photo_name)
feature_map = convolution.relu(convolution.conv2d(photo, convolution.kernel_presets(3)[edge_name]))
with ui.explained_errors():
    pooled = {mode: convolution.pool2d(feature_map, size, stride, mode) for mode in MODES}
pictures = [photo, feature_map, pooled["max"], pooled["average"]]
# Columns as wide as the pictures are: every map is drawn at the same pixel scale, so 26 → 13 shows as half.
for column, (caption, values) in zip(
    st.columns([picture.shape[1] for picture in pictures]),
    [
        ("photo", photo),
        ("feature map", feature_map),
        ("max pooled", pooled["max"]),
        ("average pooled", pooled["average"]),
    ],
):
    # Nearest-neighbour upscaling keeps the pixels square, so the sizes can be compared by eye.
    column.image(
        np.kron(images.to_display(values), np.ones((8, 8), dtype=np.uint8)),
        caption=f"{caption}: {values.shape[0]}×{values.shape[1]}",
        width="stretch",
    )
ui.next_step("app_pages/layers.py", "Next: Layers, where the parameters come from")
