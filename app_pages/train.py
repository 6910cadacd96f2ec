"""Train: start a tutorial network on a dataset and watch its curves stream in, live."""

import streamlit as st

import ui
from cnnviz.data import folders
from cnnviz.learning import analysis, experiment, recipes, training
from cnnviz.pictures import plots
from cnnviz.runtime import jobs, run_config, runs, settings

if st.session_state.pop("train_open_compare", False):
    st.switch_page("app_pages/compare.py")  # the experiment ended: Compare selects the latest experiment's runs
ui.tighten_top()
st.title("Train")
st.markdown(
    "Pick a network and a dataset and press Start. Training runs in a process of its own: leave the page, "
    "reload, or open a second browser, and it keeps going. Stop saves what it has."
)

POLL_SECONDS, FIRST_POINT_POLL_SECONDS, RUNS_TABLE_POLL_SECONDS = 0.5, 0.2, 2.0
DATASETS = {"Fashion-MNIST": "fashion_mnist", "LFW faces (200 images: watch it overfit)": "lfw_faces"}
SERVER_FOLDER = "folder path on this server"


def reset_recipe_settings() -> None:
    """Fill the settings with the chosen recipe's own (the tutorial's) values."""
    recipe = recipes.RECIPES[st.session_state.train_recipe]
    st.session_state.update(
        train_epochs=recipe.epochs,
        train_batch_size=recipe.batch_size,
        train_learning_rate=recipe.learning_rate,
        train_optimizer=recipe.optimizer,
        train_dropout=recipe.dropout_rate is not None,
        train_augment=recipe.augmentation is not None,
    )


if "train_recipe" not in st.session_state:
    st.session_state.train_recipe = "fashion_separable"
    reset_recipe_settings()
prepared = folders.prepared_folders()
ui.stack_when_narrow("train_choices", column_width="40%")  # at 150% zoom: two rows, Start keeps its label
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
recipe = recipes.RECIPES[recipe_name]
dataset_label = dataset_column.selectbox(
    "Dataset",
    [*DATASETS, *prepared, *([SERVER_FOLDER] if settings.allow_server_paths() else [])],
    key="train_dataset",
)
start = start_column.button("Start", key="train_start", type="primary", icon=":material/play_arrow:")
dataset_name = DATASETS.get(dataset_label, "folder")
run_experiment = experiment_column.button(
    "Overfitting experiment",
    key="train_experiment_start",
    icon=":material/science:",
    disabled=dataset_name not in experiment.PLANS,
    help="Four runs of one network on the same data and seed: baseline, dropout, augmentation, both. "
    "Compare opens on them when they are done.",
)

with st.expander("Settings: epochs, batch size, learning rate, dropout, augmentation, label"):
    dataset_path = prepared.get(dataset_label)
    if dataset_label == SERVER_FOLDER:
        dataset_path = st.text_input("Folder path", key="train_dataset_path")
    columns = st.columns(5)
    epochs = columns[0].number_input("Epochs", 1, 500, key="train_epochs")
    batch_size = columns[1].number_input("Batch size", 1, 1024, key="train_batch_size")
    learning_rate = columns[2].number_input("Learning rate", 1e-7, 1.0, key="train_learning_rate", format="%.6f")
    optimizer = columns[3].selectbox("Optimizer", list(run_config.OPTIMIZERS), key="train_optimizer")
    seed = columns[4].number_input("Seed", 0, 1_000_000, 0, key="train_seed")
    columns = st.columns(4)
    dropout = columns[0].toggle("Dropout", key="train_dropout", disabled=recipe.dropout_rate is None)
    augment = columns[1].toggle("Augmentation", key="train_augment")
    limit = columns[2].number_input("Limit training images (0 = all)", 0, 1_000_000, 0, key="train_limit")
    weights = None
    if recipe.pretrained_base:
        weights = columns[3].selectbox(
            "Pretrained weights",
            ["imagenet", "random"],
            key="train_weights",
            format_func=lambda w: {
                "imagenet": "ImageNet (Keras cache)",
                "random": "no pretrained weights: this is not transfer learning",
            }[w],
        )
    label = st.text_input(
        "Label (empty: made from the settings)", key="train_label", max_chars=run_config.MAX_LABEL_LENGTH
    )

if start:
    with ui.explained_errors(stop=False):
        config = training.default_config(
            recipe_name,
            DATASETS.get(dataset_label, "folder"),
            dataset_path=str(dataset_path) if dataset_path else None,
            epochs=int(epochs),
            batch_size=int(batch_size),
            learning_rate=float(learning_rate),
            optimizer=optimizer,
            seed=int(seed),
            limit=int(limit) or None,
            augment=augment,
            dropout=dropout,
            weights=weights,
            label=label,
        )
        st.session_state.train_run = jobs.start(config)
if run_experiment:
    with ui.explained_errors(stop=False):
        plan = experiment.plan_for(dataset_name)
        st.session_state.train_experiment, run_ids = experiment.start(plan)
        # The plan it ran, whatever dataset is picked afterwards (the plans exist for Fashion-MNIST only).
        st.session_state.train_experiment_plan = experiment.describe_plan(plan)
        st.session_state.train_run = run_ids[0]
