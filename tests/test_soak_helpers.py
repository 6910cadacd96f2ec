"""The classroom soak's own helpers: unique uploads, the upload form, widgets found by key."""

import io

import numpy as np
from PIL import Image
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

from benchmarks.harness.protocol import find_widget, multipart_body, text_of
from benchmarks.soak_lesson import make_photos, unique_copy
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
