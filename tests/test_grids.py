"""The HTML grids: numbers, padding, blanks, the lit window and colours."""

import numpy as np

from cnnviz.pictures import grids
from tests.apptest_helpers import read_grid_html


def test_grid_shows_every_number_and_outlines_the_window():
    values = np.arange(1, 17, dtype=float).reshape(4, 4)
    (grid,) = read_grid_html(grids.grid_html(values, "input", window=(1, 1, 2, 2)))
    assert grid["title"] == "input"
    assert grid["cells"][3] == ["13", "14", "15", "16"]
    assert grid["lit"] == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert grid["titles"][2][1] == "row 3, column 2: 10"


def test_padding_is_grey_zeros_and_rows_count_from_the_real_input():
    padded = np.pad(np.ones((2, 2)), 1)
    text = grids.grid_html(padded, "padded", padding=((1, 1), (1, 1)))
    (grid,) = read_grid_html(text)
    assert grid["cells"][0] == ["0", "0", "0", "0"]
    assert grid["titles"][0][0] == "padding (zero)" and grid["titles"][1][1] == "row 1, column 1: 1"
    assert text.count(grids.PADDING_BACKGROUND) == 12


def test_cells_not_computed_yet_are_blank():
    values = np.full((2, 2), np.nan)
    values[0, 0] = 35
    (grid,) = read_grid_html(grids.grid_html(values, "feature map", window=(0, 0, 1, 1)))
    assert grid["cells"] == [["35", ""], ["", ""]]
    assert grid["titles"][1][1] == "not computed yet"


def test_colours_run_from_light_to_dark_with_legible_text():
    text = grids.grid_html(np.array([[0.0, 10.0]]), "two")
    assert "background:rgb(247, 251, 255);color:#262730" in text  # the smallest value: lightest blue, dark text
    assert "background:rgb(8, 48, 107);color:#ffffff" in text  # the largest: darkest blue, white text
    constant = grids.grid_html(np.full((2, 2), 3.0), "constant")
    assert constant.count("rgb(107, 174, 214)") == 4  # all equal: the middle of the scale, not a crash


def test_titles_and_values_are_escaped():
    text = grids.grid_html(np.array([[1.0]]), "<script>alert(1)</script>")
    assert "<script>" not in text and "&lt;script&gt;" in text
