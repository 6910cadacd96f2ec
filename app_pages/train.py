"""Train: start a tutorial network on a dataset and watch its curves stream in, live."""

import streamlit as st

import ui
from cnnviz.learning import analysis, experiment, launching, recipes, training
from cnnviz.pictures import plots
from cnnviz.runtime import jobs, run_config, runs
from cnnviz.runtime.run_config import Optimizer, Weights
from page_sections import train_epochs, train_export

step = launching.experiment_step(st.session_state.get("train_experiment"))
if step.finished:  # the experiment ended: Compare selects the latest experiment's runs
    st.session_state.train_experiment = None
    st.switch_page("app_pages/compare.py")
ui.tighten_top()
ui.title_with_intro(
    "Train",
    "Pick a network and a dataset and press Start. Training runs in a process of its own: leave the page, "
    "reload, or open a second browser, and it keeps going. Stop saves what it has.",
)


def reset_recipe_settings() -> None:
    """Fill the settings with the chosen recipe's own (the tutorial's) values."""
    own = launching.recipe_settings(st.session_state.train_recipe)
    st.session_state.update({f"train_{name}": value for name, value in own.widget_values().items()})


train_epochs.open_link()  # a link to Train fills the settings first
if "train_recipe" not in st.session_state:
    st.session_state.train_recipe = "fashion_separable"
    reset_recipe_settings()
choices = {choice.label: choice for choice in launching.dataset_choices()}
ui.buttons_keep_their_labels("train_choices")  # one row at 150% zoom too: the selects give up the width
choices_row = st.container(key="train_choices")
recipe_column, dataset_column, start_column, experiment_column = choices_row.columns(
    [3, 3, 1, 2], vertical_alignment="bottom"
)
recipe_name = recipe_column.selectbox(
    "Network",
    list(recipes.RECIPES),
    key="train_recipe",
    format_func=lambda name: recipes.RECIPES[name].title,
    on_change=reset_recipe_settings,
)
own = launching.recipe_settings(recipe_name)
choice = choices[dataset_column.selectbox("Dataset", list(choices), key="train_dataset")]
start = start_column.button("Start", key="train_start", type="primary", icon=":material/play_arrow:")
run_experiment = experiment_column.button(
    "Overfitting experiment",
    key="train_experiment_start",
    icon=":material/science:",
    disabled=not choice.has_experiment,
    help="Four runs of one network on the same data and seed: baseline, dropout, augmentation, both. "
    "Compare opens on them when they are done.",
)

with st.expander("Settings: epochs, batch size, learning rate, dropout, augmentation, label"):
    path = st.text_input("Folder path", key="train_dataset_path") if choice.asks_for_path else ""
    columns = st.columns(5)
    epochs = columns[0].number_input("Epochs", 1, 500, key="train_epochs")
    batch_size = columns[1].number_input("Batch size", 1, 1024, key="train_batch_size")
    learning_rate = columns[2].number_input("Learning rate", 1e-7, 1.0, key="train_learning_rate", format="%.6f")
    optimizer = columns[3].selectbox("Optimizer", [each.value for each in Optimizer], key="train_optimizer")
    seed = columns[4].number_input("Seed", 0, 1_000_000, 0, key="train_seed")
    columns = st.columns(4)
    dropout = columns[0].toggle("Dropout", key="train_dropout", disabled=not own.has_dropout)
    augment = columns[1].toggle("Augmentation", key="train_augment")
    limit = columns[2].number_input("Limit training images (0 = all)", 0, 1_000_000, key="train_limit")
    weights = None
    if own.takes_pretrained_weights:
        weights = columns[3].selectbox(
            "Pretrained weights", list(Weights), key="train_weights", format_func=lambda each: each.title
        )
    label = st.text_input(
        "Label (empty: made from the settings)", key="train_label", max_chars=run_config.MAX_LABEL_LENGTH
    )
    train_epochs.draw(choice, int(batch_size), int(epochs), int(limit))  # the steps an epoch, and Copy link
    chosen = dict(epochs=int(epochs), batch_size=int(batch_size), learning_rate=float(learning_rate),
                  optimizer=optimizer, seed=int(seed), limit=int(limit) or None, augment=augment, dropout=dropout,
                  weights=weights, label=label)  # fmt: skip
    chosen = train_export.draw_tutorial_and_script(recipe_name, choice, path, chosen)  # a script before a run

if start:
    with ui.explained_errors(stop=False):
        config = training.default_config(recipe_name, choice.source_with(path), **chosen)
        st.session_state.train_run = jobs.start(config)
if run_experiment:
    with ui.explained_errors(stop=False):
        plan = choice.experiment_plan()
        st.session_state.train_experiment, run_ids = experiment.start(plan)
        # The plan it ran, whatever dataset is picked afterwards (the plans exist for Fashion-MNIST only).
        st.session_state.train_experiment_plan = experiment.describe_plan(plan)
        st.session_state.train_run = run_ids[0]

with ui.explained_errors():
    jobs.refresh()
    jobs.keep_warm_worker()  # the next Start hands its run to a process with Keras already imported
    all_runs = runs.list_runs()
st.caption(analysis.estimate_duration(recipe_name, choice.name, int(epochs), int(limit) or None, all_runs))
if not all_runs:
    st.info("No runs yet: press Start. The curves will stream in here.")
    # Empty axes now, not on the first point: the browser loads its chart library (megabytes of JavaScript)
    # while the class reads the page, instead of for ~2 s after Start (benchmarks/start_latency.py).
    st.plotly_chart(plots.training_figure([], [], int(epochs)), key="train_curves")
    st.stop()
labels = analysis.choice_labels(all_runs)
wanted = launching.followed_run(all_runs, st.session_state.get("train_run"), step)  # the experiment's next run
run_id = st.session_state.train_run = launching.run_to_show(all_runs, wanted)
shown = next(run for run in all_runs if run.run_id == run_id)
awaiting_first_point = launching.awaits_first_point(shown)


@st.fragment(run_every=launching.poll_seconds(shown))
def show_run(run_id: str) -> None:
    """Draw a run's state, progress and curves; refreshed while it is active."""
    with ui.explained_errors():
        run = jobs.watch(run_id)
    if shown.state.is_active and not run.state.is_active:
        # It just ended: redraw the whole page once, which stops polling, follows an experiment's next run, or
        # opens Compare when the experiment is over (not st.switch_page here: called in a fragment's run it
        # could leave Compare's main area blank, 1 of 2 tries in Chromium).
        st.rerun()
    ui.run_picker_and_state(run, labels)  # a fragment draws only inside itself: picker, state and Stop in one row
    progress = run.progress()
    if progress is not None:
        st.progress(progress.fraction, text=progress.describe())
    batches = run.batches()
    st.plotly_chart(plots.training_figure(batches, run.epochs, run.config.epochs), key="train_curves")
    if awaiting_first_point and len(batches) >= launching.FIRST_POINTS:
        st.rerun()  # the first points have been on screen a while (one per 0.4 s): back to the slower poll


show_run(run_id)
if st.session_state.get("train_experiment"):  # under its curves: above them it pushed them off a small screen
    st.caption(st.session_state.get("train_experiment_plan", ""))  # the plan's sentence and its augmentation
ui.runs_table(refresh=any(each.state.is_active for each in all_runs))
ui.run_downloads(runs.load_run(run_id))
ui.next_step("app_pages/compare.py", "Next: compare runs")
