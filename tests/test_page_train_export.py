"""Train's settings, last row, through AppTest: the recipe's note on its tutorial, the tutorial's 500 + 500 subset,
and the chosen settings as a Keras script before any run."""

import pytest

from cnnviz.data.sources import DatasetSource
from cnnviz.learning import training
from page_sections import train_export
from tests.apptest_helpers import assert_no_errors, open_page


@pytest.fixture
def train_page(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("CNNVIZ_DATASETS_DIR", str(tmp_path / "datasets"))
    monkeypatch.setenv("CNNVIZ_WARM_WORKER", "0")
    return open_page("app_pages/train.py", timeout=120)


def captions(app) -> str:
    return "\n".join(caption.value for caption in app.caption)


def test_before_any_run_the_settings_download_as_a_script_and_the_added_dropout_is_marked(train_page):
    assert_no_errors(train_page)
    assert "No runs yet" in " ".join(info.value for info in train_page.info)
    labels = [str(element.proto.label) for element in train_page.get("download_button")]
    assert labels == ["Settings as a Keras script"], "offered before any run"
    assert "The tutorial's network has no Dropout: dropout1-4 are cnnviz's" in captions(train_page)
    assert "Switch Dropout off to train the network as the tutorial built it" in captions(train_page)
    assert train_page.toggle(key="train_dropout").value is True, "cnnviz's default keeps its Dropout"


def test_malaria_offers_the_tutorials_500_plus_500_images(train_page):
    train_page.selectbox(key="train_recipe").select("malaria_batchnorm").run()
    assert train_page.number_input(key="train_limit").value == 0, "all images unless asked"
    train_page.button(key="train_tutorial_subset").click().run()
    assert_no_errors(train_page)
    assert not train_page.warning, [warning.value for warning in train_page.warning]
    assert train_page.number_input(key="train_limit").value == 1000
    assert [button.label for button in train_page.button if button.key == "train_tutorial_subset"] == [
        "The tutorial's 500 + 500 images"
    ]
    assert "resized to 64×64×3, so the count stays 4,340,130" in captions(train_page)


def test_a_pretrained_recipe_says_why_it_has_no_script(train_page):
    train_page.selectbox(key="train_recipe").select("vgg16_fine_tune").run()
    assert_no_errors(train_page)
    assert "VGG16's pretrained base, which the plain-script export does not write yet" in captions(train_page)
    assert "100 epochs at 1e-5 with only block5_conv1" in captions(train_page), "the tutorial's schedule, one line"


def test_the_script_of_settings_is_the_export_or_says_why_not(tmp_path):
    settings = {"epochs": 2, "limit": 1000}
    text = train_export.script_text(lambda: training.default_config("malaria_batchnorm", "lfw_faces", **settings))
    assert "INPUT_SHAPE = (64, 64, 3)" in text and "LIMIT = 1000" in text and "EPOCHS = 2" in text
    missing = DatasetSource.folder(tmp_path / "nowhere")
    text = train_export.script_text(lambda: training.default_config("malaria_batchnorm", missing))
    assert text.startswith('"""cnnviz could not write this script: There is no folder at')
    compile(text, "settings.py", "exec")  # still a Python file a student can open


def test_malaria_takes_another_input_side_only_when_asked(train_page):
    assert not [box for box in train_page.number_input if box.key == "train_input_size"], "only where data is resized"
    train_page.selectbox(key="train_recipe").select("malaria_batchnorm").run()
    box = train_page.number_input(key="train_input_size")
    assert box.label == "Input side (0 = 64)" and box.value == 0
    text = train_export.script_text(lambda: training.default_config("malaria_batchnorm", "lfw_faces", input_size=32))
    assert "INPUT_SHAPE = (32, 32, 3)" in text
