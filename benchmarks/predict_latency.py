"""How soon Predict answers an upload on the cats-vs-dogs net, Grad-CAM and feature maps included.

Trains catsdogs_baseline for one epoch on LFW faces into a temporary run store (the model is what
matters, not its accuracy), opens the Predict page in AppTest, loads the model once (cached, as in
the app), then alternates: upload a new photo and time the rerun, and time an unchanged rerun
(which the page answers from its caches).
Target (issue: Compare and Predict): under 1 s after the upload on this CPU.
"""

from __future__ import annotations

import io
import os
import statistics
import tempfile
import time
from pathlib import Path

from PIL import Image

from benchmarks.harness.trainings import train_with_cli
from cnnviz.data import images
from tests.apptest_helpers import open_page


def photo_bytes(name: str, variant: int = 0) -> bytes:
    """Return a sample photo as PNG bytes, as a browser would upload it; `variant` makes it a new image."""
    photo = images.load_sample_photo(name).copy()
    photo[0, 0] = variant  # one pixel: a different file, so the page's caches cannot answer for it
    buffer = io.BytesIO()
    Image.fromarray(photo).save(buffer, format="PNG")
    return buffer.getvalue()


def main() -> None:
    """Measure upload-to-answer against unchanged reruns and print medians and their ratio."""
    with tempfile.TemporaryDirectory() as root:
        train_with_cli(Path(root), "--recipe", "catsdogs_baseline", "--dataset", "lfw_faces", "--epochs", "1")
        os.environ["CNNVIZ_RUNS_DIR"] = root
        app = open_page("app_pages/predict.py", timeout=120)
        app.radio(key="predict_source").set_value("upload").run()  # it opens on a test image of the run
        names = list(images.SAMPLE_PHOTOS)
        uploads = [photo_bytes(names[number % len(names)], variant=number + 1) for number in range(10)]
        warm_up = photo_bytes(names[0])
        app.file_uploader(key="predict_upload").upload("warm.png", warm_up, "image/png").run()  # loads the model
        answered, unchanged = [], []
        for round_number in range(10):
            started = time.perf_counter()
            app.file_uploader(key="predict_upload").set_value(
                (f"photo{round_number}.png", uploads[round_number], "image/png")
            ).run()
            answered.append(time.perf_counter() - started)
            assert not app.exception and not app.error, (app.exception, app.error)
            started = time.perf_counter()
            app.run()
            unchanged.append(time.perf_counter() - started)
    upload, rerun = statistics.median(answered), statistics.median(unchanged)
    verdict = "ok" if upload < 1.0 else "OVER the 1 s target"
    print(
        f"Predict, cats-vs-dogs net (150×150): upload to answer {upload:.2f} s ({verdict}), "
        f"max {max(answered):.2f} s; unchanged rerun {rerun:.2f} s"
    )
    print(f"ratio upload/unchanged rerun = {upload / rerun:.2f}")


if __name__ == "__main__":
    main()
