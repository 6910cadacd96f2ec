"""The server's memory while students fill Your data: each uploads 60 camera-sized photos and keeps the tab open.

Every student is a Chromium tab of its own (kept open, as in a lesson) that makes a dataset and uploads 30
photos to each of its two classes. The server's resident memory is read from /proc after each student:
saved uploads are released at once (page_sections/your_data_photos.release), so it should not grow by the
photos' megabytes per student.

    python -m benchmarks.own_photos_memory --students 10
"""

from __future__ import annotations

import argparse
import re
import tempfile
from pathlib import Path

import numpy as np
from PIL import Image

from benchmarks.harness.chromium import launch_chromium
from benchmarks.harness.processes import resident_kib
from benchmarks.harness.server import start_server, stop_server
from cnnviz.data import images

PHOTOS_PER_CLASS = 30


def write_photos(folder: Path) -> list[str]:
    """Write camera-sized JPEGs (1600×1200, a real photo enlarged and shifted) once; return their paths."""
    photo = images.load_sample_photo("coffee")
    paths = []
    for number in range(PHOTOS_PER_CLASS):
        shifted = np.roll(photo, number * 7, axis=1)
        path = folder / f"photo{number:02d}.jpg"
        Image.fromarray(shifted).resize((1600, 1200)).save(path, quality=92)
        paths.append(str(path))
    return paths


def student(browser, url: str, number: int, photos: list[str]):
    """Open Your data in a new tab, make a dataset, upload 30 photos to each class; return the open tab."""
    from playwright.sync_api import expect

    page = browser.new_context(viewport={"width": 1440, "height": 900}).new_page()
    page.goto(f"{url}/your_data")
    page.get_by_label("Dataset name").fill(f"student {number}")
    page.get_by_label(re.compile("^Classes, one a line")).fill("cup\nphone")
    page.get_by_role("button", name="Make the dataset").click()
    for class_name in ("cup", "phone"):
        page.get_by_test_id("stRadio").get_by_text(class_name, exact=True).click()
        expect(page.get_by_text(f"Or upload photos of {class_name}")).to_be_visible(timeout=60_000)
        page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(photos)
        line = page.get_by_text(re.compile(rf"^{class_name} · {PHOTOS_PER_CLASS} photos \("))
        expect(line).to_be_visible(timeout=180_000)
    return page


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=10)
    arguments = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as root:
        photos = write_photos(Path(root))
        megabytes = sum(Path(path).stat().st_size for path in photos) * 2 / 1e6
        process, url = start_server(Path(root) / "runs", Path(root) / "datasets")
        try:
            with sync_playwright() as playwright:
                browser = launch_chromium(playwright)
                tabs = []
                start = resident_kib(process.pid) / 1024
                print(f"server before: {start:.0f} MiB; each student uploads {megabytes:.1f} MB")
                for number in range(1, arguments.students + 1):
                    tabs.append(student(browser, url, number, photos))
                    print(f"after student {number:2d}: server {resident_kib(process.pid) / 1024:.0f} MiB")
                browser.close()
        finally:
            stop_server(process)


if __name__ == "__main__":
    main()
