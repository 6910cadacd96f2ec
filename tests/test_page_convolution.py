"""The Convolution page through AppTest: the step-by-step grid, channels, a real photo, a learned filter."""

from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import APP, assert_no_errors, image_captions, markdown_text, open_page
from tests.grid_reader import arithmetic, grids_of, page_pictures
from tests.helpers import encode_image


def test_convolution_defaults_show_the_tutorial_first_step():
    app = open_page("app_pages/convolution.py")
    assert_no_errors(app)
    assert arithmetic(app) == ["1×1 + 0×2 + 1×3 + 0×6 + 1×7 + 0×8 + 1×11 + 0×12 + 1×13 = 35"]
    assert "Step 1 of 9" in page_pictures(app)[1]["convolution"]
    assert "<b>Output size: 3×3</b>" in markdown_text(app)
    assert "⌊(5 − 3) / 1⌋ + 1 = 3" in markdown_text(app)
    grids = grids_of(app)
    input_grid, kernel_grid, output_grid = grids["input"], grids["kernel"], grids["output"]
    assert input_grid["cells"][0] == ["1", "2", "3", "4", "5"]
    assert input_grid["lit"] == [(row, column) for row in range(3) for column in range(3)]
    assert input_grid["weights"][0][:4] == ["×1", "×0", "×1", ""], "the kernel's weights in small print"
    assert kernel_grid["cells"] == [["1", "0", "1"], ["0", "1", "0"], ["1", "0", "1"]]
    assert output_grid["cells"] == [["35", "", ""], ["", "", ""], ["", "", ""]]
    assert output_grid["lit"] == [(0, 0)] and output_grid["titles"][0][0] == "row 1, column 1: 35"
    assert 'data-link="link"' in markdown_text(app), "the window is linked to its output cell"


def test_convolution_last_step_fills_the_whole_output():
    app = open_page("app_pages/convolution.py")
    app.slider(key="convolution_step").set_value(9).run()
    assert arithmetic(app)[0].endswith("= 95")
    output_grid = grids_of(app)["output"]
    assert output_grid["cells"] == [["35", "40", "45"], ["60", "65", "70"], ["85", "90", "95"]]
    assert output_grid["lit"] == [(2, 2)] and (4, 4) in grids_of(app)["input"]["lit"]


def test_convolution_stride_and_padding_change_the_output_size():
    app = open_page("app_pages/convolution.py")
    app.number_input(key="convolution_stride").set_value(2).run()
    assert "Output size: 2×2" in markdown_text(app)
    app.selectbox(key="convolution_padding").select("same").run()
    assert "Output size: 3×3" in markdown_text(app)
    input_grid = grids_of(app)["input"]
    assert len(input_grid["cells"]) == 7  # 5 rows plus one zero row above and below
    assert input_grid["titles"][0][0] == "padding (zero)" and input_grid["titles"][1][1] == "row 1, column 1: 1"
    app.selectbox(key="convolution_padding").select("1").run()
    app.number_input(key="convolution_stride").set_value(1).run()
    assert "Output size: 5×5" in markdown_text(app)
    assert_no_errors(app)


def test_convolution_dilation_spreads_the_window_and_shows_the_formula():
    app = open_page("app_pages/convolution.py")
    app.number_input(key="convolution_grid_size").set_value(7).run()
    app.number_input(key="convolution_dilation").set_value(2).run()
    assert_no_errors(app)
    assert "Output size: 3×3" in markdown_text(app)
    assert "⌊(7 + 2×0 − 2×(3 − 1) − 1) / 1⌋ + 1 = 3" in markdown_text(app)
    assert grids_of(app)["input"]["lit"] == [(row, column) for row in (0, 2, 4) for column in (0, 2, 4)]
    assert arithmetic(app)[0] == "1×1 + 0×3 + 1×5 + 0×15 + 1×17 + 0×19 + 1×29 + 0×31 + 1×33 = 85"
    app.number_input(key="convolution_stride").set_value(2).run()
    assert "set the stride or the dilation back to 1" in app.error[0].value


