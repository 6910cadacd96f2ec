"""The Augmentation page through AppTest: defaults, sliders, seeds, uploads good and bad."""

from urllib.parse import parse_qsl, urlsplit

import numpy as np
import pytest

from tests.apptest_helpers import assert_no_errors, image_captions, open_page
from tests.helpers import encode_image

PAGE = "app_pages/augmentation.py"


@pytest.fixture(scope="module")
def page():
    """One AppTest of the page (importing Keras once), reused with fresh settings per test."""
    return open_page(PAGE, timeout=120)


def code_blocks(page) -> list[str]:
    """Return the page's code blocks but the Copy link one (the address is a code block too)."""
    return [code.value for code in page.code if "?lesson=" not in code.value]


def link_of(page) -> str:
    """Return the address Copy link shows."""
    return next(code.value for code in page.code if "?lesson=" in code.value)


def grey_png(width: int, height: int) -> bytes:
    return encode_image(np.full((height, width, 3), 200, dtype=np.uint8))


def test_defaults_show_the_original_and_eight_copies_with_parameters(page):
    assert_no_errors(page)
    shown = image_captions(page)
    assert shown[0] == "original: 451×300" and len(shown) == 9
    assert all("θ" in caption and "zoom" in caption for caption in shown[1:])
    assert any("0.2 degrees" in info.value for info in page.info), "the shear surprise is pointed out"
    legacy_code, layers_code = code_blocks(page)
    assert "rotation_range=40" in legacy_code and "horizontal_flip=True" in legacy_code
    assert "RandomRotation" in layers_code


def test_sliders_change_the_copies_and_the_code(page):
    page.slider(key="augmentation_count").set_value(4).run()
    page.slider(key="augmentation_shear").set_value(20.0).run()
    page.slider(key="augmentation_rotation").set_value(0).run()
    assert len(image_captions(page)) == 5
    assert all(caption.startswith("θ +0.0°") for caption in image_captions(page)[1:])
    assert not page.info, "no shear warning at 20 degrees"
    assert "shear_range=20.0" in code_blocks(page)[0] and "rotation_range" not in code_blocks(page)[0]
    page.checkbox(key="augmentation_use_brightness").check().run()
    assert all("brightness ×" in caption for caption in image_captions(page)[1:])
    page.selectbox(key="augmentation_fill_mode").select("constant").run()
    page.slider(key="augmentation_cval").set_value(255).run()
    assert "fill_mode='constant'" in code_blocks(page)[0] and "cval=255.0" in code_blocks(page)[0]
    assert_no_errors(page)


def test_fixed_seed_repeats_and_new_samples_changes(page):
    page.checkbox(key="augmentation_fixed").check().run()
    first = image_captions(page)
    page.run()
    assert image_captions(page) == first, "a fixed seed draws the same copies"
    page.checkbox(key="augmentation_fixed").uncheck().run()
    before = image_captions(page)
    page.button(key="augmentation_new").click().run()
    assert image_captions(page) != before, "New samples draws new parameters"


def test_an_uploaded_image_is_used(page):
    page.file_uploader(key="augmentation_upload").upload("square.png", grey_png(64, 48), "image/png").run()
    assert_no_errors(page)
    assert image_captions(page)[0] == "original: 64×48"


def test_a_reduced_upload_says_both_sizes(page):
    page.file_uploader(key="augmentation_upload").upload("big.png", grey_png(1200, 900), "image/png").run()
    assert_no_errors(page)
    assert image_captions(page)[0] == "your photo: 1,200×900, shown at 400×300"


@pytest.mark.parametrize(
    ("name", "content"),
    [("empty.png", b""), ("notes.png", b"just some text\n" * 20), ("half.png", grey_png(300, 200)[:300])],
)
def test_a_bad_upload_is_a_message_and_the_sample_photo_stays(name, content):
    app = open_page(PAGE, timeout=120)
    app.file_uploader(key="augmentation_upload").upload(name, content, "image/png").run()
    assert not app.exception
    assert (
        len(app.error) == 1 and name in app.error[0].value and "Showing the sample photo instead" in app.error[0].value
    )
    assert image_captions(app)[0] == "original: 451×300" and len(image_captions(app)) == 9, "the sample photo stays"


def test_the_link_opens_the_same_copies_in_a_new_session():
    page = open_page(PAGE, timeout=120)  # its own session: the shared one holds an upload, which no link carries
    page.slider(key="augmentation_rotation").set_value(90).run()
    page.checkbox(key="augmentation_vertical_flip").check().run()
    page.button(key="augmentation_new").click().run()  # a random seed: the link must carry it
    link, captions = link_of(page), image_captions(page)
    assert "rotation=90" in link and "vertical_flip=1" in link and "draw=0" not in link
    opened = open_page(None, timeout=120)
    opened.query_params.update(parse_qsl(urlsplit(link).query))  # what a browser opening the link sends
    opened.switch_page(PAGE)
    opened.run()
    assert_no_errors(opened)
    assert opened.slider(key="augmentation_rotation").value == 90
    assert image_captions(opened) == captions, "the same parameters drawn for every copy"


def test_a_hand_edited_link_falls_back_to_the_defaults_with_one_line():
    opened = open_page(None, timeout=120)
    opened.query_params.update({"lesson": "augmentation", "rotation": "720", "zoom": "0.5"})
    opened.switch_page(PAGE)
    opened.run()
    assert not opened.exception
    assert [error.value for error in opened.error] == [
        "This link's settings could not be read (rotation is '720', not a whole number from 0 to 180): showing the "
        "defaults."
    ]
    assert opened.slider(key="augmentation_zoom").value == 0.2, "the defaults, not half the link"
