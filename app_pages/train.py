"""Train: start a tutorial network on a dataset and watch its curves stream in, live."""

import streamlit as st

import ui
from cnnviz import errors
from cnnviz.learning import models, training
from cnnviz.pictures import plots
from cnnviz.runtime import jobs, runs, settings

st.title("Train")
st.markdown(
    "Pick a network and a dataset and press Start. Training runs in a process of its own: leave the page, "
    "reload, or open a second browser, and it keeps going; come back to watch it. Stop saves what it has."
)

DATASETS = {"Fashion-MNIST": "fashion_mnist", "LFW faces (200 images: watch it overfit)": "lfw_faces"}


def reset_recipe_settings() -> None:
    """Fill the settings with the chosen recipe's own (the tutorial's) values."""
    recipe = models.RECIPES[st.session_state.train_recipe]
    st.session_state.update(
        train_epochs=recipe.epochs,
        train_batch_size=recipe.batch_size,
        train_learning_rate=recipe.learning_rate,
        train_optimizer=recipe.optimizer,
        train_dropout=recipe.dropout_rate is not None,
        train_augment=recipe.augmentation is not None,
    )


def prepared_folders() -> dict[str, str]:
    """Return the dataset folders cnnviz prepared (uploaded zips, the dogs-vs-cats split) by label."""
    root = settings.datasets_dir()
    folders = sorted((root / "uploads").glob("*")) if (root / "uploads").is_dir() else []
    choices = {f"uploaded zip {folder.name[:8]}": str(folder) for folder in folders if (folder / ".complete").is_file()}
    if (root / "dogs_vs_cats_small" / "train").is_dir():
        choices["dogs vs cats (small split)"] = str(root / "dogs_vs_cats_small")
    return choices


if "train_recipe" not in st.session_state:
    st.session_state.train_recipe = "fashion_separable"
    reset_recipe_settings()
folder_choices = prepared_folders()
recipe_column, dataset_column = st.columns(2)
recipe_name = recipe_column.selectbox(
    "Network",
    list(models.RECIPES),
    key="train_recipe",
    format_func=lambda name: models.RECIPES[name].title,
    on_change=reset_recipe_settings,
)
dataset_label = dataset_column.selectbox(
    "Dataset",
    [*DATASETS, *folder_choices, *(["folder path on this server"] if settings.allow_server_paths() else [])],
    key="train_dataset",
)
dataset_path = folder_choices.get(dataset_label)
if dataset_label == "folder path on this server":
    dataset_path = dataset_column.text_input("Folder path", key="train_dataset_path")
columns = st.columns(5)
epochs = columns[0].number_input("Epochs", 1, 500, key="train_epochs")
batch_size = columns[1].number_input("Batch size", 1, 1024, key="train_batch_size")
learning_rate = columns[2].number_input("Learning rate", 1e-7, 1.0, key="train_learning_rate", format="%.6f")
optimizer = columns[3].selectbox("Optimizer", ["rmsprop", "adam", "sgd"], key="train_optimizer")
seed = columns[4].number_input("Seed", 0, 1_000_000, 0, key="train_seed")
columns = st.columns(4)
dropout = columns[0].toggle("Dropout", key="train_dropout", disabled=models.RECIPES[recipe_name].dropout_rate is None)
augment = columns[1].toggle("Augmentation", key="train_augment")
limit = columns[2].number_input("Limit training images (0 = all)", 0, 1_000_000, 0, key="train_limit")
weights = None
if models.RECIPES[recipe_name].uses_vgg16:
    weights = columns[3].selectbox(
        "VGG16 weights",
        ["imagenet", "random"],
        key="train_weights",
        format_func=lambda w: {
            "imagenet": "ImageNet (Keras cache)",
            "random": "no pretrained weights: this is not transfer learning",
        }[w],
    )

if st.button("▶ Start", key="train_start", type="primary"):
    try:
        config = training.default_config(
            recipe_name,
            DATASETS.get(dataset_label, "folder"),
            dataset_path=dataset_path or None,
            epochs=int(epochs),
            batch_size=int(batch_size),
            learning_rate=float(learning_rate),
            optimizer=optimizer,
            seed=int(seed),
            limit=int(limit) or None,
            augment=augment,
            dropout=dropout,
            weights=weights,
        )
        if config["dataset"] == "folder" and not dataset_path:
            raise errors.InvalidDataset("Give the folder's path first.")
        st.session_state.train_run = jobs.start(config)
    except errors.CnnvizError as error:
        st.error(str(error))

with ui.explained_errors():
    jobs.refresh()
    all_runs = runs.list_runs()
if not all_runs:
    st.info("No runs yet: press Start.")
    st.stop()
run_ids = [run.run_id for run in all_runs]
active = [run.run_id for run in all_runs if run.state in runs.ACTIVE_STATES]
if st.session_state.get("train_run") not in run_ids:
    st.session_state.train_run = active[0] if active else run_ids[0]  # re-attach to what is running
run_id = st.selectbox("Run", run_ids, key="train_run")


@st.fragment(run_every=0.5 if run_id in active else None)
def show_run(run_id: str) -> None:
    """Draw a run's progress, curves and messages; refreshed twice a second while it is active."""
    folder = runs.run_dir(run_id)
    status = runs.read_json(folder / "status.json")
    state, message = status.get("state", "?"), status.get("message", "")
    if state in ("running", "stopping") and not jobs.is_alive(status.get("pid"), run_id):
        jobs.refresh()  # the worker died (kill -9, out of memory): record it and start what waits
        state = runs.read_json(folder / "status.json").get("state")
    if run_id in active and state not in runs.ACTIVE_STATES:
        st.rerun()  # it just ended: redraw the page once and stop polling
    batches, history = runs.read_jsonl(folder / "batches.jsonl"), runs.history_rows(folder)
    last = batches[-1] if batches else None
    if last and state in runs.ACTIVE_STATES:
        eta = f"{int(last['eta_seconds'] // 60)}:{int(last['eta_seconds'] % 60):02d}"
        st.progress(
            min(1.0, (last["epoch"] - 1 + last["batch"] / last["batches"]) / last["epochs"]),
            text=f"epoch {last['epoch']}/{last['epochs']} · batch {last['batch']}/{last['batches']} · "
            f"{last['images_per_second']:,.0f} images/s · ETA {eta}",
        )
    device = f"{status.get('device', '…')} · backend {status.get('backend', '…')}"
    {"failed": st.error, "finished": st.success, "stopped": st.warning}.get(state, st.info)(
        f"**{state}**: {message}  \n{device}"
    )
    if state in ("running", "stopping", "queued"):
        st.button("⏹ Stop", key="train_stop", on_click=jobs.stop, args=(run_id,), disabled=state == "stopping")
    st.plotly_chart(plots.training_figure(batches, history, title=run_id), key="train_curves")


show_run(run_id)
folder = runs.run_dir(run_id)
download_model, download_history = st.columns(2)
if (folder / "model.keras").is_file() and run_id not in active:
    download_model.download_button(
        "Download model.keras",
        data=lambda: (folder / "model.keras").read_bytes(),
        file_name=f"{run_id}.keras",
        key="train_download_model",
    )
if runs.history_rows(folder):
    download_history.download_button(
        "Download history (CSV)",
        data=runs.history_csv(runs.history_rows(folder)),
        file_name=f"{run_id}-history.csv",
        key="train_download_history",
    )
st.subheader("Runs on this server")
st.dataframe([run.as_row() for run in all_runs], hide_index=True, width="stretch")
