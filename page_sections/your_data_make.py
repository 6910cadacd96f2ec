"""The Your data page's dataset: the one this page session made (or its link opens), or the form that makes one."""

import streamlit as st

import ui
from cnnviz.data import own_photos
from cnnviz.errors import CnnvizError


def remember(dataset: own_photos.OwnDataset) -> None:
    """Keep the dataset for this page session and in the page's link, so a reload or a restart opens it again."""
    st.session_state.your_data_open = (dataset.folder_name, dataset.key)
    # Named for this page: other pages read their own settings from the link (Train's "dataset" is a choice).
    st.query_params.update({"your_data": dataset.folder_name, "your_data_key": dataset.key})


def forget() -> None:
    """Close the dataset (its photos stay on the server and on Train): the page offers a new one."""
    st.session_state.your_data_open = None
    for name in ("your_data", "your_data_key"):
        st.query_params.pop(name, None)


def current() -> own_photos.OwnDataset | None:
    """Return the dataset this session made, else the one its link names (with the link's key), else None."""
    wanted = st.session_state.get("your_data_open")
    if wanted is None and "your_data" in st.query_params:
        wanted = (st.query_params.get("your_data", ""), st.query_params.get("your_data_key", ""))
    if wanted is None:
        return None
    try:
        dataset = own_photos.open_dataset(*wanted)
    except CnnvizError as error:
        forget()
        st.warning(str(error))
        return None
    remember(dataset)  # the link again: moving between pages clears it
    return dataset


def form() -> own_photos.OwnDataset | None:
    """Draw the form that names a dataset and its classes; return the dataset once made."""
    ui.buttons_keep_their_labels("your_data_form")  # Make the dataset keeps its label at 150% zoom
    row = st.container(key="your_data_form")
    name_column, classes_column, make_column = row.columns([2, 2, 1], vertical_alignment="bottom")
    title = name_column.text_input("Dataset name", placeholder="kitchen things", key="your_data_title")
    classes = classes_column.text_area(
        f"Classes, one a line ({own_photos.MIN_CLASSES} to {own_photos.MAX_CLASSES})",
        placeholder="cup\nphone",
        height=110,
        key="your_data_classes",
    )
    if not make_column.button("Make the dataset", type="primary", icon=":material/add_a_photo:", key="your_data_make"):
        st.info(
            "Name a dataset and its classes (say cup and phone), then take photos of each with the camera or upload "
            f"them: at least {own_photos.MIN_PHOTOS_PER_CLASS} a class, 20 to 30 make a lesson. Train then lists it."
        )
        return None
    with ui.explained_errors(stop=False):
        dataset = own_photos.create(title, classes)
        remember(dataset)
        return dataset
    return None
