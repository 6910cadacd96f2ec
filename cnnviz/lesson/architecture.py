"""Where a network's parameters come from: one row per layer with the formula written out.

The Layers page reads every recipe's table from layer_tables.json, shipped with the package, so it
shows them without importing Keras (its import kept a first visit blank for 2.4 s). Regenerate the
file with `python -m cnnviz.lesson.architecture` after changing a recipe; tests/test_architecture.py
rebuilds every recipe with Keras and fails when the file and the live computation differ.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cnnviz.learning import recipes

if TYPE_CHECKING:
    import keras

NO_PARAMETERS = "no parameters to learn"
TABLES_FILE = Path(__file__).with_name("layer_tables.json")
REGENERATE = "python -m cnnviz.lesson.architecture"
SHAPE_LIST = re.compile(r"\[\s*(\d+(?:,\s*\d+)*)\s*\]")  # a shape on one line: one layer, a few lines in the file


@dataclass(frozen=True)
class LayerRow:
    """One layer: its name, Keras class, output shape (no batch axis), parameter formula and count."""

    layer: str
    kind: str
    output_shape: tuple[int, ...]
    parameters: str
    count: int
    trainable: str  # "yes", "partly" or "no"

    def as_columns(self) -> dict[str, object]:
        """Return the row as the page's table columns, the shape written as people do: `148×148×32`."""
        return {
            "layer": self.layer,
            "type": self.kind,
            "output shape": times_shape(self.output_shape),
            "parameters": self.parameters,
            "count": self.count,
            "trainable": self.trainable,
        }


@dataclass(frozen=True)
class Totals:
    """Keras's own totals for a model: all, trainable and non-trainable parameters."""

    total: int
    trainable: int
    non_trainable: int


@dataclass(frozen=True)
class LayerTable:
    """A recipe's layers, one row each (nested models such as VGG16 opened up), and Keras's totals."""

    recipe: str
    input_shape: tuple[int, ...]
    rows: tuple[LayerRow, ...]
    totals: Totals

    @property
    def column_sum(self) -> int:
        """Return the sum of the count column, which should equal Keras's count_params()."""
        return sum(row.count for row in self.rows)

    def to_json(self) -> dict:
        """Return the table as JSON-ready data."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> LayerTable:
        """Return the table that to_json wrote."""
        rows = tuple(LayerRow(**{**row, "output_shape": tuple(row["output_shape"])}) for row in data["rows"])
        return cls(data["recipe"], tuple(data["input_shape"]), rows, Totals(**data["totals"]))


@dataclass(frozen=True)
class ShapeBox:
    """One box of the shapes diagram: a layer, or a block of a pretrained base, and the shape it outputs."""

    label: str
    kind: str  # the Keras class, "Block" for a group of a base's layers, "Input" for the input
    shape: tuple[int, ...]
    layers: tuple[str, ...]

    @property
    def side(self) -> int:
        """Return the box's spatial side (1 for a flat vector)."""
        return self.shape[0] if len(self.shape) == 3 else 1

    @property
    def depth(self) -> int:
        """Return the box's depth: channels, or the length of a flat vector."""
        return self.shape[-1]


def keras_shape(shape: tuple[int, ...]) -> str:
    """Return a shape as Keras's summary prints it, the batch axis named: `(batch, 148, 148, 32)`."""
    return f"({', '.join(['batch', *map(str, shape)])})"


def times_shape(shape: tuple[int, ...]) -> str:
    """Return a shape as people write it: `148×148×32`."""
    return "×".join(f"{size:,}" for size in shape)


def count(number: int) -> str:
    """Return a count with thousands separators, the way Keras's summary prints it."""
    return f"{number:,}"


def parameter_formula(layer: keras.layers.Layer) -> str:
    """Return the layer's parameter count as a formula with its own numbers, e.g. `3×3×3×32 + 32 = 896`."""
    total = layer.count_params() if layer.built else 0
    kind = type(layer).__name__
    if kind == "SeparableConv2D":
        height, width = layer.kernel_size
        channels, filters = layer.depthwise_kernel.shape[2], layer.filters
        bias = f" + {filters}" if layer.use_bias else ""
        return f"{height}×{width}×{channels} + {channels}×{filters}{bias} = {count(total)}"
    if kind == "Conv2D":
        height, width, channels, filters = layer.kernel.shape
        bias = f" + {filters}" if layer.use_bias else ""
        return f"{height}×{width}×{channels}×{filters}{bias} = {count(total)}"
    if kind == "Dense":
        inputs, units = layer.kernel.shape
        bias = f" + {count(units)}" if layer.use_bias else ""
        return f"{count(inputs)}×{count(units)}{bias} = {count(total)}"
    if kind == "BatchNormalization":
        channels = layer.gamma.shape[0]
        return f"4×{channels} = {count(total)}, of which {count(2 * channels)} not trainable (moving mean and variance)"
    if total == 0:
        return NO_PARAMETERS
    return count(total)


