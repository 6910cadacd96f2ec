"""Convolution: slide a kernel over a grid one step at a time, then over channels and a real photo."""

import numpy as np
import streamlit as st

import ui
from cnnviz.data import images
from cnnviz.learning import analysis
from cnnviz.lesson import channels, convolution, learned_kernels
from cnnviz.pictures import steps
from cnnviz.runtime import runs

PADDINGS = ["valid", "same", "1", "2"]
SETTINGS = ["grid_size", "grid", "kernel_size", "preset", "kernel", "stride", "padding", "dilation", "bias"]
PHOTO_KERNELS = ["Sobel x", "Sobel y", "Laplacian", "sharpen", "box blur", "X kernel"]
THE_KERNEL_ABOVE = "the kernel above"
LEARNED = "a filter your model learned"
# What the picture may take of the window's height: the title, two lines and the step row stay above it.
PICTURE_MAX_HEIGHT = "max(220px, calc(100vh - 330px))"


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


def draw_settings() -> None:
    """Draw the grid, kernel, stride, padding, dilation and bias controls (they live in a popover)."""
    grid_column, kernel_column = st.columns(2)
    with grid_column:
        grid_size = ui.setting("convolution_grid_size", 5)
        st.number_input(
            "Grid size (resets to 1, 2, 3, …)", 3, 10, grid_size, key="convolution_grid_size", on_change=reset_grid
        )
        grid_text = ui.setting("convolution_grid", convolution.format_grid(convolution.counting_grid(5)))
        st.text_area("Input grid: one row per line", grid_text, key="convolution_grid", height=150)
    with kernel_column:
        kernel_size = ui.setting("convolution_kernel_size", 3)
        st.number_input("Kernel size", 1, 5, kernel_size, key="convolution_kernel_size", on_change=apply_preset)
        presets = list(convolution.kernel_presets(kernel_size))
        preset = ui.setting("convolution_preset", "X kernel")
        index = presets.index(preset) if preset in presets else 0
        st.selectbox("Preset", presets, index, key="convolution_preset", on_change=apply_preset)
        kernel_text = ui.setting(
            "convolution_kernel", convolution.format_grid(convolution.kernel_presets(3)["X kernel"])
        )
        st.text_area("Kernel: one row per line", kernel_text, key="convolution_kernel", height=110)
    stride_column, padding_column, dilation_column, bias_column = st.columns(4)
    stride_column.number_input("Stride", 1, 3, ui.setting("convolution_stride", 1), key="convolution_stride")
    padding_column.selectbox(
        "Padding",
        PADDINGS,
        PADDINGS.index(ui.setting("convolution_padding", "valid")),
        key="convolution_padding",
        help="valid: no zeros; same: Keras pads so output = ⌈n / stride⌉; a number: that many zeros on each side",
    )
    dilation_column.number_input(
        "Dilation",
        1,
        3,
        ui.setting("convolution_dilation", 1),
        key="convolution_dilation",
        help="Keras's dilation_rate: the kernel's cells are spread d apart, so a 3×3 kernel at d = 2 covers 5×5",
    )
    bias = ui.setting("convolution_bias", 0.0)
    bias_column.number_input("Bias", -100.0, 100.0, bias, 1.0, key="convolution_bias")


def size_formula_text(grid: np.ndarray, kernel: np.ndarray, stride: int, padding, dilation: int, output) -> str:
    """Return the output size and its formula with the numbers, once when rows and columns agree."""
    rows = convolution.output_size_formula(grid.shape[0], kernel.shape[0], stride, padding, dilation)
    columns = convolution.output_size_formula(grid.shape[1], kernel.shape[1], stride, padding, dilation)
    where = f"rows and columns: {rows}" if rows == columns else f"rows: {rows}<br>columns: {columns}"
    return (
        f'<div data-formula="output-size" style="font-size:clamp(16px, 2.2vh, 22px)">'
        f"<b>Output size: {output.shape[0]}×{output.shape[1]}</b><br>{where}</div>"
    )


ui.keep_settings("convolution", SETTINGS)

ui.tighten_top()
title_column, settings_column = st.columns([3, 2], vertical_alignment="bottom")
title_column.title("Convolution")
with settings_column.popover("Grid, kernel, stride, padding…", icon=":material/tune:", width="stretch"):
    draw_settings()
st.markdown(
    "A convolution slides a small grid of weights, the **kernel**, over its input: at each position it multiplies "
    "the numbers under it by its weights and adds them up, one cell of the **feature map**."
)

