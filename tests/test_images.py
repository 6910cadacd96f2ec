"""load_image on good and bad files made here: every good kind decodes right, every bad one is InvalidImage."""

import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from cnnviz.data import images
from cnnviz.errors import InvalidImage
from tests.helpers import encode_image


def gradient(width: int = 40, height: int = 30) -> Image.Image:
    """Return an RGB test picture with a distinct colour in each corner."""
    x, y = np.meshgrid(np.linspace(0, 255, width), np.linspace(0, 255, height))
    return Image.fromarray(np.stack([x, y, 255 - x], axis=-1).astype(np.uint8))


def exif_rotated_jpeg() -> bytes:
    """Return a 40×30 JPEG whose EXIF says 'rotate 90° clockwise to display' (orientation 6)."""
    exif = Image.Exif()
    exif[0x0112] = 6
    return encode_image(gradient(), "JPEG", exif=exif)


def sixteen_bit_grey() -> bytes:
    """Return a 16-bit greyscale PNG holding 0, 32896 and 65535."""
    values = np.array([[0, 32896, 65535]], dtype=np.uint16)
    return encode_image(Image.fromarray(values), "PNG")


def palette_with_transparency() -> bytes:
    """Return a palette PNG whose index 0 is transparent."""
    picture = Image.new("P", (4, 4), 0)
    picture.putpalette([255, 0, 0, 0, 0, 255] + [0] * 762)
    picture.putpixel((1, 1), 1)
    return encode_image(picture, "PNG", transparency=0)