def trainable_count(layer: keras.layers.Layer) -> int:
    """Return how many of the layer's parameters training updates."""
    return sum(math.prod(weight.shape) for weight in layer.trainable_weights)


def layer_records(model: keras.Model, prefix: str = "") -> list[LayerRow]:
    """Return one row per layer of a built model, nested models such as VGG16 opened up."""
    import keras

    rows = []
    for layer in model.layers:
        if isinstance(layer, keras.Model):
            rows += layer_records(layer, prefix=f"{prefix}{layer.name}/")
            continue
        if isinstance(layer, keras.layers.InputLayer):
            continue  # a nested model's input: no parameters, no new shape, and a name Keras numbers per process
        parameters = layer.count_params() if layer.built else 0
        trainable = trainable_count(layer)
        rows.append(
            LayerRow(
                layer=prefix + layer.name,
                kind=type(layer).__name__,
                output_shape=tuple(int(size) for size in layer.output.shape[1:]),
                parameters=parameter_formula(layer),
                count=parameters,
                trainable="yes" if trainable == parameters and parameters else ("partly" if trainable else "no"),
            )
        )
    return rows


def layer_rows(model: keras.Model) -> list[dict]:
    """Return one row per layer as columns, the output shape as Keras's summary prints it: `(batch, 148, 148, 32)`."""
    return [{**row.as_columns(), "output shape": keras_shape(row.output_shape)} for row in layer_records(model)]


def model_totals(model: keras.Model) -> Totals:
    """Return Keras's own totals of a model."""
    trainable = sum(math.prod(weight.shape) for weight in model.trainable_weights)
    return Totals(total=model.count_params(), trainable=trainable, non_trainable=model.count_params() - trainable)


def totals(model: keras.Model) -> dict[str, int]:
    """Return Keras's own totals: all, trainable and non-trainable parameters."""
    model_total = model_totals(model)
    return {"total": model_total.total, "trainable": model_total.trainable, "non-trainable": model_total.non_trainable}


def live_table(name: str, as_tutorial: bool = False) -> LayerTable:
    """Build recipe `name` with Keras (random weights: counts do not depend on them) and return its table.

    as_tutorial builds it without the layers cnnviz added to the tutorial's network (its Dropout).
    """
    import keras

    from cnnviz.learning import models

    # Keras numbers the layers it names itself per session (dense_7): start from a clean one so that any
    # name the recipe leaves to Keras comes out the same in every process.
    keras.backend.clear_session()
    model = models.build(name, weights=None, **({"dropout_rate": None} if as_tutorial else {}))
    rows = tuple(layer_records(model))
    return LayerTable(name, tuple(int(size) for size in model.input_shape[1:]), rows, model_totals(model))


def load_tables(path: Path | None = None, as_tutorial: bool = False) -> dict[str, LayerTable]:
    """Return the precomputed tables by recipe name, from TABLES_FILE unless told (empty when the file is missing).

    as_tutorial: the tables of the recipes cnnviz added layers to, as their tutorials built them.
    """
    path = path or TABLES_FILE
    if not path.is_file():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    stored = data.get("tutorial_tables", {}) if as_tutorial else data["tables"]
    return {name: LayerTable.from_json(table) for name, table in stored.items()}


def recipe_table(name: str, as_tutorial: bool = False) -> LayerTable:
    """Return recipe `name`'s table (as its tutorial built it, when asked): precomputed, else built with Keras."""
    recipe = recipes.get_recipe(name)  # a clear error for a name that is no recipe
    as_tutorial = as_tutorial and bool(recipe.cnnviz_layers)  # the others are the tutorial's already
    return load_tables(as_tutorial=as_tutorial).get(name) or live_table(name, as_tutorial)


def tutorial_names() -> list[str]:
    """Return the recipes whose network cnnviz changed from its tutorial's (they have a second table)."""
    return [name for name, recipe in recipes.RECIPES.items() if recipe.cnnviz_layers]


def table_columns(table: LayerTable) -> list[dict[str, object]]:
    """Return the table's rows as the page's columns, a layer cnnviz added to the tutorial's network marked so."""
    added = set(recipes.get_recipe(table.recipe).cnnviz_layers)
    columns = [row.as_columns() for row in table.rows]
    return [{**column, "layer": f"{column['layer']} (cnnviz's)"} if column["layer"] in added else column
            for column in columns]  # fmt: skip


def shape_boxes(table: LayerTable) -> list[ShapeBox]:
    """Return the input, then one box per layer; a nested base's layers grouped by block (block1_conv1 → block1)."""
    boxes = [ShapeBox("input", "Input", table.input_shape, ())]
    for row in table.rows:
        base, separator, name = row.layer.rpartition("/")
        if not separator:
            boxes.append(ShapeBox(row.layer, row.kind, row.output_shape, (row.layer,)))
            continue
        label = f"{base} {name.split('_')[0]}"
        layers = boxes.pop().layers if boxes[-1].label == label else ()
        boxes.append(ShapeBox(label, "Block", row.output_shape, (*layers, row.layer)))
    return boxes


