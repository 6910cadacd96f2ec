"""The Augmentation page's controls: ImageDataGenerator's parameters, and how many copies with which seed."""

import numpy as np
import streamlit as st

import ui
from cnnviz.learning import augmentation_spec

TUTORIAL = augmentation_spec.TUTORIAL_AUGMENTATION  # the sliders start at the tutorial's values


def draw_new_samples() -> None:
    """Pick a new random seed, so every copy gets new parameters."""
    st.session_state.augmentation_draw = int(np.random.default_rng().integers(1_000_000))


def draw() -> tuple[augmentation_spec.AugmentationSpec, int, int]:
    """Draw the parameters; return the spec they make, how many copies, and the seed to draw them with."""
    st.session_state.setdefault("augmentation_draw", 0)
    st.subheader("ImageDataGenerator's parameters")
    geometry, more, output = st.columns(3)
    with geometry:
        rotation_range = st.slider(
            "rotation_range (degrees)", 0, 180, int(TUTORIAL.rotation_range), key="augmentation_rotation"
        )
        width_shift_range = st.slider(
            "width_shift_range (fraction of width)",
            0.0,
            1.0,
            TUTORIAL.width_shift_range,
            0.05,
            key="augmentation_width_shift",
        )
        height_shift_range = st.slider(
            "height_shift_range (fraction of height)",
            0.0,
            1.0,
            TUTORIAL.height_shift_range,
            0.05,
            key="augmentation_height_shift",
        )
        shear_range = st.slider(
            "shear_range (degrees!)", 0.0, 45.0, TUTORIAL.shear_range, 0.1, key="augmentation_shear"
        )
        zoom_range = st.slider(
            "zoom_range (z → [1 − z, 1 + z])", 0.0, 0.9, TUTORIAL.zoom_range, 0.05, key="augmentation_zoom"
        )
    with more:
        horizontal_flip = st.checkbox(
            "horizontal_flip", value=TUTORIAL.horizontal_flip, key="augmentation_horizontal_flip"
        )
        vertical_flip = st.checkbox("vertical_flip", value=False, key="augmentation_vertical_flip")
        fill_mode = st.selectbox("fill_mode", augmentation_spec.FILL_MODES, key="augmentation_fill_mode")
        cval = st.slider(
            "cval (fill value for constant)",
            0,
            255,
            0,
            key="augmentation_cval",
            disabled=not augmentation_spec.uses_cval(fill_mode),
        )
        use_brightness = st.checkbox("brightness_range", value=False, key="augmentation_use_brightness")
        brightness_range = st.slider(
            "brightness factors", 0.1, 2.0, (0.5, 1.5), 0.05, key="augmentation_brightness", disabled=not use_brightness
        )
    with output:
        count = st.slider("Copies", 4, 16, 8, key="augmentation_count")
        fixed_seed = st.checkbox("Fixed seed (same copies every time)", value=False, key="augmentation_fixed")
        seed = st.number_input("Seed", 0, 1_000_000, 42, key="augmentation_seed", disabled=not fixed_seed)
        st.button(
            "New samples",
            icon=":material/casino:",
            key="augmentation_new",
            on_click=draw_new_samples,
            disabled=fixed_seed,
        )

    with ui.explained_errors():
        spec = augmentation_spec.AugmentationSpec(
            rotation_range=rotation_range,
            width_shift_range=width_shift_range,
            height_shift_range=height_shift_range,
            shear_range=shear_range,
            zoom_range=zoom_range,
            horizontal_flip=horizontal_flip,
            vertical_flip=vertical_flip,
            fill_mode=fill_mode,
            cval=float(cval),
            brightness_range=brightness_range if use_brightness else None,
        )

    if spec.shear_note():
        st.info(spec.shear_note())
    st.caption(
        "width_shift_range moves the image sideways and height_shift_range up and down, as documented. "
        "The legacy ImageDataGenerator swaps the two on channels-last images (tensorflow issue 82838); "
        "cnnviz follows the documentation. It also turns non-square photos about their true centre."
    )
    return spec, count, int(seed) if fixed_seed else st.session_state.augmentation_draw
