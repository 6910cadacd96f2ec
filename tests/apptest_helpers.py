"""AppTest helpers: the real app, started from app.py like `streamlit run` does."""

import json
import subprocess
import sys
from html.parser import HTMLParser

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


class GridReader(HTMLParser):
    """Read grids_html tables back: title, cell texts, cell tooltips and the cells with a lit edge."""

    def __init__(self) -> None:
        super().__init__()
        self.grids: list[dict] = []
        self.cell: dict | None = None

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        attributes = dict(attributes)
        if tag == "table":
            self.grids.append({"title": attributes.get("aria-label"), "cells": [], "titles": [], "lit": []})
        elif tag == "tr":
            self.grids[-1]["cells"].append([])
            self.grids[-1]["titles"].append([])
        elif tag == "td":
            self.cell = {"text": "", "title": attributes.get("title"), "style": attributes.get("style", "")}

    def handle_data(self, data: str) -> None:
        if self.cell is not None:
            self.cell["text"] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self.cell is not None:
            grid = self.grids[-1]
            grid["cells"][-1].append(self.cell["text"])
            grid["titles"][-1].append(self.cell["title"])
            if "3px solid" in self.cell["style"]:
                grid["lit"].append((len(grid["cells"]) - 1, len(grid["cells"][-1]) - 1))
            self.cell = None


def read_grid_html(text: str) -> list[dict]:
    """Return every grid table in an HTML string."""
    reader = GridReader()
    reader.feed(text)
    return reader.grids


def page_grids(app: AppTest) -> list[dict]:
    """Return every grid table the page shows, in order."""
    return [grid for element in app.get("html") for grid in read_grid_html(element.proto.body)]


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
