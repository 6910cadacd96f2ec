"""Every page through AppTest, started from app.py; widget tests on Convolution and Pooling."""

import subprocess
import sys

import pytest

from tests.apptest_helpers import ROOT, assert_no_errors, open_page, page_grids

PAGES = ["app_pages/convolution.py", "app_pages/pooling.py"]


@pytest.mark.parametrize("page", [None, *PAGES])
def test_every_page_runs_without_exception(page):
    app = open_page(page)
    assert_no_errors(app)
    assert app.title, "every page starts with a title"


def test_home_shows_device_and_versions():
    app = open_page()
    text = " ".join(markdown.value for markdown in app.markdown)
    assert "Device:" in text and "CPU" in text
    assert any("keras" in str(table.value) for table in app.table)


def arithmetic(app) -> list[str]:
    return [code.value for code in app.code]


def image_captions(app) -> list[str]:
    return [caption for image in app.get("image") for caption in image.captions]


def markdown_text(app) -> str:
    return "\n".join(markdown.value for markdown in app.markdown)


def test_convolution_defaults_show_the_tutorial_first_step():
    app = open_page("app_pages/convolution.py")
    assert arithmetic(app) == ["1×1 + 0×2 + 1×3 + 0×6 + 1×7 + 0×8 + 1×11 + 0×12 + 1×13 = 35"]
    assert "**Output size: 3×3**" in markdown_text(app)
    assert any("⌊(5 − 3) / 1⌋ + 1 = 3" in caption.value for caption in app.caption)
    input_grid, kernel_grid, output_grid = page_grids(app)
    assert input_grid["cells"][0] == ["1", "2", "3", "4", "5"]
    assert input_grid["lit"] == [(0, 0), (0, 1), (0, 2), (1, 0), (1, 2), (2, 0), (2, 1), (2, 2)]  # the 3×3 edge
    assert kernel_grid["cells"] == [["1", "0", "1"], ["0", "1", "0"], ["1", "0", "1"]]
    assert output_grid["cells"] == [["35", "", ""], ["", "", ""], ["", "", ""]]
    assert output_grid["lit"] == [(0, 0)] and output_grid["titles"][0][0] == "row 1, column 1: 35"


def test_convolution_last_step_fills_the_whole_output():
    app = open_page("app_pages/convolution.py")
    app.slider(key="convolution_step").set_value(9).run()
    assert arithmetic(app)[0].endswith("= 95")
    output_grid = page_grids(app)[2]
    assert output_grid["cells"] == [["35", "40", "45"], ["60", "65", "70"], ["85", "90", "95"]]
    assert output_grid["lit"] == [(2, 2)] and (4, 4) in page_grids(app)[0]["lit"]


def test_convolution_stride_and_padding_change_the_output_size():
    app = open_page("app_pages/convolution.py")
    app.number_input(key="convolution_stride").set_value(2).run()
    assert "**Output size: 2×2**" in markdown_text(app)
    app.selectbox(key="convolution_padding").select("same").run()
    assert "**Output size: 3×3**" in markdown_text(app)
    input_grid = page_grids(app)[0]
    assert len(input_grid["cells"]) == 7  # 5 rows plus one zero row above and below
    assert input_grid["titles"][0][0] == "padding (zero)" and input_grid["titles"][1][1] == "row 1, column 1: 1"
    app.selectbox(key="convolution_padding").select("1").run()
    app.number_input(key="convolution_stride").set_value(1).run()
    assert "**Output size: 5×5**" in markdown_text(app)
    assert_no_errors(app)


def test_convolution_preset_and_kernel_size_change_the_kernel():
    app = open_page("app_pages/convolution.py")
    app.selectbox(key="convolution_preset").select("Sobel x").run()
    assert app.text_area(key="convolution_kernel").value == "−1 0 1\n−2 0 2\n−1 0 1"
    assert arithmetic(app)[0] == "(−1)×1 + 0×2 + 1×3 + (−2)×6 + 0×7 + 2×8 + (−1)×11 + 0×12 + 1×13 = 8"
    app.number_input(key="convolution_kernel_size").set_value(5).run()
    assert app.selectbox(key="convolution_preset").value == "X kernel"
    assert "**Output size: 1×1**" in markdown_text(app)
    assert_no_errors(app)


def test_convolution_grid_size_resets_the_input():
    app = open_page("app_pages/convolution.py")
    app.number_input(key="convolution_grid_size").set_value(7).run()
    assert app.text_area(key="convolution_grid").value.splitlines()[-1] == "43 44 45 46 47 48 49"
    assert "**Output size: 5×5**" in markdown_text(app)


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
    assert app.button(key="convolution_play").label == "⏸ Pause"
    for expected_step in range(3, 10):
        app.run()  # AppTest never fires run_every: each run stands for one tick
        assert app.slider(key="convolution_step").value == expected_step
    app.run()
    assert app.button(key="convolution_play").label == "▶ Play"
    assert app.slider(key="convolution_step").value == 9
    assert_no_errors(app)


