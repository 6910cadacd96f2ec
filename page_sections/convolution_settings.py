"""The Convolution page's settings: grid, kernel and presets, stride, padding, dilation, bias (in a popover)."""

import streamlit as st

import ui
from cnnviz.lesson import convolution, output_sizes

PADDINGS = ["valid", "same", "1", "2"]
SETTINGS = ["grid_size", "grid", "kernel_size", "preset", "kernel", "stride", "padding", "dilation", "bias"]


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
        help="valid: no zeros, so the border cells are never a window's centre (dashed on the grid); same: Keras pads "
        "so output = ⌈n / stride⌉; a number: that many zeros on each side",
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


def read_settings() -> tuple[int, output_sizes.Padding, int, float]:
    """Return the chosen stride, padding, dilation and bias."""
    state = st.session_state
    padding = output_sizes.parse_padding(state.get("convolution_padding", "valid"))
    return state.convolution_stride, padding, state.convolution_dilation, state.convolution_bias