if st.session_state.get("train_experiment"):
    st.caption(f"{st.session_state.get('train_experiment_plan', '')} {experiment.AUGMENTATION_NOTE}")

with ui.explained_errors():
    jobs.refresh()
    jobs.keep_warm_worker()  # the next Start hands its run to a process with Keras already imported
    all_runs = runs.list_runs()
st.caption(analysis.estimate_duration(recipe_name, dataset_name, int(epochs), int(limit) or None, all_runs))
if not all_runs:
    st.info("No runs yet: press Start. The curves will stream in here.")
    # Empty axes now, not on the first point: the browser loads its chart library (megabytes of JavaScript)
    # while the class reads the page, instead of for ~2 s after Start (benchmarks/start_latency.py).
    st.plotly_chart(plots.training_figure([], [], int(epochs)), key="train_curves")
    st.stop()
labels = analysis.choice_labels(all_runs)
active = [run.run_id for run in all_runs if run.state.is_active]
if st.session_state.get("train_follow") in labels:
    st.session_state.train_run = st.session_state.pop("train_follow")  # the experiment's next run
if st.session_state.get("train_run") not in labels:
    st.session_state.train_run = active[0] if active else all_runs[0].run_id  # re-attach to what is running
run_id = st.selectbox("Run", list(labels), key="train_run", format_func=labels.get)
# Until the first point shows, poll five times a second: Start should draw a curve at once. Then twice a
# second, which is what a whole class watching its curves can afford on one server.
awaiting_first_point = run_id in active and not next(r for r in all_runs if r.run_id == run_id).has_batch_points
poll_seconds = (FIRST_POINT_POLL_SECONDS if awaiting_first_point else POLL_SECONDS) if run_id in active else None


@st.fragment(run_every=poll_seconds)
def show_run(run_id: str) -> None:
    """Draw a run's state, progress and curves; refreshed while it is active."""
    with ui.explained_errors():
        run = jobs.watch(run_id)
    if run_id in active and not run.state.is_active:
        following = st.session_state.get("train_experiment")
        if following and not any(each.state.is_active for each in experiment.experiment_runs(following)):
            # Not st.switch_page here: called in a fragment's run, it could leave Compare's main area blank
            # (1 of 2 tries in Chromium). The full run it asks for switches at the page's top.
            st.session_state.train_experiment, st.session_state.train_open_compare = None, True
        waiting = [each.run_id for each in experiment.experiment_runs(following) if each.state.is_active]
        st.session_state.train_follow = waiting[0] if following and waiting else None
        st.rerun()  # it just ended: redraw the page once and stop polling
    # Fragments may only draw inside themselves: the state line and Stop share one row here.
    status_column, stop_column = st.columns([6, 1], vertical_alignment="center")
    show = {"failed": status_column.error, "finished": status_column.success, "stopped": status_column.warning}
    show.get(run.state.value, status_column.info)(f"**{run.state.value}**: {run.message} · {run.describe_device()}")
    progress = run.progress()
    if progress is not None:
        st.progress(progress.fraction, text=progress.describe())
    if run.state.is_active:
        stop_column.button(
            "Stop",
            key="train_stop",
            icon=":material/stop:",
            on_click=jobs.stop,
            args=(run_id,),
            disabled=run.state is runs.RunState.STOPPING,
        )
    batches = run.batches()
    st.plotly_chart(plots.training_figure(batches, run.epochs, run.config.epochs), key="train_curves")
    if awaiting_first_point and len(batches) >= 3:
        st.rerun()  # the first points have been on screen a while (one per 0.4 s): back to the slower poll


@st.fragment(run_every=RUNS_TABLE_POLL_SECONDS if active else None)
def show_runs_table() -> None:
    """Draw every run of the server with its state; refreshed every few seconds while any is active."""
    st.subheader("Runs on this server")
    st.dataframe([each.as_row() for each in runs.list_runs()], hide_index=True, width="stretch")


show_run(run_id)
show_runs_table()
run = runs.load_run(run_id)
download_model, download_history, rename_column = st.columns(3)
if not run.state.is_active and not run.has_trained_model:
    download_model.caption("No epoch was complete: there is no trained model to download.")
elif not run.state.is_active:
    download_model.download_button(
        "Download model.keras",
        data=run.model_path.read_bytes,
        file_name=f"{run_id}.keras",
        key="train_download_model",
    )
if run.history:
    download_history.download_button(
        "Download history (CSV)",
        data=run.history_csv(),
        file_name=f"{run_id}-history.csv",
        key="train_download_history",
    )
new_label = rename_column.text_input("Rename this run", run.label, key=f"train_rename_{run_id}")
if new_label != run.label:
    with ui.explained_errors(stop=False):
        runs.rename(run_id, new_label)
        st.rerun()
ui.next_step("app_pages/compare.py", "Next: compare runs")
