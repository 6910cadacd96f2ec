"""The Network page's figures, built unchecked for speed (cnnviz/pictures/unchecked.py), pass plotly's own checks."""

import numpy as np
import plotly.graph_objects as go
import pytest

from cnnviz.learning import models, network_view
from cnnviz.pictures import network


@pytest.fixture(scope="module")
def view():
    """Every layer of an untrained fashion_separable for one random image."""
    model = models.build("fashion_separable")
    batch = np.random.default_rng(0).uniform(0, 255, (1, *model.input_shape[1:])).astype("float32")
    return network_view.network_view(model, batch)


def check_with_plotly(figure: go.Figure) -> go.Figure:
    """Return the figure built again through plotly's property checks (a misspelt property raises)."""
    return go.Figure(figure.to_dict())


def test_the_overview_passes_plotlys_checks_with_a_tile_and_a_point_per_map(view):
    selected = view.default_map()
    shown = view.shown_channels(3, selected)
    checked = check_with_plotly(network.network_figure(view, [str(number) for number in range(10)], shown, selected))
    maps = sum(len(channels) for channels in shown.values())
    assert len(checked.layout.images) == maps + 1, "a tile per map, and the input"
    assert len(checked.data[0].x) == maps and checked.data[0].customdata[0][0] == view.layers[0].name
    assert len(checked.layout.shapes) == 1, "the chosen map is ringed"


def test_the_enlarged_map_passes_plotlys_checks_with_a_point_per_cell(view):
    output = view.layer(view.names[-1])
    checked = check_with_plotly(network.map_figure(output, 0, (1, 2)))
    height, width = output.maps.shape[:2]
    assert len(checked.data[0].x) == height * width and checked.data[0].marker.colorscale[0][1] == "#440154"
    np.testing.assert_allclose(checked.data[0].marker.color, output.maps[..., 0].ravel(), rtol=1e-6)
    assert (checked.layout.shapes[0].x0, checked.layout.shapes[0].y0) == (1.5, 0.5), "the chosen cell is ringed"
