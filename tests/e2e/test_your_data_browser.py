"""Your data as a class uses it, in Debian's Chromium with a fake camera: two classes shot from two made videos
(a red cup and a blue phone on the same grey table), a short training, and each camera predicted as its own class.

Chromium plays a .y4m file as its camera (--use-file-for-fake-video-capture); one file a browser, so each class
is shot in a browser of its own, the second opening the dataset from the first one's link, as a student's reload
or a second laptop would.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import Page, expect

from benchmarks.harness.chromium import CHROMIUM, CHROMIUM_ARGS
from tests.e2e.browser import start_server, stop_server
from tests.e2e.test_browser import assert_no_exception, open_page

pytestmark = pytest.mark.e2e

WIDTH, HEIGHT, FRAMES = 320, 240, 12
PHOTOS_PER_CLASS = 6  # 5 to train on and 1 to validate with (at least 5 a class)
COLOURS = {"cup": (210, 40, 40), "phone": (40, 70, 210)}


def rgb_to_yuv420(frame: np.ndarray) -> bytes:
    """Return an RGB frame as the planes of a 4:2:0 Y4M frame (full-range BT.601, as C420jpeg means)."""
    rgb = frame.astype(np.float64)
    y = 0.299 * rgb[..., 0] + 0.587 * rgb[..., 1] + 0.114 * rgb[..., 2]
    u = 128 - 0.168736 * rgb[..., 0] - 0.331264 * rgb[..., 1] + 0.5 * rgb[..., 2]
    v = 128 + 0.5 * rgb[..., 0] - 0.418688 * rgb[..., 1] - 0.081312 * rgb[..., 2]
    halve = lambda plane: plane.reshape(HEIGHT // 2, 2, WIDTH // 2, 2).mean(axis=(1, 3))  # noqa: E731
    planes = [y, halve(u), halve(v)]
    return b"".join(np.clip(np.round(plane), 0, 255).astype(np.uint8).tobytes() for plane in planes)


def write_video(path: Path, colour: tuple[int, int, int], round_object: bool) -> Path:
    """Write a short Y4M video of one coloured object moving a little on a grey, slightly noisy table."""
    rng = np.random.default_rng(0)
    rows, columns = np.mgrid[0:HEIGHT, 0:WIDTH]
    with open(path, "wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420jpeg\n".encode())
        for number in range(FRAMES):
            frame = np.clip(rng.normal(125, 6, (HEIGHT, WIDTH, 3)), 0, 255)
            centre_row = HEIGHT / 2 + 25 * np.sin(number / FRAMES * 2 * np.pi)
            centre_column = WIDTH / 2 + 40 * np.cos(number / FRAMES * 2 * np.pi)
            if round_object:
                inside = (rows - centre_row) ** 2 + (columns - centre_column) ** 2 < 45**2
            else:
                inside = (abs(rows - centre_row) < 55) & (abs(columns - centre_column) < 28)
            frame[inside] = colour
            video.write(b"FRAME\n" + rgb_to_yuv420(frame))
    return path


@pytest.fixture
def own_server(tmp_path):
    """A fresh class server: its own run store and datasets folder, nothing trained yet."""
    process, url = start_server(tmp_path / "runs", tmp_path / "datasets")
    try:
        yield url
    finally:
        stop_server(process)


def camera_browser(playwright, video: Path):
    """Launch Chromium with `video` as its camera, the permission prompt answered yes."""
    fake_camera = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={video}",
    ]
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS + fake_camera)


def class_line(page: Page, class_name: str, photos: int):
    """Return the class's count line once it says `photos` (while the page reruns, the old line still shows)."""
    return page.get_by_text(re.compile(rf"^{class_name} · {photos} photos? \("))


# The camera's stream has played 1.5 s: a click soon after it started took no picture at all once in a full suite
# (the camera still live, nothing sent). Streamlit's camera sets its width after a 1 s debounce, which can restart
# the stream.
VIDEO_PLAYING = (
    "() => { const v = document.querySelector('[data-testid=stCameraInput] video');"
    " return v && v.readyState >= 2 && v.currentTime > 1.5 }"
)