def test_convolution_bias_is_the_last_term():
    app = open_page("app_pages/convolution.py")
    app.number_input(key="convolution_bias").set_value(-5.0).run()
    assert arithmetic(app)[0].endswith("1×13 + (−5) = 30")
    assert grids_of(app)["kernel"]["caption"] == "kernel, bias −5"


def test_convolution_preset_and_kernel_size_change_the_kernel():
    app = open_page("app_pages/convolution.py")
    app.selectbox(key="convolution_preset").select("Sobel x").run()
    assert app.text_area(key="convolution_kernel").value == "−1 0 1\n−2 0 2\n−1 0 1"
    assert arithmetic(app)[0] == "(−1)×1 + 0×2 + 1×3 + (−2)×6 + 0×7 + 2×8 + (−1)×11 + 0×12 + 1×13 = 8"
    app.number_input(key="convolution_kernel_size").set_value(5).run()
    assert app.selectbox(key="convolution_preset").value == "X kernel"
    assert "Output size: 1×1" in markdown_text(app)
    assert_no_errors(app)


def test_convolution_grid_size_resets_the_input():
    app = open_page("app_pages/convolution.py")
    app.number_input(key="convolution_grid_size").set_value(7).run()
    assert app.text_area(key="convolution_grid").value.splitlines()[-1] == "43 44 45 46 47 48 49"
    assert "Output size: 5×5" in markdown_text(app)


@pytest.mark.parametrize("bad_text", ["1 2 3\n4 five 6\n7 8 9", "", "1 2 nan", "1 2 1e99", "1 2\n3"])
def test_convolution_bad_grid_is_refused_and_the_last_good_grid_stays(bad_text):
    app = open_page("app_pages/convolution.py")
    app.text_area(key="convolution_grid").input("2 2 2 2\n2 2 2 2\n2 2 2 2\n2 2 2 2").run()
    assert arithmetic(app)[0].endswith("= 10")
    app.text_area(key="convolution_grid").input(bad_text).run()
    assert not app.exception
    assert len(app.error) == 1 and "last good input grid" in app.error[0].value
    assert arithmetic(app)[0].endswith("= 10"), "the last good grid is still used"


def test_convolution_kernel_too_big_for_the_grid_is_a_message():
    app = open_page("app_pages/convolution.py")
    app.text_area(key="convolution_grid").input("1 2\n3 4").run()
    assert not app.exception
    assert "does not fit" in app.error[0].value


def test_convolution_play_advances_one_step_per_tick_and_pauses_at_the_end():
    app = open_page("app_pages/convolution.py")
    app.button(key="convolution_play").click().run()
    assert app.slider(key="convolution_step").value == 2
    assert app.button(key="convolution_play").label == "Pause"
    for expected_step in range(3, 10):
        app.run()  # AppTest never fires run_every: each run stands for one tick
        assert app.slider(key="convolution_step").value == expected_step
    app.run()
    assert app.button(key="convolution_play").label == "Play"
    assert app.slider(key="convolution_step").value == 9
    assert_no_errors(app)


def test_convolution_channels_add_three_sums_and_a_bias_into_one_cell():
    app = open_page("app_pages/convolution.py")
    grids, sums = page_pictures(app)
    assert {"input-R", "input-G", "input-B", "kernel-R", "kernel-G", "kernel-B"} <= set(grids)
    assert grids["input-R"]["lit"] == [(row, column) for row in range(3) for column in range(3)]
    assert sums["channels-0"].startswith("R: 1×1 + 0×2 + 1×3")
    assert sums["channels-3"] == "R + G + B + bias: 10 + 0 + 3 + bias 1 = 14"
    app.number_input(key="convolution_channels_bias").set_value(-4.0).run()
    app.slider(key="convolution_channels_step").set_value(4).run()
    assert page_pictures(app)[1]["channels-3"].endswith(
        "+ bias (−4) = " + page_pictures(app)[0]["channels-output"]["cells"][1][1]
    )
    app.number_input(key="convolution_filters").set_value(8).run()
    assert "3×3×3×8 + 8 = 224" in markdown_text(app) and "3×3×3×32 + 32 = 896" in markdown_text(app)
    assert "depth-8" in page_pictures(app)[0]
    assert any(link.proto.page.endswith("layers.py") or "layers" in link.proto.page for link in app.get("page_link"))
    assert_no_errors(app)


