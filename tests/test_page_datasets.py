"""The Datasets page through AppTest: Fashion-MNIST's counts, zip uploads good and bad, folder and tfds messages."""

import io
import zipfile

import pytest
from PIL import Image

from cnnviz.data import tfds_sets
from tests.apptest_helpers import assert_no_errors, open_page
from tests.helpers import encode_image


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
                picture = Image.new("RGB", (30, 20), (index * 100, 0, 0))
                archive.writestr(f"upload/{name}/{i}.png", encode_image(picture))
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


def test_datasets_missing_folder_and_tfds_are_messages(tmp_path, monkeypatch):
    # Offline, a real tfds.load retries its download for 3.5 minutes (urllib3's backoff, seen here) before it
    # raises ConnectionError. cnnviz refuses at once when the internet cannot be reached (test_tfds_selection); a
    # load that fails anyway, past that check, must still be a message: here it fails the same way at once.
    import tensorflow_datasets as tfds

    def offline(*_, **__):
        raise ConnectionError("Failed to resolve 'download.microsoft.com' (simulated: offline)")

    monkeypatch.setattr(tfds_sets, "can_reach_internet", lambda: True)
    monkeypatch.setattr(tfds, "load", offline)
    app = open_page("app_pages/datasets.py", timeout=120)
    app.selectbox(key="datasets_source").select("Folder on this server").run()
    app.text_input(key="datasets_path").input(str(tmp_path / "nothing here")).run()
    assert "There is no folder" in app.error[0].value
    app.selectbox(key="datasets_source").select("tensorflow-datasets").run()
    app.button(key="datasets_tfds_load").click().run()
    assert not app.exception and "tensorflow-datasets could not load cats_vs_dogs" in app.error[0].value
    assert "folder or zip upload" in app.error[0].value
