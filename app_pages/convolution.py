"""Convolution: slide a kernel over a grid one step at a time, then over a real photo."""

import streamlit as st

import ui
from cnnviz.data import images
from cnnviz.lesson import convolution
from cnnviz.pictures import grids

st.title("Convolution")
st.markdown(
    "A convolution layer slides a small grid of weights, the **kernel**, over its input. At each position "
    "it multiplies the numbers under the kernel by its weights and adds them up: one cell of the **feature map**."
)

PADDINGS = ["valid", "same", "1", "2"]


def reset_grid() -> None:
    """Refill the input with 1, 2, 3, … at the chosen size."""
    size = st.session_state.convolution_grid_size
    st.session_state.convolution_grid = convolution.format_grid(convolution.counting_grid(size))


def apply_preset() -> None:
    """Fill the kernel with the chosen preset at the chosen size."""
    presets = convolution.kernel_presets(st.session_state.convolution_kernel_size)
    if st.session_state.convolution_preset not in presets:
        st.session_state.convolution_preset = "X kernel"
    st.session_state.convolution_kernel = convolution.format_grid(presets[st.session_state.convolution_preset])


@st.cache_data(max_entries=8)
def load_gray_photo(name: str):
    """Return a sample photo in grayscale, at most 256 pixels on its longer side."""
    return images.to_grayscale(images.shrink_to_fit(images.load_sample_photo(name), 256))


st.session_state.setdefault("convolution_grid", convolution.format_grid(convolution.counting_grid(5)))
st.session_state.setdefault("convolution_kernel", convolution.format_grid(convolution.kernel_presets(3)["X kernel"]))

grid_column, kernel_column, settings_column = st.columns(3)
with grid_column:
    st.number_input("Grid size (resets to 1, 2, 3, …)", 3, 10, 5, key="convolution_grid_size", on_change=reset_grid)
    st.text_area("Input grid: one row per line", key="convolution_grid", height=150)
with kernel_column:
    st.number_input("Kernel size", 1, 5, 3, key="convolution_kernel_size", on_change=apply_preset)
    st.selectbox(
        "Preset",
        list(convolution.kernel_presets(st.session_state.convolution_kernel_size)),
        key="convolution_preset",
        on_change=apply_preset,
    )
    st.text_area("Kernel: one row per line", key="convolution_kernel", height=110)
with settings_column:
    stride = st.number_input("Stride", 1, 3, 1, key="convolution_stride")
    padding_choice = st.selectbox(
        "Padding",
        PADDINGS,
        key="convolution_padding",
        help="valid: no zeros; same: Keras pads so output = ⌈n / stride⌉; a number: that many zeros on each side",
    )
padding = padding_choice if padding_choice in ("valid", "same") else int(padding_choice)

grid = ui.read_grid("convolution_grid", "input grid", convolution.counting_grid(5))
kernel = ui.read_grid("convolution_kernel", "kernel", convolution.kernel_presets(3)["X kernel"], max_size=5)
with ui.explained_errors():
    trace = convolution.trace_conv2d(grid, kernel, stride, padding)

rows, columns = trace.output.shape
with settings_column:
    st.markdown(f"**Output size: {rows}×{columns}**")
    st.caption(f"rows: {convolution.output_size_formula(grid.shape[0], kernel.shape[0], stride, padding)}")
    st.caption(f"columns: {convolution.output_size_formula(grid.shape[1], kernel.shape[1], stride, padding)}")
    ui.play_button("convolution", trace.num_steps)


@st.fragment(run_every=ui.play_interval("convolution"))
def show_step(trace: convolution.Trace) -> None:
    """Draw one step: the lit window, the kernel, the output so far and the arithmetic."""
    step = trace.step(ui.step_slider("convolution", trace.num_steps))
    st.markdown(f"**Step {step.index + 1} of {trace.num_steps}**: output row {step.row + 1}, column {step.column + 1}")
    st.code(step.arithmetic(), language=None, wrap_lines=True)
    input_column, kernel_column, output_column = st.columns([3, 2, 2])
    window = (step.top, step.left, *trace.window_shape)
    input_column.html(grids.grid_html(trace.padded_input, "input (padding in grey)", window, trace.padding))
    kernel_column.html(grids.grid_html(trace.weights, "kernel", colorscale="Oranges"))
    output_column.html(
        grids.grid_html(
            trace.partial_output(step.index + 1), "feature map", (step.row, step.column, 1, 1), colorscale="Greens"
        )
    )


show_step(trace)

st.subheader("The same kernel on a real photo")
photo_column, relu_column = st.columns(2)
photo_name = photo_column.selectbox("Photo", list(images.SAMPLE_PHOTOS), key="convolution_photo")
use_relu = relu_column.toggle("ReLU: set negative outputs to 0", value=True, key="convolution_relu")
photo = load_gray_photo(photo_name)
with ui.explained_errors():
    feature_map = convolution.conv2d(photo, kernel, stride, padding)
feature_map = convolution.relu(feature_map) if use_relu else feature_map
before, after = st.columns(2)
before.image(images.to_display(photo), caption=f"input, grayscale: {photo.shape[0]}×{photo.shape[1]}")
after.image(
    images.to_display(feature_map),
    caption=f"feature map{' after ReLU' if use_relu else ''}: {feature_map.shape[0]}×{feature_map.shape[1]} "
    "(stretched to black…white)",
)