def test_convolution_on_a_real_photo_defaults_to_an_edge_kernel_where_relu_matters():
    app = open_page("app_pages/convolution.py")
    assert app.selectbox(key="convolution_photo_kernel").value == "Sobel x"
    assert image_captions(app) == [
        "input, grayscale: 170×256",
        "feature map after ReLU: 168×254 (stretched to black…white, the brightest 0.5% clipped)",
    ]
    app.toggle(key="convolution_relu").set_value(False).run()
    app.selectbox(key="convolution_photo").select("rocket").run()
    app.selectbox(key="convolution_photo_kernel").select("the kernel above").run()
    assert_no_errors(app)


def photo_bytes(height: int = 40, width: int = 60) -> bytes:
    return encode_image(np.random.default_rng(0).integers(0, 255, (height, width, 3), dtype=np.uint8))


def test_convolution_photo_upload_and_a_bad_upload():
    app = open_page("app_pages/convolution.py")
    app.file_uploader(key="convolution_upload").upload("mine.png", photo_bytes(), "image/png").run()
    assert_no_errors(app)
    assert image_captions(app)[0] == "input, grayscale: 40×60"
    app.file_uploader(key="convolution_upload").upload("homework.png", b"not a picture", "image/png").run()
    assert not app.exception
    assert app.error[0].value.startswith("homework.png: showing the sample photo instead.")
    assert image_captions(app)[0] == "input, grayscale: 170×256"


def test_convolution_without_a_trained_model_points_to_train(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path / "runs"))
    app = open_page("app_pages/convolution.py")
    app.selectbox(key="convolution_photo_kernel").select("a filter your model learned").run()
    assert not app.exception and "No trained model yet" in app.info[0].value


def save_tiny_trained_run(runs_dir) -> np.ndarray:
    """Save a one-Conv2D Keras model as a finished run; return its first filter's kernel (3, 3, 3)."""
    import keras

    from cnnviz.runtime import json_files, run_config, runs

    model = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(2, 3), keras.layers.Flatten()])
    config = run_config.RunConfig(
        recipe="tiny",
        dataset="fashion_mnist",
        epochs=1,
        batch_size=1,
        learning_rate=0.001,
        optimizer="adam",
        label="tiny run",
    )
    folder = runs.create_run(config, runs_dir)
    model.save(folder / "model.keras")
    json_files.append_jsonl(folder / "history.jsonl", {"epoch": 1, "loss": 1.0, "accuracy": 0.5})  # one complete epoch
    runs.set_status(folder, runs.RunState.FINISHED, "finished after 1 epoch")
    return keras.ops.convert_to_numpy(model.layers[0].kernel)[..., 0]


def test_convolution_uses_a_filter_the_trained_model_learned(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path / "runs"))
    kernel = save_tiny_trained_run(tmp_path / "runs")
    app = open_page("app_pages/convolution.py", timeout=120)
    app.selectbox(key="convolution_photo_kernel").select("a filter your model learned").run()
    assert_no_errors(app)
    shown = app.code[-1].value.split("\n\n")
    assert len(shown) == 3, "one 3×3 block per input channel"
    assert shown[0] == convolution_text(np.round(kernel[..., 0], 3))
    assert image_captions(app)[0] == "input: 170×256", "an RGB filter runs on the RGB photo"
    assert image_captions(app)[1].startswith("feature map after ReLU: 168×254")
    app.number_input(key="convolution_learned_filter").set_value(2).run()
    assert_no_errors(app)