def tables_json(tables: dict[str, LayerTable], tutorial_tables: dict[str, LayerTable] | None = None) -> str:
    """Return the tables as the JSON text of layer_tables.json (stable, so a diff shows what changed)."""
    import keras

    data = {
        "generated_by": REGENERATE,
        "keras": keras.__version__,
        "tables": {name: table.to_json() for name, table in tables.items()},
        "tutorial_tables": {name: table.to_json() for name, table in (tutorial_tables or {}).items()},
    }
    text = json.dumps(data, indent=1, ensure_ascii=False)
    return SHAPE_LIST.sub(lambda match: f"[{', '.join(match.group(1).replace(',', ' ').split())}]", text) + "\n"


def main(arguments: list[str] | None = None) -> int:
    """Rebuild every recipe with Keras and write layer_tables.json, or with --check say whether it is current."""
    parser = argparse.ArgumentParser(prog=REGENERATE, description=main.__doc__)
    parser.add_argument("--check", action="store_true", help="exit 1 when the file differs from Keras's counts")
    parser.add_argument("--path", type=Path, default=TABLES_FILE, help="the file to write or check")
    options = parser.parse_args(arguments)
    tables = {name: live_table(name) for name in recipes.RECIPES}
    tutorial_tables = {name: live_table(name, as_tutorial=True) for name in tutorial_names()}
    if options.check:
        stale = []
        for as_tutorial, live in ((False, tables), (True, tutorial_tables)):
            stored = load_tables(options.path, as_tutorial)
            stale += sorted(name for name in live.keys() | stored.keys() if stored.get(name) != live.get(name))
        print(f"{options.path}: {'stale for ' + ', '.join(stale) if stale else 'current'}")
        return 1 if stale else 0
    options.path.write_text(tables_json(tables, tutorial_tables), encoding="utf-8")
    print(f"wrote {options.path}: {len(tables)} recipes")
    return 0


@dataclass(frozen=True)
class ParameterFormula:
    """One way to build a layer: how its weights are arranged, the count as arithmetic, and the count."""

    how: str
    formula: str
    count: int


@dataclass(frozen=True)
class SeparableComparison:
    """A standard and a depthwise-separable convolution of the same output shape, side by side."""

    standard: ParameterFormula
    separable: ParameterFormula

    @property
    def ratio_formula(self) -> str:
        """Return how many times fewer parameters the separable one needs, as arithmetic."""
        standard, separable = self.standard.count, self.separable.count
        return f"{count(standard)} / {count(separable)} = {standard / separable:.1f}× fewer"


def compare_standard_and_separable(kernel_size: int, in_channels: int, filters: int) -> SeparableComparison:
    """Return the parameter formulas of a standard and a depthwise-separable convolution side by side."""
    standard = kernel_size * kernel_size * in_channels * filters + filters
    separable = kernel_size * kernel_size * in_channels + in_channels * filters + filters
    k = f"{kernel_size}×{kernel_size}"
    return SeparableComparison(
        standard=ParameterFormula(
            f"each of the {filters} filters has its own {k}×{in_channels} kernel",
            f"{k}×{in_channels}×{filters} + {filters} = {count(standard)}",
            standard,
        ),
        separable=ParameterFormula(
            f"one {k} kernel per input channel, then a 1×1 convolution mixes the {in_channels} channels into {filters}",
            f"{k}×{in_channels} + {in_channels}×{filters} + {filters} = {count(separable)}",
            separable,
        ),
    )


@dataclass(frozen=True)
class Connection:
    """One way to connect an image to hidden units, and the weights it takes."""

    connection: str
    formula: str
    weights: int

    def as_row(self) -> dict:
        """Return the connection as a table row, the weights with their power of ten."""
        return {"connection": self.connection, "formula": self.formula, "weights": shown_power(self.weights)}


def shown_power(number: int) -> str:
    """Return a power of ten with its exponent: '1,000,000 (10^6)'."""
    return f"{number:,} (10^{len(str(number)) - 1})"


def weight_sharing_arithmetic(image_side: int = 1000, window: int = 10) -> list[Connection]:
    """Return the weights needed to connect an image_side² image to as many hidden units, three ways."""
    pixels = image_side * image_side
    return [
        Connection(
            "dense: every unit sees every pixel", f"{count(pixels)} pixels × {count(pixels)} units", pixels * pixels
        ),
        Connection(
            f"local: every unit sees a {window}×{window} window",
            f"{count(pixels)} units × {window}×{window}",
            pixels * window * window,
        ),
        Connection("shared: one kernel slid everywhere (a convolution)", f"{window}×{window}", window * window),
    ]


if __name__ == "__main__":
    sys.exit(main())
