"""Augmentation: ImageDataGenerator's random transforms on a real photo, with the code to reproduce them."""

import numpy as np
import streamlit as st

import ui
from cnnviz.data import images
from cnnviz.learning import augmentation_link, augmentation_spec, warping
from page_sections import augmentation_parameters

ui.tighten_top()
ui.open_link("augmentation", augmentation_link.AUGMENTATION)
st.title("Augmentation")
st.markdown(
    "Augmentation shows the network a slightly different copy of each training image every epoch "
    "(turned, shifted, sheared, zoomed, flipped), so it cannot memorise pixels. The parameters are "
    "ImageDataGenerator's, with the cats-vs-dogs tutorial's values as defaults."
)


@st.cache_data(max_entries=8)
def load_photo(name: str) -> np.ndarray:
    """Return a sample photo as uint8 RGB."""
    return images.load_sample_photo(name)


# Six copies a row: a cell is about 220 pixels wide at 1440×900, so 400 pixels stay sharp and cost far less
# to warp and send than a larger upload (BENCHMARKS.md, "Measurements behind the code").
UPLOAD_LONG_SIDE = 400


@st.cache_data(max_entries=16)
def decode_upload(data: bytes) -> tuple[np.ndarray, str]:
    """Return an uploaded image as uint8 RGB, at most UPLOAD_LONG_SIDE pixels on its longer side, and its sizes."""
    photo = images.load_image(data, max_side=UPLOAD_LONG_SIDE)
    return photo, images.describe_size(photo, images.declared_size(data))


@st.cache_data(max_entries=8)
def preview_copies(
    photo: np.ndarray, spec: augmentation_spec.AugmentationSpec, count: int, seed: int
) -> tuple[np.ndarray, list[dict]]:
    """Return `count` augmented copies and their parameters, computed once for everyone with the same settings."""
    # A class opening this page on the defaults shares one entry instead of each warping 8 copies.
    return warping.preview(photo, spec, count, seed=seed)


ui.buttons_keep_their_labels("augmentation_sources")  # Copy link as wide as its label at 150% zoom too
sources = st.container(key="augmentation_sources")
source_column, upload_column, link_column = sources.columns([2, 4, 1], vertical_alignment="bottom")
photo_name = source_column.selectbox("Sample photo", list(images.SAMPLE_PHOTOS), key="augmentation_photo")
upload = upload_column.file_uploader("…or your own image", type=images.UPLOAD_TYPES, key="augmentation_upload")
photo = load_photo(photo_name)
size = images.describe_size(photo)
if upload is not None:
    with ui.explained_errors(stop=False, prefix=f"{upload.name}: Showing the sample photo instead. "):
        photo, size = decode_upload(upload.getvalue())
# The copies are the picture of this page: their place comes first, the sliders that make them below.
copies_place = st.container()

spec, count, seed = augmentation_parameters.draw()
copies, params = preview_copies(photo, spec, count, seed)
with link_column:
    ui.share_link("augmentation", augmentation_link.AUGMENTATION)
with copies_place:
    per_row = 6
    cells = [(size, photo)] + [(warping.describe_transform(p), copy) for p, copy in zip(params, copies)]
    for start in range(0, len(cells), per_row):
        for column, (caption, picture) in zip(st.columns(per_row), cells[start : start + per_row]):
            # JPEG: photos are smaller and quicker to encode than as PNG.
            column.image(picture, caption=caption, width="stretch", output_format="JPEG")

st.subheader("The same augmentation in code")
legacy_tab, keras_tab = st.tabs(["ImageDataGenerator (the tutorial)", "Keras 3 preprocessing layers"])
legacy_tab.code(
    "from tensorflow.keras.preprocessing.image import ImageDataGenerator\n\n"
    f"train_datagen = {spec.image_data_generator_code()}",
    language="python",
)
keras_tab.code(spec.keras_layers_code(), language="python")
keras_tab.caption(
    "Close, not identical: Keras's layers zoom both axes by one factor and take rotation as a fraction "
    "of a full turn. cnnviz trains with its own layer, which keeps ImageDataGenerator's meaning exactly."
)
ui.next_step("app_pages/datasets.py", "Next: Datasets, the images a network learns from")
