"""What the Train page offers and follows: the datasets to pick, a recipe's own settings, which run to show,
how often to look at it, and which run of an experiment comes next."""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.data import folders, own_photos
from cnnviz.data.sources import DatasetName, DatasetSource
from cnnviz.errors import InvalidDataset
from cnnviz.learning import experiment, recipes
from cnnviz.runtime import settings
from cnnviz.runtime.runs import Run

# Until a run's first point shows, the page looks five times a second: Start should draw a curve at once.
# Then twice a second, which is what a whole class watching its curves can afford on one server.
FIRST_POINT_POLL_SECONDS, POLL_SECONDS = 0.2, 0.5
FIRST_POINTS = 3  # batch points on screen before the page goes back to the slower look


@dataclass(frozen=True)
class DatasetChoice:
    """One entry of the Train page's dataset list: a source, or a folder path the person types (source None)."""

    label: str
    source: DatasetSource | None

    @property
    def asks_for_path(self) -> bool:
        """Return whether the person types the folder's path on this server."""
        return self.source is None

    @property
    def name(self) -> DatasetName:
        """Return the dataset's name (FOLDER for any folder)."""
        return DatasetName.FOLDER if self.source is None else self.source.name

    @property
    def has_experiment(self) -> bool:
        """Return whether the overfitting experiment has a measured plan for this dataset."""
        return self.source is not None and experiment.plan_for_source(self.source) is not None

    def experiment_plan(self) -> experiment.ExperimentPlan:
        """Return the overfitting experiment's plan for this dataset, or raise CnnvizError saying where it runs."""
        plan = None if self.source is None else experiment.plan_for_source(self.source)
        return plan or experiment.plan_for(self.name)  # plan_for says which datasets have a plan

    def source_with(self, path: str) -> DatasetSource:
        """Return the source to train on, the typed path filled in where the choice asks for one."""
        if self.source is not None:
            return self.source
        if not path.strip():
            raise InvalidDataset("Type the path of a folder of class folders on this server, then press Start.")
        return DatasetSource.folder(path.strip())


def dataset_choices() -> list[DatasetChoice]:
    """Return what the Train page offers: the built-in datasets, the folders cnnviz prepared, a typed path."""
    choices = [
        DatasetChoice("Fashion-MNIST", DatasetSource(DatasetName.FASHION_MNIST)),
        DatasetChoice("LFW faces (200 images: watch it overfit)", DatasetSource(DatasetName.LFW_FACES)),
    ]
    choices += [DatasetChoice(label, DatasetSource.folder(path)) for label, path in folders.prepared_folders().items()]
    choices += [own_photos_choice(dataset) for dataset in own_photos.list_datasets()]
    if settings.allow_server_paths():
        choices.append(DatasetChoice("folder path on this server", None))
    return choices


def own_photos_choice(dataset: own_photos.OwnDataset) -> DatasetChoice:
    """Return the Train page's entry for a class's own photo dataset."""
    return DatasetChoice(own_photos.describe(dataset), DatasetSource.folder(dataset.folder))


def train_page_settings(dataset: own_photos.OwnDataset) -> dict[str, object]:
    """Return what the Train page starts with for a class's own photos, by setting name: the small 64×64
    convnet, this dataset, and the baseline (no dropout, no augmentation), the run that overfits."""
    own = recipe_settings(experiment.OWN_PHOTOS_RECIPE).widget_values()
    return {
        **own,
        "recipe": experiment.OWN_PHOTOS_RECIPE,
        "dataset": own_photos_choice(dataset).label,
        "dropout": False,
        "augment": False,
    }


@dataclass(frozen=True)
class RecipeSettings:
    """A recipe's own settings (the tutorial's), as the Train page's widgets start."""

    epochs: int
    batch_size: int
    learning_rate: float
    optimizer: str
    dropout: bool
    augment: bool
    takes_pretrained_weights: bool  # a pretrained base: the page offers ImageNet or random weights
    has_dropout: bool  # the recipe has a dropout layer to switch on

    def widget_values(self) -> dict[str, object]:
        """Return the settings a person may change, by name: epochs, batch size, rate, optimizer, switches."""
        names = ("epochs", "batch_size", "learning_rate", "optimizer", "dropout", "augment")
        return {name: getattr(self, name) for name in names}


def recipe_settings(name: str) -> RecipeSettings:
    """Return recipe `name`'s own settings."""
    recipe = recipes.get_recipe(name)
    return RecipeSettings(
        epochs=recipe.epochs,
        batch_size=recipe.batch_size,
        learning_rate=recipe.learning_rate,
        optimizer=recipe.optimizer.value,
        dropout=recipe.dropout_rate is not None,
        augment=recipe.augmentation is not None,
        takes_pretrained_weights=recipe.pretrained_base is not None,
        has_dropout=recipe.dropout_rate is not None,
    )


def run_to_show(all_runs: list[Run], wanted: str | None) -> str:
    """Return the run the page shows: the one asked for while it exists, else what is training, else the newest."""
    ids = [run.run_id for run in all_runs]
    if wanted in ids:
        return wanted
    active = [run.run_id for run in all_runs if run.state.is_active]
    return active[0] if active else ids[0]


def awaits_first_point(run: Run) -> bool:
    """Return whether a run is active and has not drawn its first batch point yet."""
    return run.state.is_active and not run.has_batch_points


def poll_seconds(run: Run) -> float | None:
    """Return how often the page looks at a run: fast before its first point, slower after, never once it ended."""
    if not run.state.is_active:
        return None
    return FIRST_POINT_POLL_SECONDS if awaits_first_point(run) else POLL_SECONDS


@dataclass(frozen=True)
class ExperimentStep:
    """Where a followed experiment stands: its runs, the one to show now, or that all have ended."""

    runs: tuple[str, ...]
    next_run: str | None
    finished: bool


def experiment_step(experiment_id: str | None) -> ExperimentStep:
    """Return the run of the experiment to follow now (the first still waiting or training), or that it ended."""
    if not experiment_id:
        return ExperimentStep((), None, False)
    found = experiment.experiment_runs(experiment_id)
    waiting = [run.run_id for run in found if run.state.is_active]
    return ExperimentStep(
        tuple(run.run_id for run in found), waiting[0] if waiting else None, bool(found) and not waiting
    )


def followed_run(all_runs: list[Run], wanted: str | None, step: ExperimentStep) -> str | None:
    """Return the run to show: while an experiment is followed, its next run in place of one of its ended runs
    (however late the page looks: a run may have ended between two looks); else the one asked for."""
    ended = {run.run_id for run in all_runs if not run.state.is_active}
    if step.next_run and (wanted is None or (wanted in step.runs and wanted in ended)):
        return step.next_run
    return wanted
