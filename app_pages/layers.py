"""Layers: where every parameter of every recipe comes from, formulas written out, and the shapes shrinking."""

import pandas as pd
import streamlit as st

import ui
from cnnviz.learning import recipes
from cnnviz.lesson import architecture, layer_notes
from cnnviz.pictures import fully_convolutional, shapes


@st.cache_data(max_entries=16)
def load_table(name: str, as_tutorial: bool) -> architecture.LayerTable:
    """Return a recipe's layer table, precomputed with the package: the page never waits for Keras to import."""
    return architecture.recipe_table(name, as_tutorial)


ui.tighten_top()
st.title("Layers")
picker_column, description_column = st.columns([2, 3], vertical_alignment="bottom")
titles = {recipe.title: name for name, recipe in recipes.RECIPES.items()}
name = titles[picker_column.selectbox("Network", list(titles), key="layers_recipe")]
recipe = recipes.RECIPES[name]
as_tutorial = bool(recipe.cnnviz_layers) and picker_column.toggle(
    "As the tutorial built it", key="layers_as_tutorial", help="Without the layers marked (cnnviz's)."
)
description_column.markdown(f"{recipe.description}  \n*Source: {recipe.source}.*")
with ui.explained_errors():
    table = load_table(name, as_tutorial)

table_column, diagram_column = st.columns([3, 2], gap="medium")
with table_column:
    st.markdown(
        "A layer's parameters are its weights and biases, the numbers training changes. Each row says how a layer "
        "changes the shape and where its parameters come from."
    )
    if recipe.note:  # where cnnviz's recipe and its tutorial differ: beside the table, not above the diagram
        st.markdown(f":material/difference: **cnnviz vs the tutorial:** {recipe.note}")
    rows = pd.DataFrame(architecture.table_columns(table))
    # st.table shows every row, so the Dense layers at the bottom are never hidden behind an inner scroll.
    st.table(rows.style.format({"count": "{:,}"}), hide_index=True)
    totals = table.totals
    same = "the same as" if table.column_sum == totals.total else "NOT the same as"
    st.markdown(
        f"**Total: {totals.total:,} parameters** ({totals.trainable:,} trainable, {totals.non_trainable:,} not "
        f"trainable). The column above adds up to {table.column_sum:,}: {same} Keras's own `model.count_params()`."
    )
    if recipe.pretrained_base and recipe.network_input is recipes.NetworkInput.IMAGES:
        st.caption(
            "VGG16's layers are listed under `vgg16/`. The frozen ones are 'no': training leaves them as they are."
        )
    for note in layer_notes.layer_notes(table):
        st.markdown(note.text)
with diagram_column:
    st.markdown(
        shapes.shapes_picture(architecture.shape_boxes(table), f"{recipe.title}: the shapes shrinking"),
        unsafe_allow_html=True,
    )
    st.caption("Width: the feature map's side, to scale. Height: its depth (channels), on a log scale.")

st.markdown(
    "**Where does `3×3×3×32 + 32 = 896` come from?** A Conv2D filter spans all 3 channels of a colour image, so "
    "each of the 32 filters has 3×3×3 weights and one bias. The Convolution page works one such filter through, "
    "channel by channel."
)
st.page_link("app_pages/convolution.py", label="Convolution: one filter across R, G and B", icon=":material/grid_on:")

st.subheader("Classifying vs segmenting")
sentence_column, picture_column = st.columns([2, 3], vertical_alignment="center")
sentence_column.markdown(
    "Every network here is a **CNN that classifies**: Flatten and Dense turn the last feature maps into one class "
    "for the whole image. A **fully convolutional network** has no Dense layer: 1×1 convolutions and upsampling "
    "give every pixel its own class (segmentation: which pixels are the airplane), at any image size."
)
picture_column.markdown(fully_convolutional.classification_and_segmentation_picture(), unsafe_allow_html=True)

st.subheader("Standard vs separable convolution")
kernel_column, channels_column, filters_column = st.columns(3)
kernel_size = kernel_column.number_input("Kernel size", 1, 7, 3, key="layers_kernel_size")
in_channels = channels_column.number_input("Input channels", 1, 1024, 32, key="layers_in_channels")
filters = filters_column.number_input("Filters", 1, 1024, 32, key="layers_filters")
comparison = architecture.compare_standard_and_separable(kernel_size, in_channels, filters)
standard_column, separable_column = st.columns(2)
for column, title, formula in (
    (standard_column, "Standard", comparison.standard),
    (separable_column, "Separable", comparison.separable),
):
    column.markdown(f"**{title}**: {formula.how}")
    column.code(formula.formula, language=None)
st.markdown(f"Separable needs **{comparison.ratio_formula}** parameters for the same output shape.")

st.subheader("Local connection and weight sharing")
st.markdown("Connecting a 1000×1000 image to 1,000,000 hidden units, three ways:")
sharing = pd.DataFrame([connection.as_row() for connection in architecture.weight_sharing_arithmetic(1000, 10)])
st.table(sharing.set_index("connection"))

ui.next_step("app_pages/augmentation.py", "Next: augmentation")
