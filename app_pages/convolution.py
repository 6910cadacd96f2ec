"""Convolution: slide a kernel over a grid one step at a time, then over channels and a real photo."""

import streamlit as st

import ui
from cnnviz.lesson import channels, convolution, links, output_sizes
from cnnviz.pictures import steps
from page_sections import convolution_photo, convolution_settings

# What the picture may take of the window's height: the title, two lines and the step row stay above it.
PICTURE_MAX_HEIGHT = "max(220px, calc(100vh - 330px))"

ui.open_link("convolution", links.CONVOLUTION)
ui.keep_settings("convolution", convolution_settings.SETTINGS)

ui.tighten_top()
title_column, settings_column = st.columns([3, 2], vertical_alignment="bottom")
title_column.title("Convolution")
with settings_column.popover("Grid, kernel, stride, padding…", icon=":material/tune:", width="stretch"):
    convolution_settings.draw_settings()
st.markdown(
    "A convolution slides a small grid of weights, the **kernel**, over its input: at each position it multiplies "
    "the numbers under it by its weights and adds them up, one cell of the **feature map**."
)

stride, padding, dilation, bias = convolution_settings.read_settings()
grid = ui.read_grid("convolution_grid", "input grid", convolution.counting_grid(5))
kernel = ui.read_grid("convolution_kernel", "kernel", convolution.kernel_presets(3)["X kernel"], max_size=5)
trace = None
with ui.explained_errors(stop=False):  # a setting that cannot work is a message here; the lessons below still run
    trace = convolution.trace_conv2d(grid, kernel, stride, padding, dilation, bias)
link_values = {"grid": grid, "kernel": kernel, "stride": stride, "dilation": dilation, "bias": bias}
link_values["padding"] = st.session_state.convolution_padding


@st.fragment(run_every=ui.play_interval("convolution"))
def show_step(trace: convolution.Trace) -> None:
    """Draw one step: the kernel, the lit window linked to its output cell, the feature map so far, the sum."""
    index = ui.step_controls("convolution", trace.num_steps, links.CONVOLUTION, link_values)
    st.markdown(steps.convolution_picture(trace, index, PICTURE_MAX_HEIGHT), unsafe_allow_html=True)


if trace is not None:
    show_step(trace)
    formula = steps.size_formula(grid.shape, kernel.shape, trace.output.shape, stride, padding, dilation)
    st.markdown(formula, unsafe_allow_html=True)
    st.markdown(trace.boundary_note())
if trace is not None and dilation > 1:
    st.caption(
        f"Dilation {dilation}: the kernel's cells sit {dilation} apart, so a {kernel.shape[0]}-wide kernel spans "
        f"{output_sizes.dilated_size(kernel.shape[0], dilation)} cells with the same {kernel.size} weights."
    )


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

convolution_photo.draw(kernel, bias, stride, padding, dilation)
ui.next_step("app_pages/pooling.py", "Next: Pooling, shrinking a feature map")
