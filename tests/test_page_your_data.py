"""Your data through AppTest: making a dataset, the camera and uploads, every bad input's message, and Train."""

import pytest
from PIL import Image
from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager

from benchmarks.own_photos_training import shots_of
from cnnviz.data import images, own_photos
from tests.apptest_helpers import assert_no_errors, markdown_text, open_page
from tests.helpers import encode_image


@pytest.fixture(autouse=True)
def stores(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATASETS_DIR", str(tmp_path / "datasets"))
    monkeypatch.setenv("CNNVIZ_RUNS_DIR", str(tmp_path / "runs"))
    monkeypatch.setenv("CNNVIZ_PRELOAD_KERAS", "0")


def shots(sample: str, count: int, seed: int = 0) -> list[tuple[str, bytes]]:
    return shots_of(images.load_sample_photo(sample), count, seed)


def make(title: str = "Kitchen things", classes: str = "cup\nphone"):
    app = open_page("app_pages/your_data.py")
    app.text_input(key="your_data_title").input(title)
    app.text_area(key="your_data_classes").input(classes)
    return app.button(key="your_data_make").click().run()


def class_lines(app) -> list[str]:
    return [line for line in markdown_text(app).splitlines() if line.startswith("**")]


def upload(app, files: list[tuple[str, bytes]]):
    key = f"your_data_upload_{app.session_state['your_data_upload_number']}"
    uploader = app.file_uploader(key=key)
    for name, data in files:
        uploader.upload(name, data, "image/jpeg")
    return app.run()


@pytest.mark.parametrize(
    ("title", "classes", "message"),
    [
        ("cups", "cup", "You gave only one class (cup): a classifier tells at least 2 apart. Add another class"),
        ("cups", "cup\nCUP", "Two classes are called 'CUP' and 'cup': every class needs its own name. Rename one."),
        ("cups", "cup\n../../etc/passwd", "looks like a path or holds signs a class name cannot"),
        ("", "cup\nphone", "Give the dataset a name (like kitchen things), then make it."),
    ],
)
def test_bad_names_say_what_to_do_and_make_nothing(title, classes, message, tmp_path):
    app = make(title, classes)
    assert not app.exception
    assert message in app.error[0].value
    assert app.button(key="your_data_make")  # the form stays, with what was typed
    assert app.text_area(key="your_data_classes").value == classes
    assert not (tmp_path / "datasets" / "own").is_dir() or not any((tmp_path / "datasets" / "own").iterdir())


def test_camera_shots_and_uploads_fill_the_classes_and_train_opens_on_them(tmp_path):
    app = make()
    assert_no_errors(app)
    assert "### Kitchen things: cup, phone" in markdown_text(app)
    assert own_photos.CAMERA_HELP in [caption.value for caption in app.caption]  # a refused camera: what to do
    for number, (name, data) in enumerate(shots("coffee", 5)):
        app.camera_input(key=f"your_data_camera_{number}").upload(name, data).run()
        app.run()  # a rerun sees the same shot: it is saved once
        assert [camera.key for camera in app.camera_input] == [f"your_data_camera_{number + 1}"], "a live camera again"
    assert class_lines(app)[0] == "**cup** · 5 photos (4 to train on, 1 to validate with)"
    assert "phone has 0, add 5 more" in app.info[0].value and app.button(key="your_data_train").disabled
    app.radio(key="your_data_class").set_value("phone").run()
    upload(app, shots("cat (chelsea)", 4))
    assert class_lines(app)[1] == "**phone** · 4 photos (3 to train on, 1 to validate with; add 1 more)"
    assert app.file_uploader(key="your_data_upload_1").value == []  # emptied once saved
    upload(app, shots("cat (chelsea)", 1, seed=3))
    assert_no_errors(app)
    assert not app.button(key="your_data_train").disabled
    app.button(key="your_data_train").click().run()
    train = app.selectbox(key="train_dataset")
    assert train.value == "your photos: Kitchen things (cup, phone)"
    assert app.selectbox(key="train_recipe").value == "own_photos_small"
    assert (app.toggle(key="train_dropout").value, app.toggle(key="train_augment").value) == (False, False)
    assert app.number_input(key="train_epochs").value == 40
    assert not app.button(key="train_experiment_start").disabled


def test_an_unreadable_or_enormous_upload_is_said_and_nothing_saved_is_lost():
    app = make()
    upload(app, shots("coffee", 2))
    huge = encode_image(Image.linear_gradient("L").resize((8660, 5773)), "JPEG")  # 50 megapixels
    good = encode_image(images.load_sample_photo("coffee"))
    upload(app, [("report.jpg", b"%PDF-1.7 a renamed PDF"), ("big.jpg", huge), ("ok.png", good)])
    assert not app.exception
    warnings = [warning.value for warning in app.warning]
    assert warnings[0].startswith("report.jpg: This file is not an image cnnviz can read")
    assert warnings[1].startswith("big.jpg: The photo is too large: 8,660×5,773 pixels (50 megapixels)")
    assert "Resize it below 40 megapixels" in warnings[1]
    assert class_lines(app)[0].startswith("**cup** · 3 photos")  # the two before, and the good one of the three
    app.run()
    assert not app.warning  # said once


def test_deleting_a_photo_keeps_the_others():
    app = make()
    upload(app, shots("coffee", 3))
    delete_buttons = [button for button in app.button if button.key.startswith("your_data_delete_0_")]
    assert len(delete_buttons) == 3
    delete_buttons[0].click().run()
    assert class_lines(app)[0].startswith("**cup** · 2 photos")
    assert len([button for button in app.button if button.key.startswith("your_data_delete_0_")]) == 2


def test_a_reload_opens_the_dataset_from_its_link_and_a_wrong_key_opens_nothing():
    app = make()
    upload(app, shots("coffee", 2))
    link = dict(app.query_params)
    assert link["your_data"] == "kitchen-things" and len(link["your_data_key"]) == 16
    reloaded = open_page()  # a new session, as after a reload or a server restart, on the same link
    reloaded.query_params.update(link)
    reloaded.switch_page("app_pages/your_data.py").run()
    assert_no_errors(reloaded)
    assert class_lines(reloaded)[0].startswith("**cup** · 2 photos")
    stranger = open_page()
    stranger.query_params.update({"your_data": "kitchen-things", "your_data_key": "0" * 16})
    stranger.switch_page("app_pages/your_data.py").run()
    assert "is not on this server, or the link is incomplete. Make a new dataset below" in stranger.warning[0].value
    assert stranger.button(key="your_data_make") and not class_lines(stranger)
    same_name = make()  # another student, the same name: a folder of their own
    assert dict(same_name.query_params)["your_data"] == "kitchen-things-2"
    assert class_lines(same_name)[0] == "**cup** · 0 photos (no photos yet; add 5 more)"


def test_saved_uploads_are_released_from_the_servers_memory(monkeypatch):
    released = []
    original = MemoryUploadedFileManager.remove_file

    def remove_file(self, session_id, file_id):
        released.append(file_id)
        original(self, session_id, file_id)

    monkeypatch.setattr(MemoryUploadedFileManager, "remove_file", remove_file)
    app = make()
    upload(app, shots("coffee", 3))
    assert len(released) == 3 and len(set(released)) == 3
    # A camera shot too: once saved, a new camera replaces the one that showed it.
    app.camera_input(key="your_data_camera_0").upload(*shots("coffee", 1, seed=7)[0]).run()
    assert len(released) == 4 and class_lines(app)[0].startswith("**cup** · 4 photos")


def test_train_keeps_the_dataset_chosen_while_photos_are_added():
    app = make()
    upload(app, shots("coffee", 5))
    app.radio(key="your_data_class").set_value("phone").run()
    upload(app, shots("cat (chelsea)", 5))
    app.button(key="your_data_train").click().run()
    chosen = app.selectbox(key="train_dataset").value
    app.switch_page("app_pages/your_data.py").run()
    upload(app, shots("cat (chelsea)", 2, seed=4))  # two more photos, then back to Train by the sidebar
    app.switch_page("app_pages/train.py").run()
    assert_no_errors(app)
    assert app.selectbox(key="train_dataset").value == chosen == "your photos: Kitchen things (cup, phone)"
