"""Plotly figure builders: data in, go.Figure out, nothing else."""

from __future__ import annotations

from typing import TYPE_CHECKING

import plotly.graph_objects as go

from cnnviz.pictures.grids import LIT_COLOUR
from cnnviz.runtime.records import BatchRecord, EpochRecord

if TYPE_CHECKING:
    from cnnviz.learning.analysis import ReferenceLine
from cnnviz.runtime.run_config import Variant


def training_figure(
    batches: list[BatchRecord], history: list[EpochRecord], planned_epochs: int = 0, title: str = ""
) -> go.Figure:
    """Return loss and accuracy side by side: training per batch (thin line), validation per epoch (dots).

    The x-axis spans the planned epochs from the start, so the curve fills in instead of rescaling.
    """
    from plotly.subplots import make_subplots

    from cnnviz.learning.analysis import window_means

    batches = window_means(batches)  # Keras's running means restart each epoch: plot each window's own mean
    figure = make_subplots(rows=1, cols=2, subplot_titles=("loss", "accuracy"), horizontal_spacing=0.08)
    # A batch record sits at its fraction of the epoch: batch 430 of 860 in epoch 3 is at x = 2.5.
    batch_x = [record.position for record in batches]
    epoch_x = [record.epoch for record in history]
    for column, metric in ((1, "loss"), (2, "accuracy")):
        figure.add_trace(
            go.Scatter(
                x=batch_x,
                y=[record.metric(metric) for record in batches],
                mode="lines",
                name=f"training {metric} (batches)",
                line=dict(color="#4c78a8", width=1),
                opacity=0.6,
                hovertemplate="epoch %{x:.2f}: %{y:.4f}<extra></extra>",
            ),
            row=1,
            col=column,
        )
        figure.add_trace(
            go.Scatter(
                x=epoch_x,
                y=[record.metric(metric) for record in history],
                mode="lines+markers",
                name=f"training {metric} (epoch)",
                line=dict(color="#4c78a8", dash="dot"),
                hovertemplate="epoch %{x}: %{y:.4f}<extra></extra>",
            ),
            row=1,
            col=column,
        )
        figure.add_trace(
            go.Scatter(
                x=epoch_x,
                y=[record.metric(f"val_{metric}") for record in history],
                mode="lines+markers",
                name=f"validation {metric}",
                line=dict(color="#e45756", width=3),
                hovertemplate="epoch %{x}: %{y:.4f}<extra></extra>",
            ),
            row=1,
            col=column,
        )
    figure.update_xaxes(title_text="epoch", range=[0, max(planned_epochs, *epoch_x, *batch_x, 1) * 1.02])
    figure.update_yaxes(range=[0, 1.02], row=1, col=2)  # accuracy is a fraction: the scale never jumps
    if not batches and not history:
        figure.update_yaxes(range=[0, 2.5], row=1, col=1)  # empty axes before Start: a loss's usual start
    top = 60 if title else 35  # untitled, the subplot titles need only 35 px: the curves get the rest
    figure.update_layout(
        title=title, height=320 + top, margin=dict(l=10, r=10, t=top, b=10), legend=dict(orientation="h", y=-0.25)
    )
    return figure


RUN_COLOURS = ["#4c78a8", "#e45756", "#54a24b", "#b279a2", "#f58518", "#72b7b2", "#eeca3b", "#9d755d"]
# The overfitting experiment's variants keep one colour on every chart, however the runs are ordered.
VARIANT_COLOURS = {
    Variant.BASELINE: "#4c78a8",
    Variant.DROPOUT: "#e45756",
    Variant.AUGMENTATION: "#54a24b",
    Variant.BOTH: "#b279a2",
}


