"""Datasets: pick or prepare a dataset, see its classes, splits and sample images."""

import pandas as pd
import streamlit as st

import ui
from cnnviz.data import datasets, folders
from cnnviz.runtime import settings

ui.tighten_top()
st.title("Datasets")
st.markdown(
    "Every network here trains on one of these. Pick a source to see how many images each class and split has, "
    "and what they look like. Nothing is downloaded: everything works offline."
)

SOURCES = {
    "Fashion-MNIST (installed)": "fashion_mnist",
    "LFW faces (ships with scikit-image)": "lfw_faces",
    "Zip upload": "zip",
    "Folder on this server": "folder",
    "Dogs vs cats: make the tutorial's small split": "splitter",
    "tensorflow-datasets": "tfds",
}


@st.cache_resource(max_entries=4, ttl=3600)
def load_dataset(name: str, path: str = "", limit: int | None = None) -> datasets.Dataset:
    """Load a dataset once per server (Fashion-MNIST is 70,000 images)."""
    if name == "folder":
        return datasets.load(name, path=path)
    return datasets.load(name, limit=limit) if limit else datasets.load(name)


def show(dataset: datasets.Dataset) -> None:
    """Show a dataset's samples first (the picture), beside its counts per class and split and skipped files."""
    st.caption(f"**{dataset.source}**: {dataset.num_classes} classes, image shape {dataset.image_shape}")
    counts = pd.DataFrame(dataset.counts()).pivot(index="class", columns="split", values="images")
    counts = counts[[split for split in ("train", "validation", "test") if split in counts]]
    counts.loc["total"] = counts.sum()
    ui.stack_when_narrow("datasets_view")
    samples_column, counts_column = st.container(key="datasets_view").columns([3, 2])
    with samples_column:
        st.markdown("**Samples from the training split**")
        show_samples(dataset.class_names, dataset.samples(per_class=4))
    # Tall enough for every row: an inner scroll used to hide the total row.
    counts_column.dataframe(counts, width="stretch", height=38 + 35 * len(counts))
    if dataset.skipped:
        with counts_column.expander(f"{len(dataset.skipped)} file(s) skipped"):
            st.dataframe(pd.DataFrame(dataset.skipped, columns=["file", "why"]), hide_index=True)


def show_samples(class_names: list[str], samples: list) -> None:
    """Show the samples compactly: one column per class, its pictures stacked under its name."""
    per_row = min(len(class_names), 5)  # five classes a row: each name fits its column, two pictures side by side
    for start in range(0, len(class_names), per_row):
        for column, class_name in zip(st.columns(per_row), class_names[start : start + per_row]):
            pictures = [picture for name, picture in samples if name == class_name]
            column.caption(class_name)
            column.image([picture[..., 0] if picture.shape[-1] == 1 else picture for picture in pictures], width=56)


choices = [
    label for label, kind in SOURCES.items() if kind not in ("folder", "splitter") or settings.allow_server_paths()
]
source = SOURCES[st.selectbox("Source", choices, key="datasets_source")]
with ui.explained_errors(stop=False):
    if source in ("fashion_mnist", "lfw_faces"):
        show(load_dataset(source))
    elif source == "zip":
        upload = st.file_uploader(
            "A zip of class folders, or of train/ validation/ test/ folders", type=["zip"], key="datasets_zip"
        )
        if upload is not None:
            show(load_dataset("folder", str(folders.extract_zip(upload.getvalue()))))
    elif source == "folder":
        path = st.text_input("Folder path on the server", key="datasets_path")
        if path:
            show(load_dataset("folder", path))
    elif source == "splitter":
        st.markdown(
            "From Kaggle's dogs-vs-cats `train/` folder (cat.0.jpg … dog.12499.jpg), copy 1,000 / 500 / 500 "
            "images per class into train/ validation/ test/, exactly as the tutorial did."
        )
        source_path = st.text_input("Kaggle train/ folder", key="datasets_kaggle_path")
        target = settings.datasets_dir() / "dogs_vs_cats_small"
        if st.button("Make the small split", key="datasets_split", disabled=not source_path):
            bar = st.progress(0.0, text="copying…")
            folders.make_dogs_vs_cats_small(
                source_path, target, progress=lambda done, total: bar.progress(done / total, f"{done}/{total}")
            )
        if (target / "train").is_dir():
            show(load_dataset("folder", str(target)))
    else:
        name = st.selectbox("tensorflow-datasets name", list(datasets.TFDS_NAMES), key="datasets_tfds")
        if st.button("Load", key="datasets_tfds_load"):
            show(load_dataset(name, limit=500))
ui.next_step("app_pages/train.py", "Next: Train a network on it")
