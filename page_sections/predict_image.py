"""The Predict page's image: an upload, a camera shot, a sample photo, or one of the run's own test images."""

import numpy as np
import streamlit as st
from streamlit.runtime.uploaded_file_manager import UploadedFile

import ui
from cnnviz.data import images, own_photos
from cnnviz.learning import explain
from cnnviz.runtime import runs

SOURCES = ["upload", "camera", "sample photo", "test image"]  # a test image of the run's own dataset
TEST_IMAGE = SOURCES.index("test image")


@st.cache_data(max_entries=8)
def decode(data: bytes) -> np.ndarray:
    """Decode an upload to uint8 RGB, at most 1024 pixels on its longer side (the networks take 28 to 224)."""
    return images.load_image(data, max_side=1024)


@st.cache_resource(max_entries=2)
def test_images(run_id: str):
    """Return the run's dataset test split (or validation split) for picking an image."""
    return explain.held_out_images(runs.load_run(run_id))


def pick(source: str, run: runs.Run | None, class_names: list[str]) -> np.ndarray | None:
    """Draw the widget of the chosen source where the page calls this; return its image, None while there is none."""
    if source == "upload":
        upload = st.file_uploader("Drop an image", type=images.UPLOAD_TYPES, key="predict_upload")
        if upload is not None:
            with ui.explained_errors(stop=False, prefix=f"{upload.name}: "):
                return decode(upload.getvalue())
    elif source == "camera":
        shot = st.camera_input("Point the camera at an object", width=320, key="predict_camera")
        st.caption(own_photos.CAMERA_HELP)
        if isinstance(shot, UploadedFile):
            with ui.explained_errors(stop=False):
                return decode(shot.getvalue())
    elif source == "sample photo":
        return images.load_sample_photo(st.selectbox("Photo", list(images.SAMPLE_PHOTOS), key="predict_photo"))
    elif run is not None:
        with ui.explained_errors(stop=False):
            split = test_images(run.run_id)
            index = st.number_input(
                f"Test image number (0 to {len(split) - 1})", 0, len(split) - 1, 0, key="predict_index"
            )
            image, true_class = explain.held_out_image(split, index)
            st.caption(f"true class: {class_names[true_class]}")
            return image
    return None