def convolution_text(values: np.ndarray) -> str:
    from cnnviz.lesson import convolution

    return convolution.format_grid(values)


def test_convolution_settings_survive_a_visit_to_another_page():
    app = open_page("app_pages/convolution.py")
    app.number_input(key="convolution_stride").set_value(2).run()
    app.selectbox(key="convolution_padding").set_value("same").run()
    app.switch_page("app_pages/layers.py")
    app.run()
    app.switch_page("app_pages/convolution.py")
    app.run()
    assert app.number_input(key="convolution_stride").value == 2
    assert app.selectbox(key="convolution_padding").value == "same"


def test_stride_and_dilation_together_are_a_message_and_the_other_lessons_stay():
    app = open_page("app_pages/convolution.py")
    app.number_input(key="convolution_stride").set_value(2).run()
    app.number_input(key="convolution_dilation").set_value(2).run()
    assert not app.exception
    assert app.error and "cannot use stride 2 together with dilation 2" in app.error[0].value
    assert [subheader.value for subheader in app.subheader] == [
        "Channels: one filter spans R, G and B",
        "A kernel on a real photo",
    ]
    assert app.slider(key="convolution_channels_step").value == 1, "the channels lesson still works"


def never_centred_cells(app) -> int:
    """Return how many input cells the step picture dashes as never a window's centre."""
    return sum(markdown.value.count('data-never-centred="1"') for markdown in app.markdown)


def test_convolution_boundary_effect_marks_the_border_and_same_padding_clears_it():
    app = open_page("app_pages/convolution.py")
    assert never_centred_cells(app) == 16, "a 5×5 grid's border: 25 − 3×3 centres, counted by hand"
    assert "16 of 25 cells, dashed, are never a window's centre" in markdown_text(app)
    app.selectbox(key="convolution_padding").select("same").run()
    assert never_centred_cells(app) == 0 and "visit every cell" in markdown_text(app)
    app.selectbox(key="convolution_padding").select("valid").run()
    app.number_input(key="convolution_stride").set_value(2).run()
    # centres at rows and columns 1 and 3 only: 4 of 25 cells, so 21 never; 16 border + 5 inner skipped by the stride
    assert never_centred_cells(app) == 21 and "(5 are skipped by stride 2)" in markdown_text(app)
    assert_no_errors(app)


def test_convolution_link_opens_the_same_step_and_a_bad_one_falls_back():
    app = open_page("app_pages/convolution.py")
    app.text_area(key="convolution_kernel").input("-1 0 1\n-2 0 2\n-1 0 1").run()
    app.selectbox(key="convolution_padding").select("same").run()
    app.number_input(key="convolution_bias").set_value(1.5).run()
    app.slider(key="convolution_step").set_value(7).run()
    link = next(code.value for code in app.code if "?lesson=convolution" in code.value)
    opened = AppTest.from_file(APP, default_timeout=30)
    opened.query_params.update(parse_qsl(urlsplit(link).query))
    opened.run()
    opened.switch_page("app_pages/convolution.py")
    opened.run()
    assert_no_errors(opened)
    assert arithmetic(opened) == arithmetic(app) and grids_of(opened) == grids_of(app)
    assert opened.selectbox(key="convolution_preset").value == "Sobel x", "the preset the kernel is"
    bad = AppTest.from_file(APP, default_timeout=30)
    bad.query_params.update({"lesson": "convolution", "dilation": "2", "kernel": "1 2_3 x"})
    bad.run()
    bad.switch_page("app_pages/convolution.py")
    bad.run()
    assert not bad.exception and len(bad.error) == 1 and "kernel is '1 2_3 x'" in bad.error[0].value
    assert arithmetic(bad)[0].endswith("= 35"), "the defaults: the X kernel on 1..25"
