"""Train's lesson beside its settings: the epoch / batch / step arithmetic with the chosen numbers, and the link
that opens Train with this network, dataset and settings."""

import streamlit as st

import ui
from cnnviz.learning import launching, recipes
from cnnviz.lesson import epochs, links


def link_form() -> links.LinkForm:
    """Return Train's link form: this server's networks and datasets; a network's own settings when it changes."""
    default = "fashion_separable"
    own = launching.recipe_settings(default)
    labels = [choice.label for choice in launching.dataset_choices()]

    def recipe_widgets(values: dict) -> dict:
        chosen = launching.recipe_settings(values["recipe"]).widget_values()
        return {name: value for name, value in chosen.items() if name not in ("epochs", "batch_size")}

    form = links.train_form(list(recipes.RECIPES), labels, default, own.epochs, own.batch_size)
    return links.LinkForm(form.page, form.settings, recipe_widgets)


def open_link() -> None:
    """Fill Train's settings from the link it was opened with (before its widgets)."""
    ui.open_link("train", link_form())


def draw(choice: launching.DatasetChoice, batch_size: int, epoch_count: int, limit: int) -> None:
    """Draw the steps an epoch makes with these numbers, and Copy link."""
    arithmetic_column, link_column = st.columns([6, 1], vertical_alignment="center")
    with ui.explained_errors(stop=False):
        arithmetic = epochs.epoch_arithmetic(choice.name, limit, batch_size, epoch_count)
        if arithmetic is None:
            arithmetic_column.markdown(
                f"Steps an epoch: the folder's training images ÷ batch {batch_size}, rounded up (known once read)."
            )
        else:
            arithmetic_column.markdown(arithmetic.describe())
    with link_column:
        ui.share_link("train", link_form())
