"""The Network page's choices in one row: the trained run (or an uploaded .keras), the image, and the epoch."""

from dataclasses import dataclass

import numpy as np
import streamlit as st

import ui
from cnnviz.data import images
from cnnviz.learning import analysis, explain, time_lapse
from cnnviz.pictures import plots
from cnnviz.runtime import runs, settings
from page_sections import predict_image, predict_model

IMAGES = ["test image", "training image", "upload"]


@dataclass(frozen=True)
class Choice:
    """What the page shows: a model (at an epoch, for a run), its cache key, the image as the model takes it."""

    model: object
    model_key: str
    run: runs.Run | None
    class_names: list[str]
    prepared: explain.PreparedImage
    true_class: int | None
    epoch: int | None  # the slider's epoch (None: the final model, or no slider)
    replays_network: bool  # the model is the network at `epoch` (else the final one: only its first layer was kept)
    note: str | None  # about the image or the epochs, one line


@st.cache_resource(max_entries=6)
def load_model_at(run_id: str, version: float, epoch: int):
    """Load a run's network as it was at the end of one epoch (its kept weights), once per server."""
    return time_lapse.load_model_at(runs.load_run(run_id), epoch, predict_model.load_model(run_id, version))


@st.cache_resource(max_entries=2)
def training_images(run_id: str):
    """Return the run's training split, for watching a training image's confidence climb."""
    return explain.training_images(runs.load_run(run_id))


def choose_model(column) -> tuple:
    """Draw the model choice; return the model, its key and its run (None for an upload)."""
    trained = runs.trained_runs()
    choices = analysis.choice_labels(trained)
    choices["upload"] = "an uploaded .keras file"
    chosen = ui.run_picker(
        column,
        "Trained run",
        choices,
        "network_run",
        lambda: analysis.best_finished_run(trained).run_id if trained else "upload",
    )
    if chosen == "upload":
        upload = column.file_uploader(
            f"A Keras 3 model (.keras, at most {settings.max_upload_mb()} MB)", type=["keras"], key="network_model"
        )
        if upload is None:
            st.info("Train a model on the Train page (one epoch is enough), or upload a .keras file here.")
            st.stop()
        model, key = predict_model.load_uploaded_model(upload.getvalue())
        return model, key, None
    run = runs.load_run(chosen)
    return predict_model.load_model(run.run_id, run.model_version), f"{run.run_id}@{run.model_version}", run


def choose_image(column, number_column, run: runs.Run | None) -> tuple[np.ndarray | None, int | None]:
    """Draw the image choice; return the image and its true class when it is one of the run's own."""
    source = column.radio("Image", IMAGES if run else IMAGES[2:], horizontal=True, key="network_image_source")
    if source == "upload":
        upload = number_column.file_uploader("Drop an image", type=images.UPLOAD_TYPES, key="network_upload")
        if upload is None:
            return None, None
        with ui.explained_errors(stop=False, prefix=f"{upload.name}: "):
            return predict_image.decode(upload.getvalue()), None
        return None, None
    split = predict_image.test_images(run.run_id) if source == "test image" else training_images(run.run_id)
    index = number_column.number_input(f"Number (0 to {len(split) - 1})", 0, len(split) - 1, 0, key="network_index")
    return explain.held_out_image(split, int(index))


def choose_epoch(column, run: runs.Run | None) -> time_lapse.Replay:
    """Draw the epoch slider when the run kept epochs to replay; return what the chosen epoch replays."""
    epochs = time_lapse.replayable_epochs(run) if run is not None else []
    if len(epochs) < 2:
        return time_lapse.replay(run, None)
    epoch = column.select_slider(
        "Epoch (replay the learning)", epochs, value=epochs[-1], key=f"network_epoch_{run.run_id}"
    )
    # Beside the slider, the accuracy curves with its epoch marked: where in the learning this network is.
    strip = ui.shared_figure(
        ("network_epoch_strip", run.run_id, len(run.epochs), epoch), lambda: plots.epoch_strip(run.epochs, epoch)
    )
    column.plotly_chart(strip, key="network_epoch_strip", config={"displayModeBar": False})
    return time_lapse.replay(run, epoch)


def choose() -> Choice:
    """Draw the row of choices; return what the page shows (stops the page while something is missing)."""
    model_column, image_column, number_column, epoch_column = st.columns([2, 2, 1, 2])
    with ui.explained_errors():
        model, model_key, run = choose_model(model_column)
        class_names = explain.class_names_of(model, run)
        image, true_class = choose_image(image_column, number_column, run)
        if image is None:
            st.info("Drop an image above to see it flow through the network.")
            st.stop()
        replay = choose_epoch(epoch_column, run)
        epoch, replays_network, note = replay.epoch, replay.network_epoch is not None, replay.note
        if replays_network:
            model = load_model_at(run.run_id, run.model_version, replay.network_epoch)
            model_key = f"{model_key}@epoch{replay.network_epoch}"
        fit = explain.check_image_fit(run.config.dataset, image) if run is not None else None
        prepared = explain.prepare_for_model(
            image, model.input_shape[1:], fit.square_fit if fit else images.SquareFit.SQUASH
        )
    notes = [text for text in (note, fit.warning if fit else None, prepared.note) if text]
    note = " ".join(text[0].upper() + text[1:] + ("" if text.endswith(".") else ".") for text in notes) or None
    return Choice(model, model_key, run, class_names, prepared, true_class, epoch, replays_network, note)
