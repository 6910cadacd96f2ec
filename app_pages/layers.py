"""Layers: where every parameter of every recipe comes from, with the arithmetic written out."""

import pandas as pd
import streamlit as st

from cnnviz.learning import models, recipes
from cnnviz.lesson import architecture

st.title("Layers")
st.markdown(
    "A layer's parameters are its weights and biases: the numbers training changes. Pick a network from the "
    "tutorials and read, layer by layer, how its shape changes and where its parameters come from."
)


@st.cache_resource(max_entries=4)
def build_model(name: str):
    """Build a recipe with random weights: the counts do not depend on the weights."""
    return models.build(name, weights=None)


titles = {recipe.title: name for name, recipe in recipes.RECIPES.items()}
name = titles[st.selectbox("Network", list(titles), key="layers_recipe")]
recipe = recipes.RECIPES[name]
model = build_model(name)
st.markdown(f"{recipe.description}  \n*Source: {recipe.source}.*")

rows = architecture.layer_rows(model)
table = pd.DataFrame(rows)
st.dataframe(
    table,
    hide_index=True,
    width="stretch",
    column_config={"count": st.column_config.NumberColumn("count", format="localized")},
)
totals = architecture.totals(model)
column_sum = sum(row["count"] for row in rows)
st.markdown(
    f"**Total: {totals['total']:,} parameters** ({totals['trainable']:,} trainable, "
    f"{totals['non-trainable']:,} not trainable). The column above adds up to {column_sum:,}: "
    f"{'the same as' if column_sum == totals['total'] else 'NOT the same as'} Keras's own `model.count_params()`."
)
if recipe.pretrained_base and recipe.network_input is recipes.NetworkInput.IMAGES:
    st.caption("VGG16's layers are listed under `vgg16/`. The frozen ones are 'no': training leaves them as they are.")

st.subheader("Standard vs separable convolution")
kernel_column, channels_column, filters_column = st.columns(3)
kernel_size = kernel_column.number_input("Kernel size", 1, 7, 3, key="layers_kernel_size")
in_channels = channels_column.number_input("Input channels", 1, 1024, 32, key="layers_in_channels")
filters = filters_column.number_input("Filters", 1, 1024, 32, key="layers_filters")
comparison = architecture.compare_standard_and_separable(kernel_size, in_channels, filters)
standard_column, separable_column = st.columns(2)
for column, kind in ((standard_column, "standard"), (separable_column, "separable")):
    column.markdown(f"**{kind.capitalize()}**: {comparison[kind]['how']}")
    column.code(comparison[kind]["formula"], language=None)
st.markdown(f"Separable needs **{comparison['ratio']['formula']}** parameters for the same output shape.")

st.subheader("Local connection and weight sharing")
st.markdown("Connecting a 1000×1000 image to 1,000,000 hidden units, three ways:")
sharing = pd.DataFrame(architecture.weight_sharing_arithmetic(1000, 10))
sharing["weights"] = sharing["weights"].map(lambda weights: f"{weights:,} (10^{len(str(weights)) - 1})")
st.table(sharing.set_index("connection"))
