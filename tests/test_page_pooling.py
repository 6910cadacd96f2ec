"""The Pooling page through AppTest: max and average side by side, its widgets, a real feature map."""

from urllib.parse import parse_qsl, urlsplit

from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import APP, assert_no_errors, image_captions, markdown_text, open_page
from tests.grid_reader import arithmetic, grids_of


def test_pooling_defaults_show_max_and_average_side_by_side():
    app = open_page("app_pages/pooling.py")
    assert arithmetic(app)[:2] == ["max: max(1, 3, 5, 6) = 6", "average: (1 + 3 + 5 + 6) / 4 = 3.75"]
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
        "sum: 6 + 1 + 7 + 2 + 8 + 0 + 1 + 4 + 6 = 35",
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
    assert "feature map: 26×26, peak 1.816" in captions
    for mode in ("max", "average", "sum"):
        assert any(caption.startswith(f"{mode} pooled: 13×13, peak ") for caption in captions), mode


def test_pooling_settings_survive_a_visit_to_another_page():
    app = open_page("app_pages/pooling.py")
    app.number_input(key="pooling_size").set_value(3).run()
    app.switch_page("app_pages/convolution.py")
    app.run()
    app.switch_page("app_pages/pooling.py")
    app.run()
    assert app.number_input(key="pooling_size").value == 3


def test_pooling_sum_beside_max_and_average_and_the_modes_switch():
    app = open_page("app_pages/pooling.py")
    assert arithmetic(app)[2] == "sum: 1 + 3 + 5 + 6 = 15"
    app.slider(key="pooling_step").set_value(4).run()
    assert grids_of(app)["pooled-sum"]["cells"] == [["15", "19"], ["10", "18"]]  # 4 × the average, by hand
    app.button_group(key="pooling_modes").set_value(["average", "sum"]).run()
    app.slider(key="pooling_step").set_value(1).run()
    assert arithmetic(app) == ["average: (1 + 3 + 5 + 6) / 4 = 3.75", "sum: 1 + 3 + 5 + 6 = 15"]
    assert "pooled-max" not in grids_of(app) and grids_of(app)["input"]["winner"] == []
    app.button_group(key="pooling_modes").set_value([]).run()
    assert arithmetic(app) == ["max: max(1, 3, 5, 6) = 6"], "none picked: max, the layer Keras tutorials use"
    assert_no_errors(app)


def test_pooling_real_map_shows_the_peaks_and_the_shift():
    app = open_page("app_pages/pooling.py")
    captions = image_captions(app)
    peaks = {caption.split(":")[0]: caption.rsplit("peak ", 1)[1] for caption in captions if "peak" in caption}
    assert peaks["max pooled"] == peaks["feature map"] and float(peaks["average pooled"]) < float(peaks["max pooled"])
    text = markdown_text(app)
    assert f"its peak is **{peaks['average pooled']}**" in text and "That is why max usually does better" in text
    assert "changed 16 of 16 feature-map cells (**100%**) and 2 of 4 max-pooled cells (**50%**)" in text
    changed = [caption for caption in captions if caption.endswith("changed")]
    assert len(changed) == 2 and changed[0].startswith("after the shift: 26×26")
    assert grids_of(app)["shift-pooled-moved"]["cells"] == [["5", "6"], ["4", "8"]]


def test_pooling_link_opens_the_same_picture_and_a_bad_one_falls_back():
    app = open_page("app_pages/pooling.py")
    app.number_input(key="pooling_size").set_value(3).run()
    app.number_input(key="pooling_stride").set_value(1).run()
    app.slider(key="pooling_step").set_value(3).run()
    link = next(code.value for code in app.code if "?lesson=pooling" in code.value)
    assert "size=3" in link and "step=3" in link
    opened = AppTest.from_file(APP, default_timeout=30)
    opened.query_params.update(parse_qsl(urlsplit(link).query))
    opened.run()
    opened.switch_page("app_pages/pooling.py")
    opened.run()
    assert arithmetic(opened) == arithmetic(app) and grids_of(opened) == grids_of(app)
    bad = AppTest.from_file(APP, default_timeout=30)
    bad.query_params.update({"lesson": "pooling", "size": "3", "modes": "median"})
    bad.run()
    bad.switch_page("app_pages/pooling.py")
    bad.run()
    assert not bad.exception and len(bad.error) == 1 and "modes is 'median'" in bad.error[0].value
    assert arithmetic(bad)[0] == "max: max(1, 3, 5, 6) = 6", "the defaults: a 2×2 pool"