def test_convolution_on_a_real_photo_with_and_without_relu():
    app = open_page("app_pages/convolution.py")
    app.selectbox(key="convolution_preset").select("Sobel x").run()
    assert image_captions(app) == [
        "input, grayscale: 170×256",
        "feature map after ReLU: 168×254 (stretched to black…white)",
    ]
    app.toggle(key="convolution_relu").set_value(False).run()
    app.selectbox(key="convolution_photo").select("rocket").run()
    assert_no_errors(app)


def test_pooling_defaults_show_max_and_average_side_by_side():
    app = open_page("app_pages/pooling.py")
    assert arithmetic(app) == ["max(1, 3, 5, 6) = 6", "(1 + 3 + 5 + 6) / 4 = 3.75"]
    assert "no parameters to learn" in markdown_text(app)
    max_input, max_output, average_input, average_output = page_grids(app)
    assert max_input["lit"] == average_input["lit"] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert max_output["cells"][0][0] == "6" and average_output["cells"][0][0] == "3.75"


def test_pooling_size_stride_and_step():
    app = open_page("app_pages/pooling.py")
    app.number_input(key="pooling_size").set_value(3).run()
    app.number_input(key="pooling_stride").set_value(1).run()
    assert "**Output size: 2×2**" in markdown_text(app)
    app.slider(key="pooling_step").set_value(4).run()
    assert arithmetic(app) == ["max(6, 1, 7, 2, 8, 0, 1, 4, 6) = 8", "(6 + 1 + 7 + 2 + 8 + 0 + 1 + 4 + 6) / 9 = 3.889"]
    assert_no_errors(app)


def test_pooling_bad_grid_and_too_big_window_are_messages():
    app = open_page("app_pages/pooling.py")
    app.text_area(key="pooling_grid").input("1 2\n3 x").run()
    assert "last good feature map" in app.error[0].value
    assert arithmetic(app)[0] == "max(1, 3, 5, 6) = 6"
    app.text_area(key="pooling_grid").input("1 2\n3 4").run()
    app.number_input(key="pooling_size").set_value(3).run()
    assert not app.exception and "does not fit" in app.error[0].value


def test_pooling_real_feature_map_halves_26_to_13():
    app = open_page("app_pages/pooling.py")
    captions = image_captions(app)
    assert "feature map: 26×26" in captions
    assert "max pooled: 13×13" in captions and "average pooled: 13×13" in captions


MECHANICS_CHECK = """
import sys, time
from streamlit.testing.v1 import AppTest
app = AppTest.from_file({app!r}, default_timeout=30)
app.run()
app.switch_page({page!r})
app.run()
assert not app.exception, app.exception
heavy = sorted(name for name in ("tensorflow", "keras", "jax", "torch") if name in sys.modules)
print("HEAVY", heavy)
import gc
print("FROZEN", gc.get_freeze_count())
"""


@pytest.mark.parametrize("page", PAGES)
def test_mechanics_pages_do_not_import_tensorflow_or_keras(page):
    # A fresh interpreter: this test process has imported Keras for the parity tests already.
    script = MECHANICS_CHECK.format(app=str(ROOT / "app.py"), page=page)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout
    assert "FROZEN 0" in result.stdout  # nothing to freeze until Keras is imported


def test_the_run_that_imports_keras_freezes_the_startup_objects():
    # Streamlit calls keras.backend.clear_session(), and with it gc.collect(), after every script run once
    # Keras is loaded; app.py freezes the objects alive then, so that collection stays cheap for a class.
    script = MECHANICS_CHECK.format(app=str(ROOT / "app.py"), page="app_pages/augmentation.py")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "'keras'" in result.stdout.split("HEAVY", 1)[1].splitlines()[0]
    frozen = int(result.stdout.split("FROZEN", 1)[1].split()[0])
    assert frozen > 100_000  # TensorFlow and Keras alone leave some 400,000 objects


def test_the_server_config_turns_source_watching_off():
    # The watcher walked every module in sys.modules after each script run: a quarter of the server's CPU.
    config = (ROOT / ".streamlit" / "config.toml").read_text()  # no tomllib: Python 3.10 is supported
    assert '\nfileWatcherType = "none"\n' in config.split("[server]", 1)[1].split("\n[", 1)[0]


def test_importing_cnnviz_never_imports_streamlit():
    script = (
        "import importlib, pkgutil, sys, cnnviz\n"
        "for module in pkgutil.iter_modules(cnnviz.__path__):\n"
        "    importlib.import_module(f'cnnviz.{module.name}')\n"
        "print('STREAMLIT', 'streamlit' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "STREAMLIT False" in result.stdout