def shoot(page: Page, class_name: str, count: int) -> None:
    """Take `count` photos of a class with the page's camera, waiting for each to be counted."""
    page.get_by_test_id("stRadio").get_by_text(class_name, exact=True).click()
    expect(page.get_by_text(f"Take a photo of {class_name}")).to_be_visible(timeout=30_000)
    camera = page.get_by_test_id("stCameraInput")
    for number in range(1, count + 1):
        # No Clear photo to press: a saved shot gives way to a new, live camera (a shot taken while Clear photo
        # was still on its way to a busy server never arrived).
        page.wait_for_function(VIDEO_PLAYING, timeout=30_000)  # a shot before the video is steady is lost
        camera.get_by_role("button", name=re.compile("Take photo", re.I)).click(timeout=30_000)
        expect(class_line(page, class_name, number)).to_be_visible(timeout=30_000)


def test_two_classes_from_the_camera_trained_and_a_camera_prediction_of_the_right_class(
    own_server, tmp_path, playwright
):
    videos = {
        "cup": write_video(tmp_path / "cup.y4m", COLOURS["cup"], round_object=True),
        "phone": write_video(tmp_path / "phone.y4m", COLOURS["phone"], round_object=False),
    }
    cup_browser, phone_browser = (camera_browser(playwright, videos[name]) for name in ("cup", "phone"))
    try:
        page = cup_browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        open_page(page, f"{own_server}/your_data", "Your data")
        page.get_by_label("Dataset name").fill("cup and phone")
        page.get_by_label(re.compile("^Classes, one a line")).fill("cup\nphone")
        page.get_by_role("button", name="Make the dataset").click()
        expect(page.get_by_role("heading", name="cup and phone: cup, phone")).to_be_visible(timeout=30_000)
        shoot(page, "cup", PHOTOS_PER_CLASS)
        assert_no_exception(page)
        for part in ("stCameraInput", "stImage"):  # the camera and the first thumbnails: on the first screen
            box = page.get_by_test_id(part).first.bounding_box()
            assert box["y"] + min(box["height"], 200) <= 900, (part, box)
        link = page.url
        assert re.search(r"[?&]your_data=cup-and-phone&your_data_key=[0-9a-f]{16}", link), link

        page = phone_browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
        open_page(page, link, "Your data")  # the first browser's link: the same dataset, its photos kept
        expect(class_line(page, "cup", PHOTOS_PER_CLASS)).to_be_visible(timeout=30_000)
        shoot(page, "phone", PHOTOS_PER_CLASS)
        page.get_by_role("button", name="Train on these photos").click()
        expect(page.get_by_role("heading", name="Train", level=1)).to_be_visible(timeout=60_000)
        dataset = page.get_by_role("combobox", name="Dataset")
        # The heading shows before the rest of Train on a busy machine: the choices get the time a rerun takes there.
        expect(dataset).to_have_value("your photos: cup and phone (cup, phone)", timeout=30_000)
        expect(page.get_by_role("combobox", name="Network")).to_have_value(
            "Your photos: small convnet (64×64)", timeout=30_000
        )
        page.get_by_role("button", name="Start").click()
        try:
            expect(page.get_by_text(re.compile(r"finished after 40 epochs"))).to_be_visible(timeout=120_000)
        finally:
            page.screenshot(path=str(tmp_path / "train.png"))

        for browser, name in ((phone_browser, "phone"), (cup_browser, "cup")):  # each camera: its own class
            page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
            open_page(page, f"{own_server}/predict", "Predict")  # it opens on the best finished run: this one
            page.get_by_test_id("stRadio").get_by_text("camera", exact=True).click()
            page.wait_for_function(VIDEO_PLAYING, timeout=30_000)
            camera = page.get_by_test_id("stCameraInput")
            camera.get_by_role("button", name=re.compile("Take photo", re.I)).click(timeout=30_000)
            try:
                expect(page.get_by_role("heading", name=re.compile(rf"^{name} \("))).to_be_visible(timeout=60_000)
            finally:
                page.screenshot(path=str(tmp_path / f"predict_{name}.png"))
            expect(page.get_by_text(re.compile(rf"explaining: {name} \(Grad-CAM of conv3")).first).to_be_visible()
            expect(page.get_by_text(re.compile("^Heatmap on the background, not on your object"))).to_be_visible()
            assert_no_exception(page)
    finally:
        cup_browser.close()
        phone_browser.close()
