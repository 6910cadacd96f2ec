"""The classroom soak's own helpers: unique uploads, the upload form, widgets found by key."""

import io
import math

import numpy as np
from PIL import Image
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.harness.protocol import find_widget, multipart_body, text_of
from benchmarks.soak_lesson import make_photos, unique_copy
from benchmarks.soak_report import describe_trend
from cnnviz.data import images


def test_a_unique_copy_has_new_bytes_and_the_same_pixels():
    photo = make_photos(1)[0]
    first, second = unique_copy(photo, "student 1 round 0"), unique_copy(photo, "student 1 round 1")
    assert len({photo.data, first, second}) == 3
    assert np.array_equal(images.load_image(first), images.load_image(photo.data))
    with Image.open(io.BytesIO(second)) as picture:
        assert picture.format == "JPEG"


def test_the_photos_name_the_caption_augmentation_shows_for_them():
    photo = make_photos(1)[0]
    shown = images.load_image(photo.data, max_side=400)  # as app_pages/augmentation.py decodes an upload
    assert photo.augmentation_caption == images.describe_size(shown, images.declared_size(photo.data))


def test_the_upload_form_holds_one_file_named_file():
    body, content_type = multipart_body("photo.jpg", b"\xff\xd8data", "image/jpeg")
    boundary = content_type.split("boundary=")[1]
    assert body.startswith(f"--{boundary}\r\n".encode()) and body.endswith(f"--{boundary}--\r\n".encode())
    assert b'name="file"; filename="photo.jpg"' in body and b"\xff\xd8data" in body


def test_a_widget_is_found_by_its_key_with_its_fragment():
    message = ForwardMsg()
    message.delta.fragment_id = "fragment-1"
    message.delta.new_element.slider.id = "$$ID-abc-convolution_step"
    caption = ForwardMsg()
    caption.delta.new_element.markdown.body = "Step 2 of 9"
    widget = find_widget([caption, message], "convolution_step")
    assert (widget.widget_id, widget.fragment_id, widget.element_type) == (
        message.delta.new_element.slider.id,
        "fragment-1",
        "slider",
    )
    assert "Step 2 of 9" in text_of([caption, message])


def test_the_memory_trend_is_not_tipped_by_one_low_sample():
    # Minute 10 to 20 every 30 s: flat at 1,000 but for a dip to 900 at minute 10 and a rise of 1 a minute.
    samples = [(600 + 30 * i, 1000 + i / 2) for i in range(21)]
    samples[0] = (600, 900)
    windows, line = describe_trend(samples, since=600, window_minutes=5)
    # By hand: the first 5 minutes' mean (minutes 10-14.5) is (900 + 1000.5 + ... + 1004.5) / 10 = 992.25,
    # the last 5's (minutes 15.5-20) 1007.75: +1.56 %; the end sample against minute 10's says +12.2 %.
    assert round(windows, 2) == round(100 * (1007.75 / 992.25 - 1), 2)
    assert 0 < line < 5  # the dip pulls the line's start down too, less: +3.7 %


def test_a_lesson_too_short_for_a_trend_says_so():
    windows, line = describe_trend([(0, 900), (30, 1000)], since=30, window_minutes=5)
    assert math.isnan(windows) and math.isnan(line)