padding_choice = st.session_state.get("convolution_padding", "valid")
padding = padding_choice if padding_choice in ("valid", "same") else int(padding_choice)
stride, dilation = st.session_state.convolution_stride, st.session_state.convolution_dilation
bias = st.session_state.convolution_bias
grid = ui.read_grid("convolution_grid", "input grid", convolution.counting_grid(5))
kernel = ui.read_grid("convolution_kernel", "kernel", convolution.kernel_presets(3)["X kernel"], max_size=5)
trace = None
with ui.explained_errors(stop=False):  # a setting that cannot work is a message here; the lessons below still run
    trace = convolution.trace_conv2d(grid, kernel, stride, padding, dilation, bias)


@st.fragment(run_every=ui.play_interval("convolution"))
def show_step(trace: convolution.Trace) -> None:
    """Draw one step: the kernel, the lit window linked to its output cell, the feature map so far, the sum."""
    index = ui.step_controls("convolution", trace.num_steps)
    st.markdown(steps.convolution_picture(trace, index, PICTURE_MAX_HEIGHT), unsafe_allow_html=True)


if trace is not None:
    show_step(trace)
    st.markdown(size_formula_text(grid, kernel, stride, padding, dilation, trace.output), unsafe_allow_html=True)
if trace is not None and dilation > 1:
    st.caption(
        f"Dilation {dilation}: the kernel's cells sit {dilation} apart, so a {kernel.shape[0]}-wide kernel spans "
        f"{convolution.dilated_size(kernel.shape[0], dilation)} cells with the same {kernel.size} weights."
    )


@st.cache_data(max_entries=8)
def load_photo(name: str) -> np.ndarray:
    """Return a sample photo as uint8 RGB, at most 256 pixels on its longer side."""
    return images.shrink_to_fit(images.load_sample_photo(name), 256)


@st.cache_data(max_entries=16)
def decode_upload(data: bytes) -> np.ndarray:
    """Return an uploaded photo as uint8 RGB, at most 256 pixels on its longer side (a CnnvizError if unreadable)."""
    return images.shrink_to_fit(images.load_image(data), 256)


@st.cache_data(max_entries=8)
def load_learned_weights(model_path: str, modified: float) -> tuple[np.ndarray, np.ndarray]:
    """Return a saved model's first Conv2D kernels and biases (`modified` makes a retrained model load again)."""
    return learned_kernels.first_conv_weights(model_path)


def pick_learned_kernel() -> tuple[np.ndarray, float] | None:
    """Let a person pick a trained run (the best finished one first, as on Predict) and one of its first-layer
    filters; return (kernel, bias) or None."""
    trained = runs.trained_runs()
    if not trained:
        st.info("No trained model yet: train one (a few epochs are enough), then come back to see its filters.")
        st.page_link("app_pages/train.py", label="Train a model", icon=":material/model_training:")
        return None
    by_id = {run.run_id: run for run in trained}
    best = list(by_id).index(analysis.best_finished_run(trained).run_id)
    run_column, filter_column = st.columns(2)
    run_id = run_column.selectbox(
        "Trained run", list(by_id), best, lambda each: by_id[each].label, key="convolution_learned_run"
    )
    with ui.explained_errors(stop=False):
        kernels, biases = load_learned_weights(str(by_id[run_id].model_path), by_id[run_id].model_version)
        number = filter_column.number_input("Filter", 1, kernels.shape[3], 1, key="convolution_learned_filter")
        return kernels[..., number - 1], float(biases[number - 1])
    return None


st.subheader("Channels: one filter spans R, G and B")
st.markdown(
    "A colour image has three grids, one per channel, so a Conv2D kernel has a 3×3 slice for each: **3×3×3**. "
    "Each slice multiplies its own channel; the three sums and one **bias** add up to **one** output cell."
)
rgb_image, rgb_kernel = channels.toy_rgb_image(), channels.toy_rgb_kernel()
bias_column, cell_column = st.columns([1, 3])
channel_bias = bias_column.number_input("Bias", -10.0, 10.0, 1.0, 1.0, key="convolution_channels_bias")
channel_trace = convolution.trace_conv2d(rgb_image, rgb_kernel, bias=channel_bias)
channel_step = cell_column.slider("Output cell", 1, channel_trace.num_steps, 1, key="convolution_channels_step")
st.markdown(steps.channels_picture(channel_trace, channel_step - 1), unsafe_allow_html=True)

