"""A run as a plain Keras script: the network as its recipe builds it, the data, compile and fit, no cnnviz.

`cnnviz export RUN_ID` and the Train page write it, so a student can take the run home to a notebook. The
layers are read off the network cnnviz builds for the run (so the parameter count is the same), the
augmentation is written as Keras 3 preprocessing layers (augmentation_spec.keras_layers_code).
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from cnnviz.data.sources import DatasetName
from cnnviz.errors import CnnvizError
from cnnviz.learning import recipes
from cnnviz.learning.training import training_augmentation
from cnnviz.runtime.run_config import RunConfig
from cnnviz.runtime.runs import Run

# Each layer type's arguments worth writing, with the value that needs no writing (Keras's default).
LAYER_ARGUMENTS = {
    "Conv2D": {"filters": None, "kernel_size": None, "strides": (1, 1), "padding": "valid", "activation": "linear"},
    "SeparableConv2D": {"filters": None, "kernel_size": None, "padding": "valid", "activation": "linear"},
    "MaxPooling2D": {"pool_size": None, "padding": "valid"},  # strides: the pool size, as the recipes have it
    "AveragePooling2D": {"pool_size": None, "padding": "valid"},
    "GlobalAveragePooling2D": {},
    "Flatten": {},
    "Dense": {"units": None, "activation": "linear"},
    "Dropout": {"rate": None},
    "BatchNormalization": {},
}

FASHION_LOADER = '''
def load_data(limit=LIMIT):
    """Fashion-MNIST as the tutorial split it: the first 55,000 train, the next 5,000 validate."""
    import gzip
    from pathlib import Path

    def read_idx(path, offset):
        with gzip.open(path, "rb") as stream:
            return np.frombuffer(stream.read(), dtype=np.uint8, offset=offset)

    folders = [Path.home() / ".keras" / "datasets" / "fashion-mnist", Path("/usr/share/datasets/fashion-mnist")]
    folder = next((f for f in folders if (f / "train-images-idx3-ubyte.gz").is_file()), None)
    if folder is None:
        (x, y), _ = keras.datasets.fashion_mnist.load_data()  # downloads once into ~/.keras
    else:
        x = read_idx(folder / "train-images-idx3-ubyte.gz", 16).reshape(-1, 28, 28)
        y = read_idx(folder / "train-labels-idx1-ubyte.gz", 8)
    x = x[..., None]  # (n, 28, 28, 1)
    small = None if limit is None else max(1, limit // 5)
    x_val, y_val = x[55_000:][:small], y[55_000:][:small]
    return (x[:55_000][:limit], y[:55_000][:limit]), (x_val, y_val)
'''

LFW_LOADER = '''
def load_data(limit=LIMIT):
    """scikit-image's 200 LFW crops, faces then not faces, 60 / 20 per class for training / validation."""
    from skimage import data

    x = (data.lfw_subset() * 255).astype("float32")[..., None]
    y = np.array([0] * 100 + [1] * 100)
    rng = np.random.default_rng(0)
    train, validation = [], []
    for label in (0, 1):
        indices = rng.permutation(np.flatnonzero(y == label))
        train += list(indices[:60])
        validation += list(indices[60:80])
    train = train[:limit]
    return (x[train], y[train]), (x[validation], y[validation])
'''

FOLDER_LOADER = '''
def load_data(limit=LIMIT):
    """A folder of class folders (or train/ and validation/), resized to the network's input."""
    from pathlib import Path

    folder, size = Path(DATA_FOLDER), INPUT_SHAPE[:2]
    color_mode = "rgb" if INPUT_SHAPE[2] == 3 else "grayscale"
    options = dict(image_size=size, batch_size=None, color_mode=color_mode, class_names=CLASS_NAMES)
    if (folder / "train").is_dir():
        train = keras.utils.image_dataset_from_directory(folder / "train", shuffle=False, **options)
        validation = keras.utils.image_dataset_from_directory(folder / "validation", shuffle=False, **options)
    else:
        common = dict(validation_split=0.2, seed=0, **options)
        train = keras.utils.image_dataset_from_directory(folder, subset="training", **common)
        validation = keras.utils.image_dataset_from_directory(folder, subset="validation", **common)
    arrays = [tuple(np.stack(part) for part in zip(*split.as_numpy_iterator())) for split in (train, validation)]
    (x, y), (x_val, y_val) = arrays
    if PER_CLASS is not None:  # the tutorial's images of each class
        (x, y), (x_val, y_val) = in_turn(x, y, PER_CLASS[0], True), in_turn(x_val, y_val, PER_CLASS[1], True)
    return in_turn(x, y, limit), (x_val, y_val)


