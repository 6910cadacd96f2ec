"""Your data: name classes, add photos from the camera or uploads, and make a dataset of the class's own."""

import streamlit as st

import ui
from page_sections import your_data_make, your_data_photos

ui.tighten_top()
ui.title_with_intro(
    "Your data",
    "Name two or more classes (a cup and a phone), take photos of each with the camera or upload them, then "
    "train a small convnet on them and watch 30 photos a class overfit.",
)
dataset = your_data_make.current() or your_data_make.form()
if dataset is None:
    st.stop()
ui.buttons_keep_their_labels("your_data_heading")  # New dataset keeps its label at 150% zoom
heading_column, new_column = st.container(key="your_data_heading").columns([5, 1], vertical_alignment="center")
heading_column.markdown(
    f"### {dataset.title}: {', '.join(dataset.class_names)}",
    help="Saved on this server: this page's link opens it again after a reload. Train, Compare and Predict list it.",
)
if new_column.button("New dataset", icon=":material/add:", key="your_data_new"):
    your_data_make.forget()
    st.rerun()
your_data_photos.add(dataset)
your_data_photos.classes(dataset)
ui.next_step("app_pages/train.py", "Next: train on your photos")
