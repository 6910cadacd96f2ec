"""The Predict page's model choice: a run trained here (the best finished one first), or an uploaded .keras file."""

import streamlit as st

import ui
from cnnviz.learning import analysis, explain
from cnnviz.runtime import runs, settings
from page_sections import predict_image


@st.cache_resource(max_entries=4)
def load_model(run_id: str, version: float):
    """Load a run's model once (safe mode); a new `version` (the run trained further) loads it afresh."""
    return explain.load_run_model(runs.load_run(run_id))


@st.cache_resource(max_entries=2)
def load_uploaded_model(data: bytes):
    """Load an uploaded .keras file in safe mode; return it and its content hash."""
    return explain.load_uploaded_model(data), explain.content_key(data)


def preload_default_model() -> None:
    """Fill Predict's caches with what it opens on: the best finished run's model and its test images.

    Called on the server's background thread once Keras is imported, so Predict's first visit pays for
    neither (BENCHMARKS.md, "Sidebar click to picture"); a run trained later loads at its first visit."""
    trained = runs.trained_runs()
    if trained:
        run = analysis.best_finished_run(trained)
        load_model(run.run_id, run.model_version)
        predict_image.test_images(run.run_id)


def choose(source_column, model_column) -> tuple:
    """Draw the model choice in two columns; return the model, its cache key and its run (None for an upload)."""
    trained = runs.trained_runs()
    model_source = source_column.radio(
        "Model",
        ["a run trained here", "upload a .keras file"],
        key="predict_model_source",
        label_visibility="collapsed",
    )
    run = None
    with ui.explained_errors():
        if model_source == "a run trained here":
            if not trained:
                st.info("No trained model yet: train one on the Train page (one epoch is enough to try this page).")
                st.stop()
            choices = analysis.choice_labels(trained)
            chosen = ui.run_picker(
                model_column, "Trained run", choices, "predict_run", lambda: analysis.best_finished_run(trained).run_id
            )
            run = runs.load_run(chosen)
            model, model_key = load_model(run.run_id, run.model_version), f"{run.run_id}@{run.model_version}"
        else:
            model_file = model_column.file_uploader(
                f"A Keras 3 model (.keras, at most {settings.max_upload_mb()} MB)",
                type=["keras"],
                key="predict_model_upload",
            )
            if model_file is None:
                st.stop()
            model, model_key = load_uploaded_model(model_file.getvalue())
    return model, model_key, run