def animated_gif() -> bytes:
    """Return a two-frame GIF: a red frame, then a blue one."""
    frames = [Image.new("RGB", (8, 8), colour) for colour in ((255, 0, 0), (0, 0, 255))]
    return encode_image(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


def multipage_tiff() -> bytes:
    """Return a two-page TIFF: a green page, then a black one."""
    pages = [Image.new("RGB", (6, 6), colour) for colour in ((0, 255, 0), (0, 0, 0))]
    return encode_image(pages[0], "TIFF", save_all=True, append_images=pages[1:])


def png_declaring(width: int, height: int) -> bytes:
    """Return a tiny PNG whose header claims width×height: a decompression bomb's calling card."""
    data = bytearray(encode_image(Image.new("1", (1, 1)), "PNG"))
    header = struct.pack(">II", width, height) + bytes(data[24:29])
    data[16:29] = header
    data[29:33] = struct.pack(">I", zlib.crc32(b"IHDR" + header) & 0xFFFFFFFF)
    return bytes(data)


GOOD_FILES = {
    "jpeg": (lambda: encode_image(gradient(), "JPEG", quality=95), (30, 40)),
    "png": (lambda: encode_image(gradient(), "PNG"), (30, 40)),
    "webp": (lambda: encode_image(gradient(), "WEBP", lossless=True), (30, 40)),
    "bmp": (lambda: encode_image(gradient(), "BMP"), (30, 40)),
    "tiff": (lambda: encode_image(gradient(), "TIFF"), (30, 40)),
    "grey png": (lambda: encode_image(gradient().convert("L"), "PNG"), (30, 40)),
    "bilevel png": (lambda: encode_image(gradient().convert("1"), "PNG"), (30, 40)),
    "palette png": (lambda: encode_image(gradient().convert("P"), "PNG"), (30, 40)),
    "grey with alpha": (lambda: encode_image(gradient().convert("LA"), "PNG"), (30, 40)),
    "cmyk jpeg": (lambda: encode_image(gradient().convert("CMYK"), "JPEG", quality=95), (30, 40)),
    "cmyk tiff": (lambda: encode_image(gradient().convert("CMYK"), "TIFF"), (30, 40)),
    "one pixel": (lambda: encode_image(Image.new("RGB", (1, 1), (9, 8, 7)), "PNG"), (1, 1)),
    "exif rotated": (exif_rotated_jpeg, (40, 30)),
    "16-bit grey": (sixteen_bit_grey, (1, 3)),
    "palette with transparency": (palette_with_transparency, (4, 4)),
    "animated gif": (animated_gif, (8, 8)),
    "multipage tiff": (multipage_tiff, (6, 6)),
}


@pytest.mark.parametrize("kind", list(GOOD_FILES))
def test_good_files_decode_to_uint8_rgb(kind):
    make, (height, width) = GOOD_FILES[kind]
    image = images.load_image(make())
    assert image.shape == (height, width, 3) and image.dtype == np.uint8


def test_lossless_formats_keep_every_pixel():
    expected = np.asarray(gradient())
    for file_format in ("PNG", "BMP", "TIFF"):
        np.testing.assert_array_equal(images.load_image(encode_image(gradient(), file_format)), expected)


def test_rgba_is_composited_on_white():
    picture = Image.new("RGBA", (2, 1), (0, 0, 0, 0))
    picture.putpixel((1, 0), (10, 20, 30, 255))
    image = images.load_image(encode_image(picture, "PNG"))
    assert image[0, 0].tolist() == [255, 255, 255] and image[0, 1].tolist() == [10, 20, 30]


def test_palette_transparency_becomes_white_and_opaque_stays():
    image = images.load_image(palette_with_transparency())
    assert image[0, 0].tolist() == [255, 255, 255] and image[1, 1].tolist() == [0, 0, 255]


def test_sixteen_bit_grey_is_scaled_not_clipped():
    assert images.load_image(sixteen_bit_grey())[0, :, 0].tolist() == [0, 128, 255]


def test_exif_orientation_is_applied():
    image = images.load_image(exif_rotated_jpeg())
    # Rotated 90° clockwise: the original top-left corner (dark red channel, x=0) is now top-right.
    original = np.asarray(gradient())
    assert image.shape == (40, 30, 3)
    assert np.abs(image.astype(int)[0, -1] - original[0, 0]).max() < 30


def test_first_frame_of_an_animated_gif_and_first_page_of_a_tiff():
    assert images.load_image(animated_gif())[0, 0].tolist() == [255, 0, 0]
    assert images.load_image(multipage_tiff())[0, 0].tolist() == [0, 255, 0]


def test_cmyk_is_converted_to_rgb_colours():
    original = np.asarray(gradient()).astype(int)
    converted = images.load_image(encode_image(gradient().convert("CMYK"), "TIFF")).astype(int)
    assert np.abs(converted - original).max() <= 2


def ico_file() -> bytes:
    return encode_image(Image.new("RGB", (16, 16)), "ICO")


BAD_FILES = {
    "empty": (b"", "empty"),
    "text renamed png": (b"this is not an image, just text\n" * 10, "not an image"),
    "svg": (b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>', "not an image"),
    "pdf": (b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n", "not an image"),
    "random bytes": (np.random.default_rng(0).integers(0, 256, 4096, dtype=np.uint8).tobytes(), "not an image"),
    "truncated jpeg": (encode_image(gradient(400, 300), "JPEG")[:700], "truncated"),
    "truncated png": (encode_image(gradient(400, 300), "PNG")[:500], "truncated"),
    "png bomb 20000x20000": (png_declaring(20_000, 20_000), "decompression bomb"),
    "png bomb beyond pillow": (png_declaring(60_000, 60_000), "decompression bomb"),
    "ico (unsupported format)": (ico_file(), "not an image"),
}


@pytest.mark.parametrize("kind", list(BAD_FILES))
def test_bad_files_raise_invalid_image_with_a_next_step(kind):
    data, message = BAD_FILES[kind]
    with pytest.raises(InvalidImage, match=message) as caught:
        images.load_image(data)
    assert "Choose a JPEG, PNG" in str(caught.value) or "Resize it" in str(caught.value)


def test_a_real_108_megapixel_photo_is_too_large_not_a_bomb():
    # 12,000×9,000 as a phone's 108-megapixel mode takes it; a gradient so the JPEG is a real photo's size.
    x = np.linspace(0, 255, 12_000, dtype=np.float32)
    picture = Image.fromarray(np.broadcast_to(x.astype(np.uint8), (9_000, 12_000)), "L").convert("RGB")
    data = encode_image(picture, "JPEG", quality=90)
    with pytest.raises(InvalidImage) as caught:
        images.load_image(data)
    message = str(caught.value)
    assert message.startswith("The photo is too large: 12,000×9,000 pixels (108 megapixels)"), message
    assert "Resize it below 40 megapixels" in message and "bomb" not in message


def test_a_ten_megabyte_photo_decodes():
    noise = np.random.default_rng(0).integers(0, 256, (1900, 1800, 3), dtype=np.uint8)
    data = encode_image(Image.fromarray(noise), "PNG")
    assert len(data) > 10_000_000
    np.testing.assert_array_equal(images.load_image(data), noise)


def test_shrink_to_fit_and_display_helpers():
    photo = images.load_sample_photo("rocket")
    assert max(images.shrink_to_fit(photo, 100).shape[:2]) == 100
    assert images.shrink_to_fit(photo, 10_000) is photo
    assert images.to_display(np.array([[-1.0, 1.0]])).tolist() == [[0, 255]]
    assert images.to_display(np.zeros((2, 2))).tolist() == [[128, 128], [128, 128]]
    assert images.to_grayscale(photo, size=(28, 28)).shape == (28, 28)


def test_invert_and_crop_to_the_object_make_a_photo_look_like_fashion_mnist():
    photo = np.full((100, 200, 3), 250, dtype=np.uint8)
    photo[40:60, 90:130] = 10  # a dark object on a light background
    assert images.border_brightness(photo) == pytest.approx(250)
    assert images.border_brightness(images.invert(photo)) == pytest.approx(5)
    cropped = images.crop_to_object(photo)
    assert cropped.shape[0] == cropped.shape[1] and 40 <= cropped.shape[0] <= 50, "a square around the object"
    assert cropped[cropped.shape[0] // 2, cropped.shape[1] // 2, 0] == 10
    blank = np.zeros((30, 30, 3), dtype=np.uint8)
    assert images.crop_to_object(blank).shape == (30, 30, 3), "nothing stands out: the whole photo"


def test_a_large_jpeg_is_decoded_small_directly_and_matches_a_full_decode_shrunk():
    photo = np.kron(images.load_sample_photo("rocket"), np.ones((3, 3, 1), np.uint8))  # 1281×1920, a phone's
    jpeg = encode_image(photo, "JPEG", quality=90)
    small = images.load_image(jpeg, max_side=400)
    full = images.shrink_to_fit(images.load_image(jpeg), 400)
    assert small.shape == full.shape == (267, 400, 3)
    assert np.abs(small.astype(int) - full).mean() < 2, "draft decoding changes the picture by a grey level or so"
    assert images.load_image(jpeg, max_side=4000).shape == photo.shape, "never scaled up"


def test_a_photo_is_made_square_by_padding_with_its_background_or_cropping_its_centre():
    photo = np.full((300, 400, 3), 20, dtype=np.uint8)
    photo[100:200, 150:250] = 220
    padded = images.make_square(photo, images.SquareFit.PAD)
    assert padded.shape == (400, 400, 3) and padded[0, 0, 0] == 20 and padded[200, 200, 0] == 220
    assert (padded[..., 0] == 220).sum() == 100 * 100, "the object keeps its shape: nothing squashed"
    cropped = images.make_square(photo, images.SquareFit.CROP)
    assert cropped.shape == (300, 300, 3) and np.array_equal(cropped, photo[:, 50:350])
    assert images.make_square(photo, images.SquareFit.SQUASH) is not None
    assert images.make_square(photo, images.SquareFit.SQUASH).shape == (300, 400, 3), "the resize squashes it later"


def test_crop_to_the_object_ignores_a_shadow_and_the_papers_gradient():
    # A dark shoe on white paper as a phone takes it: the light falls off across the page and the shoe casts a
    # soft grey shadow; the old fixed threshold (40 grey levels from the border) took in most of the page.
    rows, columns = np.mgrid[0:300, 0:400]
    paper = 250 - columns * 0.12 - rows * 0.05
    paper[170:200, 90:320] -= 45  # the shadow
    photo = np.repeat(paper[..., None], 3, axis=2)
    photo[120:180, 80:300] = 25  # the shoe: 220 wide, 60 tall
    cropped = images.crop_to_object(photo.clip(0, 255).astype(np.uint8))
    assert cropped.shape[0] == cropped.shape[1] and 220 <= cropped.shape[0] <= 260, cropped.shape
