"""Train's settings, last part: where the recipe differs from its tutorial, the tutorial's own subset, and the
chosen settings as a plain Keras script before any run starts."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnnviz.errors import CnnvizError
from cnnviz.learning import exporting, recipes, training
from cnnviz.learning.launching import DatasetChoice
from cnnviz.runtime.run_config import RunConfig


def use_tutorial_subset(limit: int) -> None:
    """Set the training-image limit to the tutorial's (a button's callback: before the widget is drawn again)."""
    st.session_state.train_limit = limit


def script_text(make_config: Callable[[], RunConfig]) -> str:
    """Return the settings' Keras script, or a script that only says why cnnviz could not write it."""
    try:
        return exporting.export_config(make_config())[1]
    except CnnvizError as error:
        return f'"""cnnviz could not write this script: {error}"""\n'


def draw_tutorial_and_script(recipe_name: str, choice: DatasetChoice, path: str, chosen: dict) -> dict:
    """Draw the recipe's note on its tutorial, its input size, the tutorial-subset button and the settings' script
    download; return the settings with the input size a person asked for."""
    recipe = recipes.get_recipe(recipe_name)
    if recipe.note:
        st.caption(recipe.note)
    script_column, subset_column, size_column = st.columns([2, 2, 1], vertical_alignment="bottom")
    if recipe.resizes_data:  # the tutorial's size unless asked: the count then is no longer the tutorial's
        side = recipe.input_shape[0]
        asked = size_column.number_input(f"Input side (0 = {side})", 0, 1024, key="train_input_size")
        chosen = {**chosen, "input_size": int(asked) or None}
    if recipe.tutorial_limit:
        subset_column.button(
            f"The tutorial's {recipe.tutorial_subset}",
            key="train_tutorial_subset",
            on_click=use_tutorial_subset,
            args=(recipe.tutorial_limit,),
            help=f"Limit training to {recipe.tutorial_limit:,} images, the classes taken in turn, as the tutorial.",
        )
    problem = exporting.script_problem(recipe_name, choice.name)
    if problem is not None:
        script_column.caption(problem)
        return chosen
    if choice.asks_for_path and not path.strip():
        script_column.caption("Type the folder's path to download these settings as a Keras script.")
        return chosen
    script_column.download_button(
        "Settings as a Keras script",
        data=lambda: script_text(lambda: training.default_config(recipe_name, choice.source_with(path), **chosen)),
        file_name=f"{recipe_name}.py",
        key="train_download_settings_script",
        icon=":material/download:",
        help="Before any run: the network, the data, compile and fit with these settings, Keras alone, no cnnviz.",
    )
    return chosen
