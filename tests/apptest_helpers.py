"""AppTest helpers: the real app, started from app.py like `streamlit run` does."""

import json
import subprocess
import sys

from streamlit.testing.v1 import AppTest

from tests.helpers import ROOT

APP = str(ROOT / "app.py")


def open_page(page: str | None = None, timeout: float = 30) -> AppTest:
    """Run app.py in AppTest and switch to `page` (a path under app_pages/), as a person clicking it would."""
    app = AppTest.from_file(APP, default_timeout=timeout)
    app.run()
    if page is not None:
        app.switch_page(page)
        app.run()
    return app


def plotly_specs(app: AppTest) -> list[dict]:
    """Return every plotly figure on the page as its JSON spec."""
    return [json.loads(element.proto.spec) for element in app.get("plotly_chart")]


def image_captions(app: AppTest) -> list[str]:
    """Return the captions of every image on the page, in order."""
    return [caption for image in app.get("image") for caption in image.captions]


def markdown_text(app: AppTest) -> str:
    """Return the page's Markdown, one element a line."""
    return "\n".join(markdown.value for markdown in app.markdown)


def assert_no_errors(app: AppTest) -> None:
    """Fail if the page shows an exception or an error box."""
    assert not app.exception, [element.value for element in app.exception]
    assert not app.error, [element.value for element in app.error]


def run_cnnviz(*arguments: str, timeout: float = 600) -> subprocess.CompletedProcess:
    """Run `python -m cnnviz ARGUMENTS` from the project root, as a person would type it."""
    return subprocess.run(
        [sys.executable, "-m", "cnnviz", *arguments],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
