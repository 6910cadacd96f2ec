"""Predict: drop an image on a trained model, see what it predicts and where it looked."""

import numpy as np
import streamlit as st

import ui
from cnnviz.data import images, own_photos
from cnnviz.learning import explain
from cnnviz.pictures import plots
from page_sections import predict_image, predict_model

ui.tighten_top()
st.title("Predict")
st.markdown(
    "Give a trained model an image it has never seen. The bars are its probabilities; the heatmap (Grad-CAM) "
    "shows which parts of the image pushed it towards its answer; the feature maps show what a layer sees."
)


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

# With a trained run the page opens on one of its test images: a prediction and its heatmap at once.
index = predict_image.TEST_IMAGE if run is not None else 0
source = image_column.radio("Image", predict_image.SOURCES, index=index, key="predict_source")
# The pictures' row comes next, so the image and its heatmap start on the first screen at 150% zoom too: what picks
# the image (a test image's number, an upload, a photo) heads the prediction's column; a warning sits above the row.
warning_place = st.container()
input_column, cam_column, result_column = st.columns([2, 2, 3])
with result_column:
    image = predict_image.pick(source, run, class_names)
if image is None:
    st.stop()
fit = explain.check_image_fit(run.config.dataset, image) if run is not None else None
if fit is not None and fit.warning:
    warning_column, invert_column, crop_column = warning_place.columns([4, 1, 1], vertical_alignment="center")
    warning_column.warning(fit.warning)
    if invert_column.toggle("Invert", value=False, key="predict_invert", disabled=not fit.suggest_invert):
        image = images.invert(image)
    if crop_column.toggle("Crop to the object", value=False, key="predict_crop", disabled=not fit.suggest_crop):
        image = images.crop_to_object(image)

prepared, probabilities = predict(model_key, model, image, fit.square_fit if fit else images.SquareFit.SQUASH)
best, batch, seen = int(np.argmax(probabilities)), prepared.batch, prepared.seen
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
shortcut_note = own_photos.shortcut_note(run.config.dataset_path) if run is not None else None
if shortcut_note:  # a class's own photos: where the heatmap lies is the lesson
    cam_column.info(shortcut_note, icon=":material/visibility:")

if fit is not None:
    st.caption(f"**This model knows** {', '.join(class_names)}, from {fit.trained_on}.")
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
