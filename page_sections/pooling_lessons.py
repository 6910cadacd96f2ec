"""The Pooling page's lessons below the steps: a one-column shift of the grid, and a real feature map pooled
three ways and shifted one pixel."""

import numpy as np
import streamlit as st

import ui
from cnnviz.data import images
from cnnviz.lesson import photos, pooling
from cnnviz.pictures import steps


@st.cache_data(max_entries=8)
def load_small_photo(name: str) -> np.ndarray:
    """Return a sample photo as a 28×28 grayscale image, the size of a Fashion-MNIST picture."""
    return images.to_grayscale(images.load_sample_photo(name), size=(28, 28))


def draw_grid_shift(grid: np.ndarray, size: int, stride: int) -> None:
    """Draw the typed feature map moved one column right beside both max-pooled maps, the changed cells lit."""
    st.subheader("Translation invariance: move the input one column")
    with ui.explained_errors(stop=False):
        shift = pooling.compare_grid_shift(grid, size, stride)
        st.markdown(steps.shift_picture(shift, max_height="320px"), unsafe_allow_html=True)
        st.markdown(shift.describe())


def show_pictures(pictures: list[photos.Picture]) -> None:
    """Draw pictures side by side in columns as wide as they are, so every map has the same pixel scale."""
    for column, (caption, picture) in zip(st.columns([picture.shape[1] for _, picture in pictures]), pictures):
        column.image(picture, caption=caption, width="stretch")


def draw_real_map(size: int, stride: int) -> None:
    """Draw a photo's 26×26 first-layer feature map pooled max, average and sum, then the same photo shifted."""
    st.subheader("A real feature map")
    st.markdown(
        "A 28×28 photo goes through a 3×3 edge kernel (valid padding, then ReLU), as in a first Conv2D layer: "
        "26×26. Pooling it with the settings above keeps the edges and shrinks the map; all maps share one "
        "brightness scale, so a weaker peak looks dimmer."
    )
    photo_column, edge_column = st.columns(2)
    photo_name = photo_column.selectbox("Photo", list(images.SAMPLE_PHOTOS), key="pooling_photo")
    edge_name = edge_column.selectbox("Edge kernel", photos.EDGE_KERNELS, key="pooling_edge")
    with ui.explained_errors(stop=False):
        real = photos.real_pooling(load_small_photo(photo_name), edge_name, size, stride)
        show_pictures(real.pictures)
        st.markdown(real.comparison.describe())
        st.markdown("**The same photo, one pixel to the right** (cells that changed in red):")
        show_pictures(real.shift_pictures)
        st.markdown(real.shift.describe())