def in_turn(x, y, limit, per_class=False):
    """Return at most `limit` images (of each class, with per_class), the classes taken in turn so all stay."""
    if limit is None:
        return x, y
    ranks = np.zeros(len(y), dtype=int)
    for label in np.unique(y):
        ranks[y == label] = np.arange(np.sum(y == label))
    chosen = np.flatnonzero(ranks < limit) if per_class else np.sort(np.lexsort((y, ranks))[:limit])
    return x[chosen], y[chosen]
'''

LOADERS = {
    DatasetName.FASHION_MNIST: FASHION_LOADER,
    DatasetName.LFW_FACES: LFW_LOADER,
    DatasetName.FOLDER: FOLDER_LOADER,
}


def export_problem(config: RunConfig) -> str | None:
    """Return why a run cannot be written as a plain Keras script yet, or None when it can."""
    return script_problem(config.recipe, config.dataset)


def script_problem(recipe_name: str, dataset: DatasetName) -> str | None:
    """Return why a recipe on a dataset cannot be written as a plain Keras script yet, or None when it can."""
    recipe = recipes.get_recipe(recipe_name)
    if recipe.pretrained_base is not None or recipe.network_input is not recipes.NetworkInput.IMAGES:
        return f"{recipe.title} builds on VGG16's pretrained base, which the plain-script export does not write yet."
    if dataset not in LOADERS:
        return f"The export does not read {dataset.title} yet: Fashion-MNIST, LFW faces and folders it does."
    return None


def folder_settings(config: RunConfig) -> tuple[str | None, list[str] | None, tuple[int, int] | None]:
    """Return the folder the script reads (wrappers skipped, as cnnviz does), the classes it takes, and how many of
    each it trains and validates on (a recipe's tutorial classes, when the folder holds them all)."""
    if config.dataset_path is None:
        return None, None, None
    from cnnviz.data import datasets, folders

    folder = Path(config.dataset_path).expanduser()
    selection = recipes.get_recipe(config.recipe).class_selection
    if selection is None or not datasets.holds_classes(folder, selection.classes):
        return str(folders.descend_wrappers(folder) if folder.is_dir() else folder), None, None
    counts = (selection.train_per_class, selection.validation_per_class)
    return str(folders.descend_wrappers(folder)), sorted(selection.classes), counts


def layer_code(layer: object) -> str:
    """Return a layer as the `layers.…(…)` call that builds it, with only the arguments that differ."""
    kind = type(layer).__name__
    if kind not in LAYER_ARGUMENTS:
        raise CnnvizError(f"cnnviz cannot write a {kind} layer as plain Keras yet; export a network without it.")
    config = layer.get_config()
    if "pool_size" in config and normalised(config.get("strides")) not in (None, normalised(config["pool_size"])):
        raise CnnvizError(f"{layer.name} pools with a stride other than its size, which the export does not write.")
    arguments = [repr(config[name]) if default is None else f"{name}={config[name]!r}"
                 for name, default in LAYER_ARGUMENTS[kind].items()
                 if default is None or normalised(config.get(name)) != normalised(default)]  # fmt: skip
    return f"layers.{kind}({', '.join([*arguments, f'name={layer.name!r}'])})"


def normalised(value: object) -> object:
    """Return a config value comparable with its default (Keras stores tuples as lists and pairs for ints)."""
    return tuple(value) if isinstance(value, list) else value


def model_lines(config: RunConfig, input_shape: tuple[int, int, int], num_classes: int) -> list[str]:
    """Return the model's layers after its input, as code (built by cnnviz for the run, then read back)."""
    from cnnviz.learning import models

    recipe = recipes.get_recipe(config.recipe)
    model = models.build(
        recipe.name,
        input_shape,
        num_classes,
        weights=None,
        dropout_rate=recipe.dropout_rate if config.dropout else None,
        augmentation=None,
    )
    return [layer_code(layer) for layer in model.layers if type(layer).__name__ != "Rescaling"]


def export_script(config: RunConfig, input_shape: tuple[int, int, int], num_classes: int) -> str:
    """Return a Python script that trains this run again with Keras alone (no cnnviz), as one file's text."""
    problem = export_problem(config)
    if problem is not None:
        raise CnnvizError(problem)
    recipe = recipes.get_recipe(config.recipe)
    augmentation = training_augmentation(recipe, config)
    augmentation_block = (
        "augmentation = None  # this run trained without augmentation\n"
        if augmentation is None
        else augmentation.keras_layers_code().split("\n\n", 1)[1] + "  # ImageDataGenerator's meaning, nearly\n"
    )
    body = [f"        {line}," for line in model_lines(config, input_shape, num_classes)]
    data_folder, class_names, per_class = folder_settings(config)
    binary = recipe.head is recipes.Head.SIGMOID and num_classes == 2
    loss = "binary_crossentropy" if binary else "sparse_categorical_crossentropy"
    optimizers = {"rmsprop": "RMSprop", "adam": "Adam", "sgd": "SGD"}
    lines = [
        f'"""{recipe.title}, trained again with Keras alone.',
        "",
        f"cnnviz's run: {config.label}.",
        f"Exported by `cnnviz export` from recipe {recipe.name}; run it with `python {recipe.name}.py`.",
        '"""',
        "",
        "import keras",
        "import numpy as np",
        "from keras import layers",
        "",
        f"EPOCHS = {config.epochs}",
        f"BATCH_SIZE = {config.batch_size}",
        f"LEARNING_RATE = {config.learning_rate!r}",
        f"SEED = {config.seed}",
        f"LIMIT = {config.limit!r}  # training images (None: all)",
        f"INPUT_SHAPE = {tuple(input_shape)!r}",
        f"DATA_FOLDER = {data_folder!r}",
        f"CLASS_NAMES = {class_names!r}  # a folder's classes to take (None: all)",
        f"PER_CLASS = {per_class!r}  # at most this many training and validation images of each class (None: all)",
        "",
        textwrap.dedent(LOADERS[config.dataset]).rstrip(),
        "",
        "",
        augmentation_block.rstrip(),
        "",
        "",
        "def fit_to_input(x):",
        '    """Resize images to the network\'s input where the data\'s size differs (grey repeated into RGB)."""',
        "    if x.shape[-1] != INPUT_SHAPE[2]:",
        "        x = np.repeat(x, INPUT_SHAPE[2], axis=-1)",
        "    if tuple(x.shape[1:3]) == INPUT_SHAPE[:2]:",
        "        return x",
        '    return keras.ops.convert_to_numpy(keras.ops.image.resize(x.astype("float32"), INPUT_SHAPE[:2]))',
        "",
        "",
        "def build_model():",
        '    """The network, layer by layer: pixels are scaled to 0..1 inside it, augmented only while training."""',
        "    model = keras.Sequential(name=" + repr(recipe.name) + ")",
        "    model.add(keras.Input(INPUT_SHAPE))",
        "    if augmentation is not None:",
        "        model.add(augmentation)",
        "    model.add(layers.Rescaling(1 / 255))",
        "    for layer in [",
        *body,
        "    ]:",
        "        model.add(layer)",
        "    return model",
        "",
        "",
        'if __name__ == "__main__":',
        "    keras.utils.set_random_seed(SEED)",
        "    (x_train, y_train), (x_val, y_val) = load_data()",
        "    x_train, x_val = fit_to_input(x_train), fit_to_input(x_val)",
        "    model = build_model()",
        "    model.summary()",
        f"    optimizer = keras.optimizers.{optimizers[config.optimizer.value]}(LEARNING_RATE)",
        f'    model.compile(optimizer=optimizer, loss="{loss}", metrics=["accuracy"])',
        "    model.fit(x_train, y_train, batch_size=BATCH_SIZE, epochs=EPOCHS, validation_data=(x_val, y_val))",
        "",
    ]
    return "\n".join(lines)


def export_run(run: Run) -> tuple[str, str]:
    """Return a file name and the plain Keras script of a run (its input shape from the worker, else its data)."""
    shape, classes = run.status.get("input_shape"), run.status.get("num_classes")
    if not shape or not classes:
        shape, classes = network_shape(run.config)
    return f"{run.run_id}.py", export_script(run.config, tuple(shape), int(classes))


def export_config(config: RunConfig) -> tuple[str, str]:
    """Return a file name and the plain Keras script of a run not started yet (the Train page's settings)."""
    shape, classes = network_shape(config)
    return f"{config.recipe}.py", export_script(config, shape, classes)


def network_shape(config: RunConfig) -> tuple[tuple[int, int, int], int]:
    """Return the input shape and classes a run's network gets, reading its data as training would."""
    from cnnviz.learning import training

    dataset = training.load_dataset(config)
    shape = training.choose_input_shape(recipes.get_recipe(config.recipe), dataset, config.input_size)
    return tuple(shape), dataset.num_classes
