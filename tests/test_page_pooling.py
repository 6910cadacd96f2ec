"""The Pooling page through AppTest: max and average side by side, its widgets, a real feature map."""

from tests.apptest_helpers import assert_no_errors, image_captions, markdown_text, open_page
from tests.grid_reader import arithmetic, grids_of


def test_pooling_defaults_show_max_and_average_side_by_side():
    app = open_page("app_pages/pooling.py")
    assert arithmetic(app) == ["max: max(1, 3, 5, 6) = 6", "average: (1 + 3 + 5 + 6) / 4 = 3.75"]
    assert "no parameters to learn" in markdown_text(app)
    grids = grids_of(app)
    assert grids["input"]["lit"] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert grids["input"]["winner"] == [(1, 1)], "the 6 wins the first window"
    assert grids["pooled-max"]["cells"][0][0] == "6" and grids["pooled-average"]["cells"][0][0] == "3.75"
    assert grids["pooled-max"]["lit"] == grids["pooled-average"]["lit"] == [(0, 0)]


def test_pooling_size_stride_and_step():
    app = open_page("app_pages/pooling.py")
    app.number_input(key="pooling_size").set_value(3).run()
    app.number_input(key="pooling_stride").set_value(1).run()
    assert "Output size: 2×2" in markdown_text(app)
    app.slider(key="pooling_step").set_value(4).run()
    assert arithmetic(app) == [
        "max: max(6, 1, 7, 2, 8, 0, 1, 4, 6) = 8",
        "average: (6 + 1 + 7 + 2 + 8 + 0 + 1 + 4 + 6) / 9 = 3.889",
    ]
    assert grids_of(app)["input"]["winner"] == [(2, 2)]
    assert_no_errors(app)


def test_pooling_bad_grid_and_too_big_window_are_messages():
    app = open_page("app_pages/pooling.py")
    app.text_area(key="pooling_grid").input("1 2\n3 x").run()
    assert "last good feature map" in app.error[0].value
    assert arithmetic(app)[0] == "max: max(1, 3, 5, 6) = 6"
    app.text_area(key="pooling_grid").input("1 2\n3 4").run()
    app.number_input(key="pooling_size").set_value(3).run()
    assert not app.exception and "does not fit" in app.error[0].value


def test_pooling_real_feature_map_halves_26_to_13():
    app = open_page("app_pages/pooling.py")
    captions = image_captions(app)
    assert "feature map: 26×26" in captions
    assert "max pooled: 13×13" in captions and "average pooled: 13×13" in captions


def test_pooling_settings_survive_a_visit_to_another_page():
    app = open_page("app_pages/pooling.py")
    app.number_input(key="pooling_size").set_value(3).run()
    app.switch_page("app_pages/convolution.py")
    app.run()
    app.switch_page("app_pages/pooling.py")
    app.run()
    assert app.number_input(key="pooling_size").value == 3
