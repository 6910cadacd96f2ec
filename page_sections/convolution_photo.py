"""The Convolution page's last lesson: the same kernel, a preset, or a filter a network learned, on a real photo."""

import numpy as np
import streamlit as st

import ui
from cnnviz.data import images
from cnnviz.learning import analysis
from cnnviz.lesson import convolution, learned_kernels, output_sizes, photos
from cnnviz.runtime import runs

THE_KERNEL_ABOVE = "the kernel above"
LEARNED = "a filter your model learned"


@st.cache_data(max_entries=8)
def load_photo(name: str) -> np.ndarray:
    """Return a sample photo as uint8 RGB, at most 256 pixels on its longer side."""
    return images.shrink_to_fit(images.load_sample_photo(name), 256)


@st.cache_data(max_entries=16)
def decode_upload(data: bytes) -> np.ndarray:
    """Return an uploaded photo as uint8 RGB, at most 256 pixels on its longer side (a CnnvizError if unreadable)."""
    return images.shrink_to_fit(images.load_image(data), 256)


@st.cache_data(max_entries=8)
def load_learned_weights(run_id: str, version: float) -> tuple[np.ndarray, np.ndarray]:
    """Return a run's first Conv2D kernels and biases (a new `version`, the run trained further, loads again)."""
    return learned_kernels.first_conv_weights(runs.load_run(run_id).model_path)


def pick_learned_kernel() -> photos.PhotoKernel | None:
    """Let a person pick a trained run (the best finished one first, as on Predict) and one of its first-layer
    filters; return it, or None."""
    trained = runs.trained_runs()
    if not trained:
        st.info("No trained model yet: train one (a few epochs are enough), then come back to see its filters.")
        st.page_link("app_pages/train.py", label="Train a model", icon=":material/model_training:")
        return None
    labels = analysis.choice_labels(trained)
    best = list(labels).index(analysis.best_finished_run(trained).run_id)
    run_column, filter_column = st.columns(2)
    run_id = run_column.selectbox("Trained run", list(labels), best, labels.get, key="convolution_learned_run")
    with ui.explained_errors(stop=False):
        kernels, biases = load_learned_weights(run_id, runs.load_run(run_id).model_version)
        number = filter_column.number_input("Filter", 1, kernels.shape[3], 1, key="convolution_learned_filter")
        return photos.PhotoKernel.learned(kernels, biases, number)
    return None


def draw(kernel: np.ndarray, bias: float, stride: int, padding: output_sizes.Padding, dilation: int) -> None:
    """Draw a photo (a sample or an upload) before and after a kernel, with ReLU and a learned filter to pick."""
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
        [*photos.PHOTO_KERNELS, THE_KERNEL_ABOVE, LEARNED],
        key="convolution_photo_kernel",
    )
    use_relu = relu_column.toggle("ReLU: negative outputs become 0", value=True, key="convolution_relu")
    photo_kernel = photos.PhotoKernel(kernel, bias)
    if choice in photos.PHOTO_KERNELS:
        photo_kernel = photos.PhotoKernel.preset(choice)
    elif choice == LEARNED:
        photo_kernel = pick_learned_kernel()
        if photo_kernel is None:
            return
        st.caption(f"Filter weights per channel, bias {convolution.format_number(round(photo_kernel.bias, 4))}:")
        st.code(photo_kernel.weights_text(), language=None)
    result = None
    with ui.explained_errors(stop=False, prefix="The photo: "):
        result = photos.convolve_photo(photo, photo_kernel, stride, padding, dilation, use_relu)
    if result is None:
        return
    # Columns as wide as the pictures are, so the input and the feature map are drawn at the same pixel scale.
    before, after, _ = st.columns([*result.widths, max(1, 600 - result.widths[1])])
    before.image(result.input_picture, width="stretch", caption=result.input_caption)
    after.image(result.map_picture, width="stretch", caption=result.map_caption)
    if result.note:
        st.caption(result.note)