filter_count = st.columns([1, 3])[0].number_input(
    "Filters in the layer", 1, channels.MAX_FILTERS, 4, key="convolution_filters"
)
kernels, biases = channels.filter_bank(filter_count)
depth = channels.filter_outputs(rgb_image, kernels, biases)
st.markdown(
    f"Each filter makes its own {depth.shape[0]}×{depth.shape[1]} map; the layer stacks them: an output "
    f"**{depth.shape[0]}×{depth.shape[1]}×{filter_count}**, and **{channels.parameter_formula(3, 3, filter_count)}** "
    "parameters (3×3×3 weights and one bias per filter). The cats-vs-dogs network's first Conv2D has 32 filters: "
    f"**{channels.parameter_formula(3, 3, 32)}**, the number on the Layers page."
)
st.markdown(steps.depth_picture(depth), unsafe_allow_html=True)
st.page_link("app_pages/layers.py", label="Layers: where 3×3×3×32 + 32 = 896 comes from", icon=":material/stacks:")

st.subheader("A kernel on a real photo")
photo_column, upload_column = st.columns([1, 2])
photo_name = photo_column.selectbox("Photo", list(images.SAMPLE_PHOTOS), key="convolution_photo")
upload = upload_column.file_uploader("…or your own photo", type=images.UPLOAD_TYPES, key="convolution_upload")
photo = load_photo(photo_name)
if upload is not None:
    with ui.explained_errors(stop=False, prefix=f"{upload.name}: showing the sample photo instead. "):
        photo = decode_upload(upload.getvalue())
kernel_column, relu_column = st.columns([2, 1], vertical_alignment="bottom")
choice = kernel_column.selectbox(
    "Kernel (an edge kernel shows what ReLU does)",
    [*PHOTO_KERNELS, THE_KERNEL_ABOVE, LEARNED],
    key="convolution_photo_kernel",
)
use_relu = relu_column.toggle("ReLU: negative outputs become 0", value=True, key="convolution_relu")
photo_input, photo_kernel, photo_bias = images.to_grayscale(photo), kernel, bias
if choice in PHOTO_KERNELS:
    photo_kernel, photo_bias = convolution.kernel_presets(3)[choice], 0.0
elif choice == LEARNED:
    learned = pick_learned_kernel()
    if learned is None:
        st.stop()
    photo_kernel, photo_bias = learned
    if photo_kernel.shape[2] == 3:
        photo_input = photo.astype(float) / 255  # the model's own Rescaling(1/255): an RGB filter on the RGB photo
    else:
        photo_kernel = photo_kernel[..., 0]  # a grey-input network: one channel
    st.caption(f"Filter weights per channel, bias {convolution.format_number(round(photo_bias, 4))}:")
    st.code(
        "\n\n".join(convolution.format_grid(np.round(photo_kernel[..., c], 3)) for c in range(photo_kernel.shape[2]))
        if photo_kernel.ndim == 3
        else convolution.format_grid(np.round(photo_kernel, 3)),
        language=None,
    )
feature_map = None
with ui.explained_errors(stop=False, prefix="The photo: "):
    feature_map = convolution.conv2d(photo_input, photo_kernel, stride, padding, dilation, photo_bias)
if feature_map is None:
    st.stop()
feature_map = convolution.relu(feature_map) if use_relu else feature_map
negative_share = float(np.mean(feature_map < 0)) if not use_relu else 0.0
# Columns as wide as the pictures are, so the input and the feature map are drawn at the same pixel scale.
before, after, _ = st.columns([photo.shape[1], feature_map.shape[1], max(1, 600 - feature_map.shape[1])])
before.image(
    images.to_display(photo_input) if photo_input.ndim == 2 else photo,
    width="stretch",
    caption=f"input{', grayscale' if photo_input.ndim == 2 else ''}: {photo.shape[0]}×{photo.shape[1]}",
)
after.image(
    images.to_display(feature_map, robust=True),
    width="stretch",
    caption=f"feature map{' after ReLU' if use_relu else ''}: {feature_map.shape[0]}×{feature_map.shape[1]} "
    "(stretched to black…white, the brightest 0.5% clipped)",
)
if use_relu and float(np.mean(feature_map == 0)) > 0.9:
    st.caption(
        f"ReLU set {np.mean(feature_map == 0):.0%} of this map to 0: this filter responds to little in the photo. "
        "A filter learned on Fashion-MNIST looks for edges of light garments on black, which a photo has few of."
    )
ui.next_step("app_pages/pooling.py", "Next: Pooling, shrinking a feature map")
