"""One line on each layer type a student meets in a recipe's table and may not know: BatchNorm, Flatten.

Every number comes from the recipe's own table (Keras's counts), so the line is about this network.
"""

from __future__ import annotations

from dataclasses import dataclass

from cnnviz.lesson.architecture import LayerRow, LayerTable, count, times_shape


@dataclass(frozen=True)
class LayerNote:
    """What one kind of layer does, with the numbers of one such layer of the table."""

    kind: str
    layer: str
    text: str  # markdown


def batchnorm_note(row: LayerRow) -> LayerNote:
    """Return what BatchNormalization does, and why half of its 4 × C parameters do not train."""
    channels = row.output_shape[-1]
    half = count(2 * channels)
    text = (
        f"**BatchNormalization** ({row.layer}) rescales each of its {count(channels)} channels to mean 0 and spread 1 "
        f"over the batch, then by a learned scale γ and shift β: 2 × {count(channels)} = {half} trainable. The other "
        f"{half} are the moving mean and variance, averages of the batches kept for prediction: the batches update "
        "them, gradients never do, so Keras counts them not trainable."
    )
    return LayerNote("BatchNormalization", row.layer, text)


def flatten_note(row: LayerRow, source_shape: tuple[int, ...], dense: LayerRow | None, total: int) -> LayerNote:
    """Return what Flatten does, with the Dense layer after it and the share of the parameters that takes."""
    length = row.output_shape[-1]
    text = (
        f"**Flatten** ({row.layer}) lays the {times_shape(source_shape)} feature maps out as one row of "
        f"{times_shape(source_shape)} = {count(length)} numbers, so a Dense layer can take them: no parameters."
    )
    if dense is not None and total:
        rest = total - dense.count
        share = f"all but {count(rest)}" if rest < total / 100 else f"{dense.count / total:.0%}"
        text += (
            f" The Dense layer after it ({dense.layer}) connects all {count(length)} to each of its units: "
            f"{count(dense.count)} of the network's {count(total)} parameters, {share}."
        )
    return LayerNote("Flatten", row.layer, text)


def layer_notes(table: LayerTable) -> list[LayerNote]:
    """Return one note for the first BatchNormalization and the first Flatten of the table, when it has them."""
    rows = list(table.rows)
    notes = []
    batchnorm = next((row for row in rows if row.kind == "BatchNormalization"), None)
    if batchnorm is not None:
        notes.append(batchnorm_note(batchnorm))
    index = next((position for position, row in enumerate(rows) if row.kind == "Flatten"), None)
    if index is not None:
        source_shape = rows[index - 1].output_shape if index else table.input_shape
        dense = next((row for row in rows[index + 1 :] if row.kind == "Dense"), None)
        notes.append(flatten_note(rows[index], source_shape, dense, table.totals.total))
    return notes
