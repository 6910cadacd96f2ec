"""Datasets: pick or prepare a dataset, see its classes, splits and sample images."""

import pandas as pd
import streamlit as st

import ui
from cnnviz.data import datasets, folders, sources
from cnnviz.data.sources import DatasetSource, SourceKind
from cnnviz.runtime import settings

ui.tighten_top()
st.title("Datasets")
st.markdown(
    "Every network here trains on one of these. Pick a source to see how many images each class and split has, "
    "and what they look like. Nothing is downloaded: everything works offline."
)


@st.cache_resource(max_entries=4, ttl=3600)
def load_dataset(source: DatasetSource, limit: int | None = None) -> datasets.Dataset:
    """Load a dataset once per server (Fashion-MNIST is 70,000 images)."""
    return datasets.load(source, limit=limit)


def show(dataset: datasets.Dataset) -> None:
    """Show a dataset's samples first (the picture), beside its counts per class and split and skipped files."""
    st.caption(f"**{dataset.source}**: {dataset.num_classes} classes, image shape {dataset.image_shape}")
    ui.stack_when_narrow("datasets_view")
    samples_column, counts_column = st.container(key="datasets_view").columns([3, 2])
    with samples_column:
        st.markdown("**Samples from the training split**")
        show_samples(dataset.samples_by_class(per_class=4))
    counts = pd.DataFrame(dataset.count_table()).set_index("class")
    # Tall enough for every row: an inner scroll used to hide the total row.
    counts_column.dataframe(counts, width="stretch", height=38 + 35 * len(counts))
    if dataset.skipped:
        with counts_column.expander(f"{len(dataset.skipped)} file(s) skipped"):
            st.dataframe(pd.DataFrame(dataset.skipped, columns=["file", "why"]), hide_index=True)


def show_samples(samples: dict[str, list]) -> None:
    """Show the samples compactly: one column per class, its pictures stacked under its name."""
    names = list(samples)
    per_row = min(len(names), 5)  # five classes a row: each name fits its column, two pictures side by side
    for start in range(0, len(names), per_row):
        for column, class_name in zip(st.columns(per_row), names[start : start + per_row]):
            column.caption(class_name)
            column.image(samples[class_name], width=56)


options = {option.label: option for option in sources.source_options(settings.allow_server_paths())}
option = options[st.selectbox("Source", list(options), key="datasets_source")]
source, limit = None, None
with ui.explained_errors(stop=False):
    if option.kind is SourceKind.BUILT_IN:
        source = DatasetSource(option.name)
    elif option.kind is SourceKind.ZIP:
        upload = st.file_uploader(
            "A zip of class folders, or of train/ validation/ test/ folders", type=["zip"], key="datasets_zip"
        )
        source = None if upload is None else DatasetSource.folder(folders.extract_zip(upload.getvalue()))
    elif option.kind is SourceKind.FOLDER:
        path = st.text_input("Folder path on the server", key="datasets_path")
        source = DatasetSource.folder(path) if path else None
    elif option.kind is SourceKind.SMALL_SPLIT:
        st.markdown(
            "From Kaggle's dogs-vs-cats `train/` folder (cat.0.jpg … dog.12499.jpg), copy 1,000 / 500 / 500 "
            "images per class into train/ validation/ test/, exactly as the tutorial did."
        )
        kaggle_path = st.text_input("Kaggle train/ folder", key="datasets_kaggle_path")
        if st.button("Make the small split", key="datasets_split", disabled=not kaggle_path):
            bar = st.progress(0.0, text="copying…")
            folders.make_dogs_vs_cats_small(
                kaggle_path,
                folders.small_split_dir(),
                progress=lambda done, total: bar.progress(done / total, f"{done}/{total}"),
            )
        source = DatasetSource.folder(folders.small_split_dir()) if folders.has_small_split() else None
    else:
        name = st.selectbox("tensorflow-datasets name", sources.tfds_names(), key="datasets_tfds")
        if st.button("Load", key="datasets_tfds_load"):
            source, limit = DatasetSource(name), 500
    if source is not None:
        show(load_dataset(source, limit))
ui.next_step("app_pages/train.py", "Next: Train a network on it")
