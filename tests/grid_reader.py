"""Read the SVG grids and coloured sums of cnnviz.pictures back into plain Python, for tests."""

from html.parser import HTMLParser

from streamlit.testing.v1 import AppTest


class PictureReader(HTMLParser):
    """Collect every [data-grid] (its cells' numbers, tooltips, small print, lit and winner flags) and every sum."""

    def __init__(self) -> None:
        super().__init__()
        self.grids: list[dict] = []
        self.arithmetic: dict[str, str] = {}
        self.stack: list[tuple[str, str | None, str | None]] = []  # (tag, what it opened, its name)
        self.cell: dict | None = None
        self.text_class: str | None = None

    def handle_starttag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        attributes = dict(attributes)
        opened, name = None, None
        if "data-grid" in attributes:
            self.grids.append({"name": attributes["data-grid"], "caption": attributes.get("aria-label"), "cells": {}})
            opened = "grid"
        elif "data-cell" in attributes:
            row, column = (int(part) for part in attributes["data-cell"].split(","))
            self.cell = {"text": "", "title": "", "weight": "", "lit": "data-lit" in attributes}
            self.cell["winner"] = "data-winner" in attributes
            self.grids[-1]["cells"][(row, column)] = self.cell
            opened = "cell"
        elif "data-arithmetic" in attributes:
            opened, name = "arithmetic", attributes["data-arithmetic"]
            self.arithmetic[name] = ""
        elif tag in ("title", "text"):
            opened = tag
            self.text_class = "title" if tag == "title" else attributes.get("class", "")
        self.stack.append((tag, opened, name))

    def handle_startendtag(self, tag: str, attributes: list[tuple[str, str | None]]) -> None:
        pass  # <rect/>, <circle/>, <polygon/>: nothing to read

    def handle_endtag(self, tag: str) -> None:
        while self.stack:
            open_tag, opened, _ = self.stack.pop()
            if opened == "cell":
                self.cell = None
            if opened in ("title", "text"):
                self.text_class = None
            if open_tag == tag:
                return

    def handle_data(self, data: str) -> None:
        for _, opened, name in self.stack:
            if opened == "arithmetic":
                self.arithmetic[name] += data
        if self.cell is not None and self.text_class in ("title", "value", "weight"):
            self.cell["text" if self.text_class == "value" else self.text_class] += data


def as_rows(grid: dict) -> dict:
    """Return a grid as rows: cells (numbers), titles (tooltips), weights (small print), lit and winner cells."""
    cells = grid["cells"]
    rows = 1 + max(row for row, _ in cells)
    columns = 1 + max(column for _, column in cells)

    def table(field: str) -> list[list[str]]:
        return [[cells[(row, column)][field] for column in range(columns)] for row in range(rows)]

    return {
        "name": grid["name"],
        "caption": grid["caption"],
        "cells": table("text"),
        "titles": table("title"),
        "weights": table("weight"),
        "lit": sorted(place for place, cell in cells.items() if cell["lit"]),
        "winner": [place for place, cell in cells.items() if cell["winner"]],
    }


def read_pictures(text: str) -> tuple[dict[str, dict], dict[str, str]]:
    """Return {grid name: grid as rows} and {arithmetic name: its text} from one HTML string."""
    reader = PictureReader()
    reader.feed(text)
    return {grid["name"]: as_rows(grid) for grid in reader.grids}, reader.arithmetic


def page_pictures(app: AppTest) -> tuple[dict[str, dict], dict[str, str]]:
    """Return every grid and sum the page draws in Markdown, by name (a later one of the same name wins)."""
    grids, sums = {}, {}
    for element in app.markdown:
        found_grids, found_sums = read_pictures(element.value)
        grids |= found_grids
        sums |= found_sums
    return grids, sums


def grids_of(app: AppTest) -> dict[str, dict]:
    """Return every grid the page draws, by name."""
    return page_pictures(app)[0]


def arithmetic(app: AppTest) -> list[str]:
    """Return the step's sums as drawn (one per line of the coloured arithmetic)."""
    sums = page_pictures(app)[1]
    return [text for name, text in sorted(sums.items()) if name[-1].isdigit() and not name.startswith("channels")]
