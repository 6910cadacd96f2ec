"""Predict: drop an image on a trained model, see what it predicts and where it looked."""

import numpy as np
import streamlit as st

import ui
from cnnviz.data import images
from cnnviz.learning import explain
from cnnviz.pictures import plots
from cnnviz.runtime import runs
from page_sections import predict_model

ui.tighten_top()
st.title("Predict")
st.markdown(
    "Give a trained model an image it has never seen. The bars are its probabilities; the heatmap (Grad-CAM) "
    "shows which parts of the image pushed it towards its answer; the feature maps show what a layer sees."
)


@st.cache_data(max_entries=8)
def decode(data: bytes) -> np.ndarray:
    """Decode an upload to uint8 RGB, at most 1024 pixels on its longer side (the networks take 28 to 224)."""
    return images.load_image(data, max_side=1024)


@st.cache_resource(max_entries=2)
def test_images(run_id: str):
    """Return the run's dataset test split (or validation split) for picking an image."""
    return explain.held_out_images(runs.load_run(run_id))


# Inference is cached per (model, image, choice): moving the opacity slider or picking a layer reruns the
# page, and without these a forward and a backward pass would run again each time. `_model` is not hashed;
# `model_key` (run and file time, or the upload's hash) stands for it.
@st.cache_data(max_entries=16)
def predict(model_key: str, _model, image: np.ndarray, fit: images.SquareFit) -> tuple:
    """Return the image as the model takes it (and what was done to it) and the model's probabilities for it."""
    prepared = explain.prepare_for_model(image, _model.input_shape[1:], fit)
    return prepared, explain.probabilities(_model, prepared.batch)


@st.cache_data(max_entries=16)
def grad_cam(model_key: str, _model, batch: np.ndarray, class_index: int) -> np.ndarray:
    """Return the Grad-CAM heatmap of one class for the batch."""
    return explain.grad_cam(_model, batch, class_index)


@st.cache_data(max_entries=16)
def activations(model_key: str, _model, batch: np.ndarray, layer_name: str) -> np.ndarray:
    """Return one layer's feature maps for the batch."""
    return explain.activations(_model, batch, layer_name)


# The three choices share one row, so the prediction and its heatmap start on the first screen.
source_column, model_column, image_column = st.columns([1, 3, 1.4])
model, model_key, run = predict_model.choose(source_column, model_column)
class_names = explain.class_names_of(model, run)

sources = ["upload", "sample photo", "test image"]  # a test image of the run's own dataset
# With a trained run the page opens on one of its test images: a prediction and its heatmap at once.
source = image_column.radio("Image", sources, index=2 if run is not None else 0, key="predict_source")
image = None
if source == "upload":
    upload = st.file_uploader("Drop an image", type=images.UPLOAD_TYPES, key="predict_upload")
    if upload is not None:
        with ui.explained_errors(stop=False, prefix=f"{upload.name}: "):
            image = decode(upload.getvalue())
elif source == "sample photo":
    image = images.load_sample_photo(st.selectbox("Photo", list(images.SAMPLE_PHOTOS), key="predict_photo"))
elif run is not None:
    with ui.explained_errors(stop=False):
        split = test_images(run.run_id)
        number_column, truth_column = st.columns([1, 2], vertical_alignment="center")
        index = number_column.number_input(
            f"Test image number (0 to {len(split) - 1})", 0, len(split) - 1, 0, key="predict_index"
        )
        image, true_class = explain.held_out_image(split, index)
        truth_column.caption(f"true class: {class_names[true_class]}")
if image is None:
    st.stop()

fit = explain.check_image_fit(run.config.dataset, image) if run is not None else None
if fit is not None:
    st.caption(f"**This model knows** {', '.join(class_names)}, from {fit.trained_on}.")
    if fit.warning:
        warning_column, invert_column, crop_column = st.columns([4, 1, 1], vertical_alignment="center")
        warning_column.warning(fit.warning)
        if invert_column.toggle("Invert", value=False, key="predict_invert", disabled=not fit.suggest_invert):
            image = images.invert(image)
        if crop_column.toggle("Crop to the object", value=False, key="predict_crop", disabled=not fit.suggest_crop):
            image = images.crop_to_object(image)

prepared, probabilities = predict(model_key, model, image, fit.square_fit if fit else images.SquareFit.SQUASH)
best, batch, seen = int(np.argmax(probabilities)), prepared.batch, prepared.seen
input_column, cam_column, result_column = st.columns([2, 2, 3])
input_column.image(seen, width="stretch", caption=f"as the model sees it: {prepared.shape_text}")
if prepared.note:
    input_column.caption(prepared.note.capitalize())
result_column.markdown(f"### {class_names[best]} ({probabilities[best]:.1%})")
result_column.plotly_chart(plots.probability_figure(class_names, list(probabilities)), key="predict_probabilities")
with result_column.expander("Grad-CAM settings"):
    # Keyed on the model and the image: a new upload or model explains its own prediction, not the last one's.
    explained = st.selectbox("Explain class", class_names, index=best, key=f"predict_class_{model_key}_{prepared.key}")
    opacity = st.slider("Heatmap opacity", 0.0, 1.0, 0.5, 0.05, key="predict_opacity")
heatmap = grad_cam(model_key, model, batch, class_names.index(explained))
cam_column.image(
    explain.overlay(seen, heatmap, opacity),
    width="stretch",
    caption=f"explaining: {explained} (Grad-CAM of {explain.last_conv_layer_name(model)}, "
    f"{heatmap.shape[0]}×{heatmap.shape[1]})",
)

st.subheader("Feature maps")
layer_name = st.selectbox("Layer", explain.spatial_layer_names(model), key="predict_layer")
count = st.radio("Channels", [16, 32], horizontal=True, key="predict_channels")
maps = activations(model_key, model, batch, layer_name)
st.image(
    explain.feature_grid(maps, count),
    width="stretch",
    caption=f"{layer_name}: output {maps.shape[0]}×{maps.shape[1]}×{maps.shape[2]}, first {min(count, maps.shape[2])}",
)
ui.next_step("app_pages/convolution.py", "Back to the start: convolution by hand")
