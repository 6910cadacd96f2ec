"""The Layers and Datasets pages through AppTest."""

import io
import re
import subprocess
import sys
import zipfile

import pytest
from PIL import Image

from cnnviz.learning import recipes
from cnnviz.lesson import architecture
from tests.apptest_helpers import APP, ROOT, assert_no_errors, open_page

EXPECTED_TOTALS = {
    "catsdogs_baseline": "3,453,121",
    "fashion_separable": "265,290",
    "malaria_batchnorm": "4,340,130",
    "vgg16_frozen_augment": "16,812,353",
}


@pytest.fixture(scope="module")
def layers_page():
    return open_page("app_pages/layers.py", timeout=120)


def text_of(app) -> str:
    return "\n".join(markdown.value for markdown in app.markdown)


def shapes_diagram(app) -> str:
    """Return the shapes diagram's SVG."""
    (svg,) = [markdown.value for markdown in app.markdown if 'data-grid="shapes"' in markdown.value]
    return svg


@pytest.mark.parametrize("name", list(EXPECTED_TOTALS))
def test_layers_table_is_whole_and_totals_equal_keras(layers_page, name):
    layers_page.selectbox(key="layers_recipe").select(recipes.RECIPES[name].title).run()
    assert_no_errors(layers_page)
    assert f"**Total: {EXPECTED_TOTALS[name]} parameters**" in text_of(layers_page)
    assert "the same as Keras's own" in text_of(layers_page)
    table = layers_page.table[0].value
    assert table["count"].sum() == int(EXPECTED_TOTALS[name].replace(",", ""))
    assert list(table["layer"]) == [row.layer for row in architecture.recipe_table(name).rows], "every layer"
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
    assert "3×3×3×32 + 32 = 896" in text_of(layers_page)
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


def test_datasets_page_shows_fashion_mnist_counts_by_default():
    app = open_page("app_pages/datasets.py", timeout=120)
    assert_no_errors(app)
    counts = app.dataframe[0].value
    assert counts.loc["total"].tolist() == [55_000, 5_000, 10_000]
    images = app.get("image")
    assert len(images) == 10, "one column of samples per class"
    assert sum(len(element.proto.imgs) for element in images) == 40, "4 samples of each of the 10 classes"
    assert [caption.value for caption in app.caption][1:3] == ["T-shirt/top", "Trouser"]


def zip_of_classes(classes=("cats", "dogs"), per_class=5, extra=None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, name in enumerate(classes):
            for i in range(per_class):
                image = io.BytesIO()
                Image.new("RGB", (30, 20), (index * 100, 0, 0)).save(image, format="PNG")
                archive.writestr(f"upload/{name}/{i}.png", image.getvalue())
        for name, data in (extra or {}).items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def datasets_page(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATASETS_DIR", str(tmp_path / "owned"))
    app = open_page("app_pages/datasets.py", timeout=120)
    app.selectbox(key="datasets_source").select("Zip upload").run()
    return app


def test_datasets_zip_upload_is_counted_with_skipped_files(datasets_page):
    data = zip_of_classes(extra={"upload/cats/readme.txt": b"hello"})
    datasets_page.file_uploader(key="datasets_zip").upload("pets.zip", data, "application/zip").run()
    assert_no_errors(datasets_page)
    counts = datasets_page.dataframe[0].value
    assert counts.loc["total"].sum() == 10
    assert "1 file(s) skipped" in datasets_page.expander[0].label


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (zip_of_classes(classes=("cats",)), "Only one class"),
        (zip_of_classes(extra={"../escape.png": b"x"}), "points outside"),
        (b"definitely not a zip", "not a zip"),
    ],
)
def test_datasets_bad_zip_is_a_message(datasets_page, data, message):
    datasets_page.file_uploader(key="datasets_zip").upload("bad.zip", data, "application/zip").run()
    assert not datasets_page.exception
    assert message in datasets_page.error[0].value


def test_datasets_folder_source_is_hidden_when_server_paths_are_off(monkeypatch):
    monkeypatch.setenv("CNNVIZ_ALLOW_SERVER_PATHS", "0")
    app = open_page("app_pages/datasets.py", timeout=120)
    options = app.selectbox(key="datasets_source").options
    assert "Folder on this server" not in options and "Zip upload" in options


def test_datasets_missing_folder_and_tfds_are_messages(tmp_path):
    app = open_page("app_pages/datasets.py", timeout=120)
    app.selectbox(key="datasets_source").select("Folder on this server").run()
    app.text_input(key="datasets_path").input(str(tmp_path / "nothing here")).run()
    assert "There is no folder" in app.error[0].value
    app.selectbox(key="datasets_source").select("tensorflow-datasets").run()
    app.button(key="datasets_tfds_load").click().run()
    assert not app.exception and "tensorflow-datasets" in app.error[0].value
