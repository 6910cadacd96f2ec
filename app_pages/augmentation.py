"""Augmentation: ImageDataGenerator's random transforms on a real photo, with the code to reproduce them."""

import numpy as np
import streamlit as st

import ui
from cnnviz.data import images
from cnnviz.learning import augment, augmentation_spec

ui.tighten_top()
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


# Six copies a row: a cell is about 220 pixels wide at 1440×900, so 400 pixels stay sharp, and every copy
# costs 2¼× less to warp and send than at 600 (uploads were the class server's busiest work in the soak).
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
    return augment.preview(photo, spec, count, seed=seed)


def draw_new_samples() -> None:
    """Pick a new random seed, so every copy gets new parameters."""
    st.session_state.augmentation_draw = int(np.random.default_rng().integers(1_000_000))


TUTORIAL = augmentation_spec.TUTORIAL_AUGMENTATION  # the sliders start at the tutorial's values
st.session_state.setdefault("augmentation_draw", 0)
source_column, upload_column = st.columns([1, 2])
photo_name = source_column.selectbox("Sample photo", list(images.SAMPLE_PHOTOS), key="augmentation_photo")
upload = upload_column.file_uploader("…or your own image", type=images.UPLOAD_TYPES, key="augmentation_upload")
photo = load_photo(photo_name)
size = images.describe_size(photo)
if upload is not None:
    with ui.explained_errors(stop=False, prefix=f"{upload.name}: Showing the sample photo instead. "):
        photo, size = decode_upload(upload.getvalue())
# The copies are the picture of this page: their place comes first, the sliders that make them below.
copies_place = st.container()

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
    shear_range = st.slider("shear_range (degrees!)", 0.0, 45.0, TUTORIAL.shear_range, 0.1, key="augmentation_shear")
    zoom_range = st.slider(
        "zoom_range (z → [1 − z, 1 + z])", 0.0, 0.9, TUTORIAL.zoom_range, 0.05, key="augmentation_zoom"
    )
with more:
    horizontal_flip = st.checkbox("horizontal_flip", value=TUTORIAL.horizontal_flip, key="augmentation_horizontal_flip")
    vertical_flip = st.checkbox("vertical_flip", value=False, key="augmentation_vertical_flip")
    fill_mode = st.selectbox("fill_mode", augmentation_spec.FILL_MODES, key="augmentation_fill_mode")
    cval = st.slider(
        "cval (fill value for constant)", 0, 255, 0, key="augmentation_cval", disabled=fill_mode != "constant"
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
        "New samples", icon=":material/casino:", key="augmentation_new", on_click=draw_new_samples, disabled=fixed_seed
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

if 0 < shear_range <= 1:
    st.info(
        f"shear_range={shear_range} means **{shear_range} degrees**, as in ImageDataGenerator, so it barely "
        "shows. The tutorial's 0.2 is almost no shear; try 20 to see it."
    )
st.caption(
    "width_shift_range moves the image sideways and height_shift_range up and down, as documented. "
    "The legacy ImageDataGenerator swaps the two on channels-last images (tensorflow issue 82838); "
    "cnnviz follows the documentation. It also turns non-square photos about their true centre."
)

copies, params = preview_copies(photo, spec, count, int(seed) if fixed_seed else st.session_state.augmentation_draw)
with copies_place:
    per_row = 6
    cells = [(size, photo)] + [(augment.describe_transform(p), copy) for p, copy in zip(params, copies)]
    for start in range(0, len(cells), per_row):
        for column, (caption, picture) in zip(st.columns(per_row), cells[start : start + per_row]):
            column.image(picture, caption=caption, width="stretch")

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
