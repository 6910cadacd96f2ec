"""Predict in a real browser: upload a photo to a model trained by the CLI and read its probabilities."""

import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from cnnviz.data import images
from cnnviz.learning import analysis
from cnnviz.runtime import runs
from tests.apptest_helpers import run_cnnviz
from tests.e2e.test_browser import assert_no_exception, open_page

pytestmark = pytest.mark.e2e


def test_upload_an_image_and_see_the_probabilities(page, server_url, server_runs_dir, tmp_path):
    result = run_cnnviz(
        "train",
        "--recipe",
        "catsdogs_baseline",
        "--dataset",
        "lfw_faces",
        "--epochs",
        "1",
        "--runs-dir",
        str(server_runs_dir),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    open_page(page, f"{server_url}/predict", "Predict")
    # The server's store holds other tests' runs too, and Predict opens on the best of them: pick this one.
    trained = runs.trained_runs(server_runs_dir)
    this_run = max(trained, key=lambda run: run.run_id)
    page.get_by_role("combobox", name="Trained run").click()
    page.get_by_role("option", name=analysis.choice_labels(trained)[this_run.run_id], exact=True).click()
    expect(page.get_by_text(re.compile(r"^true class: "))).to_be_visible(timeout=60_000)  # it opens on a test image
    page.get_by_test_id("stRadio").get_by_text("upload", exact=True).click()
    photo = tmp_path / "astronaut.png"
    Image.fromarray(images.load_sample_photo("astronaut")).save(photo)
    page.get_by_test_id("stFileUploaderDropzoneInput").first.set_input_files(str(photo))
    expect(page.get_by_text("as the model sees it: 150×150×1")).to_be_visible(timeout=60_000)
    expect(page.get_by_role("heading", name="face")).to_be_visible()  # "face (…%)" or "not face (…%)"
    expect(page.get_by_text(re.compile(r"explaining: (not )?face \(Grad-CAM of conv4, 15×15\)")).first).to_be_visible()
    expect(page.get_by_text("This model knows")).to_be_visible()
    expect(page.get_by_text("Resized from 512×512 to 150×150 for the model: the pixels change")).to_be_visible()
    assert_no_exception(page)
