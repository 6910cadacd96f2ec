"""The Layers page through AppTest: its tables equal Keras's counts, its diagram, and no Keras imported."""

import re
import subprocess
import sys

import pytest

from cnnviz.learning import recipes
from cnnviz.lesson import architecture
from tests.apptest_helpers import APP, assert_no_errors, markdown_text, open_page
from tests.helpers import ROOT

EXPECTED_TOTALS = {
    "catsdogs_baseline": "3,453,121",
    "fashion_separable": "265,290",
    "malaria_batchnorm": "4,340,130",
    "vgg16_frozen_augment": "16,812,353",
}


@pytest.fixture(scope="module")
def layers_page():
    return open_page("app_pages/layers.py", timeout=120)


def shapes_diagram(app) -> str:
    """Return the shapes diagram's SVG."""
    (svg,) = [markdown.value for markdown in app.markdown if 'data-grid="shapes"' in markdown.value]
    return svg


@pytest.mark.parametrize("name", list(EXPECTED_TOTALS))
def test_layers_table_is_whole_and_totals_equal_keras(layers_page, name):
    layers_page.selectbox(key="layers_recipe").select(recipes.RECIPES[name].title).run()
    assert_no_errors(layers_page)
    assert f"**Total: {EXPECTED_TOTALS[name]} parameters**" in markdown_text(layers_page)
    assert "the same as Keras's own" in markdown_text(layers_page)
    table = layers_page.table[0].value
    assert table["count"].sum() == int(EXPECTED_TOTALS[name].replace(",", ""))
    rows = architecture.recipe_table(name).rows
    assert [layer.removesuffix(" (cnnviz's)") for layer in table["layer"]] == [row.layer for row in rows], "every layer"
    assert (table["layer"].iloc[-1], table["type"].iloc[-1]) == ("prediction", "Dense"), "down to the last Dense"


def test_layers_diagram_has_one_box_per_layer_from_input_to_output(layers_page):
    layers_page.selectbox(key="layers_recipe").select(recipes.RECIPES["catsdogs_baseline"].title).run()
    layers = list(layers_page.table[0].value["layer"])
    svg = shapes_diagram(layers_page)
    assert re.findall(r'data-layer="([^"]+)"', svg) == ["input", *layers]
    shapes = re.findall(r'data-shape="([^"]+)"', svg)
    assert shapes[:4] == ["150×150×3", "150×150×3", "148×148×32", "74×74×32"] and shapes[-1] == "1"


def test_layers_diagram_groups_vgg16_into_its_blocks(layers_page):
    layers_page.selectbox(key="layers_recipe").select(recipes.RECIPES["vgg16_frozen_augment"].title).run()
    boxes = re.findall(r'data-layer="([^"]+)"', shapes_diagram(layers_page))
    blocks = [f"vgg16 block{number}" for number in range(1, 6)]
    assert boxes == ["input", "augmentation", *blocks, "flatten", "dense", "prediction"]


def test_layers_formulas_for_separable_and_batchnorm(layers_page):
    layers_page.selectbox(key="layers_recipe").select(recipes.RECIPES["fashion_separable"].title).run()
    formulas = list(layers_page.table[0].value["parameters"])
    assert "3×3×32 + 32×32 + 32 = 1,344" in formulas and "3×3×1×32 + 32 = 320" in formulas
    layers_page.selectbox(key="layers_recipe").select(recipes.RECIPES["malaria_batchnorm"].title).run()
    formulas = list(layers_page.table[0].value["parameters"])
    assert "4×32 = 128, of which 64 not trainable (moving mean and variance)" in formulas


def test_layers_links_to_the_channels_view_and_ends_with_the_next_step(layers_page):
    assert "3×3×3×32 + 32 = 896" in markdown_text(layers_page)
    links = [(link.proto.page, link.proto.label) for link in layers_page.get("page_link")]
    assert links[0][0] == "convolution" and links[-1] == ("augmentation", "Next: augmentation")


def test_layers_standard_vs_separable_and_weight_sharing(layers_page):
    layers_page.number_input(key="layers_filters").set_value(64).run()
    codes = [code.value for code in layers_page.code]
    assert codes == ["3×3×32×64 + 64 = 18,496", "3×3×32 + 32×64 + 64 = 2,400"]
    sharing = layers_page.table[1].value
    assert list(sharing["weights"]) == ["1,000,000,000,000 (10^12)", "100,000,000 (10^8)", "100 (10^2)"]


LAYERS_WITHOUT_KERAS = """
import sys
from streamlit.testing.v1 import AppTest
app = AppTest.from_file({app!r}, default_timeout=60)
app.run()
app.switch_page("app_pages/layers.py")
app.run()
assert not app.exception, app.exception
assert app.table, "the layer table is shown"
print("HEAVY", sorted(name for name in ("tensorflow", "keras", "jax", "torch") if name in sys.modules))
"""


def test_layers_page_shows_its_tables_without_importing_keras():
    # A fresh interpreter: this test process has imported Keras already. Importing it kept a first visit blank 2.4 s.
    script = LAYERS_WITHOUT_KERAS.format(app=APP)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout


def test_the_separable_net_marks_cnnviz_dropout_and_is_one_switch_from_the_tutorials(layers_page):
    layers_page.selectbox(key="layers_recipe").select(recipes.RECIPES["fashion_separable"].title).run()
    marked = [layer for layer in layers_page.table[0].value["layer"] if "cnnviz" in layer]
    assert marked == [f"dropout{number} (cnnviz's)" for number in range(1, 5)]
    assert "The tutorial's network has no Dropout" in markdown_text(layers_page)
    layers_page.toggle(key="layers_as_tutorial").set_value(True).run()
    assert_no_errors(layers_page)
    table = layers_page.table[0].value
    assert "Dropout" not in list(table["type"]) and table["count"].sum() == 265_290
    assert "**Total: 265,290 parameters**" in markdown_text(layers_page), "the tutorial's own count"
    layers_page.toggle(key="layers_as_tutorial").set_value(False).run()
    layers_page.selectbox(key="layers_recipe").select(recipes.RECIPES["catsdogs_baseline"].title).run()
    assert not [toggle for toggle in layers_page.toggle if toggle.key == "layers_as_tutorial"], "nothing to switch"


def test_the_fine_tuning_note_says_where_the_tutorial_differs_from_the_book(layers_page):
    layers_page.selectbox(key="layers_recipe").select(recipes.RECIPES["vgg16_fine_tune"].title).run()
    text = markdown_text(layers_page)
    assert "100 epochs at 1e-5 with only block5_conv1" in text and "unfreezes block5_conv1..3" in text


def test_batchnorm_flatten_and_segmentation_lines_with_their_picture(layers_page):
    layers_page.selectbox(key="layers_recipe").select(recipes.RECIPES["malaria_batchnorm"].title).run()
    text = markdown_text(layers_page)
    assert "**BatchNormalization** (batchnorm1) rescales each of its 32 channels" in text
    assert "2 × 32 = 64 trainable. The other 64 are the moving mean and variance" in text
    assert "**Flatten** (flatten) lays the 16×16×32 feature maps out as one row of 16×16×32 = 8,192 numbers" in text
    assert "4,194,816 of the network's 4,340,130 parameters, 97%" in text
    assert "give every pixel its own class (segmentation" in text
    pictures = [markdown.value for markdown in layers_page.markdown]
    (picture,) = [svg for svg in pictures if 'data-grid="fully-convolutional"' in svg]
    assert re.findall(r'data-row="([^"]+)"', picture) == ["cnn", "fcn"]
