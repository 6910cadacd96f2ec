"""Every page's idea on a projector's first screen, at 1440×900 and at 150% zoom (960×600), without scrolling.

For each page the element that carries its idea (DESIGN.md, "The first screen") must start inside the viewport, and
a picture must show a part a class can read: all of a picture shorter than 200 px, 200 px of a taller one (the
curves' axes and first points, the matrix's first rows, the table's first layers). Train's Start and
Overfitting experiment buttons must show their whole labels (at 150% zoom Start once shrank to an unlabelled square).
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from playwright.sync_api import Locator, Page

from cnnviz.runtime import runs
from tests.apptest_helpers import run_cnnviz
from tests.e2e.test_browser import assert_no_exception, open_page, settled_box

pytestmark = pytest.mark.e2e

# A projector, and the same projector zoomed to 150% (CSS pixels).
SIZES = [pytest.param(1440, 900, id="1440x900"), pytest.param(960, 600, id="960x600")]
READABLE_PIXELS = 200
CHART = "[data-testid='stPlotlyChart']"
IMAGE = "[data-testid='stMain'] [data-testid='stImage'] img"
# A label is cut when its text is wider than the button draws it (scrollWidth counts the hidden part).
LABEL_CUT = """button => {
    const text = button.querySelector('[data-testid=stMarkdownContainer] p'), box = button.getBoundingClientRect();
    if (!text) return 'no label';
    const shown = text.getBoundingClientRect();
    const cut = shown.width < 1 || text.scrollWidth > text.clientWidth + 1 || shown.right > box.right + 1;
    return cut ? text.innerText : '';
}"""


@dataclass(frozen=True)
class Part:
    """One element that carries a page's idea: how to find it, and whether it is a picture to be read."""

    name: str
    find: Callable[[Page], Locator]
    picture: bool = True


@dataclass(frozen=True)
class Screen:
    """A page, the heading that says it has opened, and the parts its first screen must show."""

    path: str
    title: str
    parts: tuple[Part, ...]


def css(selector: str, index: int = 0) -> Callable[[Page], Locator]:
    return lambda page: page.locator(selector).nth(index)


SCREENS = {
    "home": Screen(
        "",
        "cnnviz: convolutional neural networks, by doing",
        (
            Part("the convolution picture", css(IMAGE)),
            Part(
                "the Start: Convolution link",
                lambda page: page.get_by_test_id("stPageLink").filter(has_text="Start: Convolution"),
                picture=False,
            ),
        ),
    ),
    "convolution": Screen(
        "convolution",
        "Convolution",
        (
            Part("the input with the lit window", css("[data-grid=input]")),
            Part("the feature map", css("[data-grid=output]")),
        ),
    ),
    "pooling": Screen(
        "pooling",
        "Pooling",
        (
            Part("the max-pooled map", css("[data-grid=pooled-max]")),
            Part("the average-pooled map", css("[data-grid=pooled-average]")),
        ),
    ),
    "layers": Screen(
        "layers",
        "Layers",
        (
            Part("the layer table", css("[data-testid='stTable']")),
            Part("the shapes diagram", css("svg[data-grid=shapes]")),
        ),
    ),
    "augmentation": Screen(
        "augmentation",
        "Augmentation",
        (Part("the photo", css(IMAGE, 0)), Part("the first augmented copy", css(IMAGE, 1))),
    ),
    "datasets": Screen("datasets", "Datasets", (Part("the first sample", css(IMAGE)),)),
    # A fresh server: no dataset of the class's own yet, so the form that makes one (the camera follows it).
    "your_data": Screen(
        "your_data",
        "Your data",
        (
            Part("the classes to name", css(".st-key-your_data_classes"), picture=False),
            Part("the Make the dataset button", css(".st-key-your_data_make button"), picture=False),
        ),
    ),
    "train": Screen("train", "Train", (Part("the live curves", css(CHART)),)),
    "compare": Screen(
        "compare",
        "Compare",
        (Part("the accuracy curves", css(CHART, 0)), Part("the loss curves", css(CHART, 1))),
    ),
    "mistakes": Screen("mistakes", "Mistakes", (Part("the confusion matrix", css(CHART)),)),
    "predict": Screen(
        "predict",
        "Predict",
        (
            Part("the image as the model sees it", css(IMAGE, 0)),
            Part("its Grad-CAM heatmap", css(IMAGE, 1)),
            Part("the prediction", lambda page: page.get_by_role("heading", level=3).first, picture=False),
        ),
    ),
    "network": Screen(
        "network", "Network", (Part("every layer's maps for one image", css("[class*='st-key-network_overview']")),)
    ),
}


@pytest.fixture(scope="module")
def trained_store(server_runs_dir):
    """The least the pages need: one real run on 500 Fashion-MNIST images, evaluated by the CLI (two epochs: Network
    draws its epoch slider and curve strip above the maps, as for any run a class trains)."""
    trained = run_cnnviz(
        "train", "--recipe", "fashion_separable", "--dataset", "fashion_mnist", "--epochs", "2", "--limit", "500",
        "--runs-dir", str(server_runs_dir),
    )  # fmt: skip
    assert trained.returncode == 0, trained.stderr[-2000:]
    run = max(runs.list_runs(server_runs_dir), key=lambda each: each.run_id)
    evaluated = run_cnnviz("evaluate", "--run-dir", str(run.folder))
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    return server_runs_dir


@pytest.mark.parametrize(("width", "height"), SIZES)
@pytest.mark.parametrize("name", list(SCREENS))
def test_the_idea_is_on_the_first_screen(browser, server_url, trained_store, tmp_path, name, width, height):
    screen = SCREENS[name]
    context = browser.new_context(viewport={"width": width, "height": height})
    try:
        page = context.new_page()
        open_page(page, f"{server_url}/{screen.path}", screen.title)
        assert_no_exception(page)
        problems = []
        for part in screen.parts:
            box = settled_box(part.find(page), page)
            shown = min(box["y"] + box["height"], height) - max(box["y"], 0)
            where = f"{part.name} spans y {box['y']:.0f}–{box['y'] + box['height']:.0f} on a {width}×{height} screen"
            if not 0 <= box["y"] < height or not 0 <= box["x"] < width:
                problems.append(f"{where}: not on the first screen")
            elif part.picture and shown < min(box["height"], READABLE_PIXELS) - 1:
                problems.append(f"{where}: only {shown:.0f} px of it show")
        if name == "train":
            for key in ("train_start", "train_experiment_start"):
                button = page.locator(f".st-key-{key} button").first
                button_box = settled_box(button, page)
                if button_box["y"] + button_box["height"] > height:
                    problems.append(f"the {key} button is below the first screen")
                if cut := button.evaluate(LABEL_CUT):
                    problems.append(f"the {key} button does not show its whole label ({cut!r})")
        if problems:
            page.screenshot(path=str(tmp_path / "first_screen.png"))
        assert not problems, "; ".join(problems) + f" (screenshot: {tmp_path / 'first_screen.png'})"
    finally:
        context.close()
