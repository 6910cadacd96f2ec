"""Pooling: the max or the mean of each window, step by step, and a real feature map halving."""

import numpy as np
import streamlit as st

import ui
from cnnviz.data import images
from cnnviz.lesson import convolution
from cnnviz.pictures import grids

st.title("Pooling")
st.markdown(
    "A pooling layer keeps one number per window: the **max** (the strongest response) or the **average**. "
    "It shrinks the feature map, so later layers see a wider part of the image for the same cost.\n\n"
    "Pooling has **no parameters to learn**: max and mean are fixed rules with no weights or bias, "
    "which is why Keras lists MaxPooling2D with `Param # 0`."
)

DEFAULT_GRID = np.array([[1, 3, 2, 9], [5, 6, 1, 7], [4, 2, 8, 0], [3, 1, 4, 6]], dtype=float)
MODES = ("max", "average")


@st.cache_data(max_entries=8)
def load_small_photo(name: str) -> np.ndarray:
    """Return a sample photo as a 28×28 grayscale image, the size of a Fashion-MNIST picture."""
    return images.to_grayscale(images.load_sample_photo(name), size=(28, 28))


st.session_state.setdefault("pooling_grid", convolution.format_grid(DEFAULT_GRID))
grid_column, settings_column = st.columns(2)
with grid_column:
    st.text_area("Feature map: one row per line", key="pooling_grid", height=130)
with settings_column:
    size = st.number_input("Pool size", 1, 4, 2, key="pooling_size")
    stride = st.number_input("Stride (Keras defaults it to the pool size)", 1, 4, 2, key="pooling_stride")

grid = ui.read_grid("pooling_grid", "feature map", DEFAULT_GRID)
with ui.explained_errors():
    traces = {mode: convolution.trace_pool2d(grid, size, stride, mode) for mode in MODES}

num_steps = traces["max"].num_steps
rows, columns = traces["max"].output.shape
with settings_column:
    st.markdown(f"**Output size: {rows}×{columns}**")
    st.caption(f"rows: {convolution.output_size_formula(grid.shape[0], size, stride)}")
    st.caption(f"columns: {convolution.output_size_formula(grid.shape[1], size, stride)}")
    ui.play_button("pooling", num_steps)


@st.fragment(run_every=ui.play_interval("pooling"))
def show_step(traces: dict[str, convolution.Trace]) -> None:
    """Draw the same step of max and average pooling side by side."""
    index = ui.step_slider("pooling", traces["max"].num_steps)
    for column, (mode, trace) in zip(st.columns(2), traces.items()):
        step = trace.step(index)
        with column:
            st.markdown(f"**{mode} pooling**, step {index + 1} of {trace.num_steps}")
            st.code(step.arithmetic(), language=None, wrap_lines=True)
            window = (step.top, step.left, *trace.window_shape)
            st.html(grids.grid_html(trace.padded_input, "feature map", window))
            st.html(
                grids.grid_html(
                    trace.partial_output(index + 1),
                    f"{mode} pooled",
                    (step.row, step.column, 1, 1),
                    colorscale="Greens",
                )
            )


show_step(traces)

st.subheader("A real feature map")
st.markdown(
    "A 28×28 photo goes through a 3×3 edge kernel (valid padding, then ReLU), as in a first Conv2D layer: "
    "26×26. Pooling it with the settings above keeps the edges and shrinks the map."
)
photo_name = st.selectbox("Photo", list(images.SAMPLE_PHOTOS), key="pooling_photo")
edge_name = st.selectbox("Edge kernel", ["Sobel x", "Sobel y", "Laplacian"], key="pooling_edge")
photo = load_small_photo(photo_name)
feature_map = convolution.relu(convolution.conv2d(photo, convolution.kernel_presets(3)[edge_name]))
with ui.explained_errors():
    pooled = {mode: convolution.pool2d(feature_map, size, stride, mode) for mode in MODES}
for column, (caption, values) in zip(
    st.columns(4),
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
    )