def compare_figure(
    histories: dict[str, list[EpochRecord]],
    metric: str,
    smoothing: float = 0.0,
    references: list[ReferenceLine] | None = None,
    subtitle: str = "",
    variants: dict[str, Variant | None] | None = None,
) -> go.Figure:
    """Return one metric of several runs: each run its colour (a variant's own), training dotted, validation solid.

    `histories` maps each run's label to its complete epochs; the legend has one entry per run (a
    click hides both its curves) and says once which line style is which. `references` are the
    book's and the tutorials' reported accuracies, drawn as labelled horizontal lines that name their source.
    """
    from cnnviz.learning.analysis import smooth

    figure = go.Figure()
    for index, (label, records) in enumerate(histories.items()):
        colour = VARIANT_COLOURS.get((variants or {}).get(label)) or RUN_COLOURS[index % len(RUN_COLOURS)]
        epochs = [record.epoch for record in records]
        for key, dash, part in ((metric, "dot", "training"), (f"val_{metric}", "solid", "validation")):
            figure.add_trace(
                go.Scatter(
                    x=epochs,
                    y=smooth([record.metric(key) for record in records], smoothing),
                    mode="lines+markers",
                    name=label,
                    legendgroup=label,
                    showlegend=part == "validation",
                    line=dict(color=colour, dash=dash, width=2 if dash == "dot" else 3),
                    hovertemplate=f"{label} {part}<br>epoch %{{x}}: %{{y:.4f}}<extra></extra>",
                )
            )
    for line in references or []:
        figure.add_hline(
            y=line.value,
            line=dict(color="grey", dash="dash", width=1),
            annotation_text=f"{line.label}: {line.value:.1%} (published, not a promise)",
            annotation_hovertext=f"source: {line.source}",
            annotation_position="bottom right",
        )
    title = f"{metric}: validation solid, training dotted" + (f"<br><sup>{subtitle}</sup>" if subtitle else "")
    figure.update_layout(
        title=title,
        xaxis_title="epoch",
        yaxis_title=metric,
        height=460,
        legend=dict(orientation="h", x=0, y=-0.22, yanchor="top", font=dict(size=14)),
        margin=dict(l=10, r=10, t=60, b=10),
    )
    return figure


def probability_figure(class_names: list[str], probabilities: list[float]) -> go.Figure:
    """Return class probabilities as horizontal bars, the predicted class highlighted."""
    best = max(range(len(probabilities)), key=lambda i: probabilities[i])
    figure = go.Figure(
        go.Bar(
            x=list(probabilities),
            y=list(class_names),
            orientation="h",
            marker_color=[LIT_COLOUR if i == best else "#4c78a8" for i in range(len(probabilities))],
            text=[f"{p:.1%}" for p in probabilities],
            textposition="auto",
            hovertemplate="%{y}: %{x:.2%}<extra></extra>",
        )
    )
    figure.update_layout(
        xaxis=dict(range=[0, 1], tickformat=".0%"),
        yaxis=dict(autorange="reversed"),
        height=60 + 28 * len(class_names),
        margin=dict(l=10, r=10, t=10, b=10),
    )
    return figure


def confidence_figure(epochs: list[int], probabilities: list[float], class_name: str, marked: int | None) -> go.Figure:
    """Return one image's probability of its true class after each epoch, the replayed epoch marked."""
    figure = go.Figure(go.Scatter(x=epochs, y=probabilities, mode="lines+markers", name=class_name))
    if marked is not None:
        figure.add_vline(x=marked, line=dict(color="#ff7f0e", width=3))
    figure.update_layout(
        height=260,
        margin=dict(l=10, r=10, t=40, b=10),
        title=f"How sure it is this image is {class_name}, epoch by epoch",
        xaxis=dict(title="epoch", dtick=1),
        yaxis=dict(title="probability", range=[0, 1.02], tickformat=".0%"),
    )
    return figure


def epoch_strip(history: list[EpochRecord], marked: int) -> go.Figure:
    """Return a small chart beside the epoch slider: training and validation accuracy by epoch, the slider's epoch
    marked (the whole curves are under Learning, epoch by epoch)."""
    epochs = [record.epoch for record in history]
    figure = go.Figure()
    for name, values, dash in (
        ("training", [record.metric("accuracy") for record in history], "dot"),
        ("validation", [record.val_accuracy for record in history], "solid"),
    ):
        figure.add_trace(go.Scatter(x=epochs, y=values, mode="lines", name=name, line=dict(width=2, dash=dash)))
    figure.add_vline(x=marked, line=dict(color="#ff7f0e", width=3))
    figure.update_layout(
        height=90, margin=dict(l=0, r=0, t=0, b=0), showlegend=False, hovermode="x unified",
        xaxis=dict(visible=False), yaxis=dict(visible=False),
    )  # fmt: skip
    return figure
