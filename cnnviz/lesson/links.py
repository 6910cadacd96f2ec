"""A lesson's settings in its link: each page's settings typed, read from a URL's query and written back to one.

A link names its page (`lesson=pooling`), so the settings of one page never fill another's widgets. Grids travel
as rows joined by `_` of numbers joined by spaces (`grid=1+2+3_4+5+6` once the browser encodes the spaces); a
setting the link leaves out keeps its default; one that cannot be read makes the whole link fall back to the
defaults, with a message that says which setting and why.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode

import numpy as np

from cnnviz.data import images
from cnnviz.errors import CnnvizError
from cnnviz.lesson import convolution, photos

PAGE_KEY = "lesson"
ROW_SEPARATOR = "_"


class BadLink(CnnvizError):
    """A link's settings could not be read."""


@dataclass(frozen=True)
class Setting:
    """One setting a link carries: its name (the URL's key and the widget's key after `<page>_`) and default."""

    name: str
    default: object

    def read(self, text: str) -> object:
        """Return the setting's value from its text in the URL, or raise BadLink."""
        raise NotImplementedError

    def write(self, value: object) -> str:
        """Return the value as the URL writes it."""
        return str(value)

    def widget_value(self, value: object) -> object:
        """Return the value as the page's widget holds it."""
        return value

    def refuse(self, text: str, expected: str) -> BadLink:
        """Return the error for a text this setting cannot take."""
        return BadLink(f"{self.name} is {text!r}, not {expected}")


@dataclass(frozen=True)
class Whole(Setting):
    """A whole number between `low` and `high`."""

    low: int = 0
    high: int = 1

    def read(self, text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise self.refuse(text, f"a whole number from {self.low} to {self.high}") from None
        if not self.low <= value <= self.high:
            raise self.refuse(text, f"a whole number from {self.low} to {self.high}")
        return value


@dataclass(frozen=True)
class Number(Setting):
    """A finite number between `low` and `high`."""

    low: float = 0.0
    high: float = 1.0

    def read(self, text: str) -> float:
        try:
            value = float(text)
        except ValueError:
            raise self.refuse(text, f"a number from {self.low:g} to {self.high:g}") from None
        if not (math.isfinite(value) and self.low <= value <= self.high):
            raise self.refuse(text, f"a number from {self.low:g} to {self.high:g}")
        return value

    def write(self, value: object) -> str:
        return f"{float(value):.10g}"


@dataclass(frozen=True)
class Switch(Setting):
    """On or off: 1 or 0."""

    def read(self, text: str) -> bool:
        if text not in ("0", "1"):
            raise self.refuse(text, "1 (on) or 0 (off)")
        return text == "1"

    def write(self, value: object) -> str:
        return "1" if value else "0"


@dataclass(frozen=True)
class Choice(Setting):
    """One of a list of names."""

    choices: tuple[str, ...] = ()

    def read(self, text: str) -> str:
        if text not in self.choices:
            raise self.refuse(text, f"one of {', '.join(self.choices)}")
        return text


@dataclass(frozen=True)
class Choices(Setting):
    """Some of a list of names (at least one), space-separated."""

    choices: tuple[str, ...] = ()

    def read(self, text: str) -> list[str]:
        picked = text.split()
        if not picked or any(name not in self.choices for name in picked):
            raise self.refuse(text, f"some of {', '.join(self.choices)}")
        return [name for name in self.choices if name in picked]

    def write(self, value: object) -> str:
        return " ".join(value)


@dataclass(frozen=True)
class Pair(Setting):
    """Two numbers between `low` and `high`, the first no larger than the second."""

    low: float = 0.0
    high: float = 1.0

    def read(self, text: str) -> tuple[float, float]:
        expected = f"two numbers from {self.low:g} to {self.high:g}, the smaller first"
        try:
            first, second = (float(part) for part in text.split())
        except ValueError:
            raise self.refuse(text, expected) from None
        if not (self.low <= first <= second <= self.high):
            raise self.refuse(text, expected)
        return first, second

    def write(self, value: object) -> str:
        return " ".join(f"{float(part):.10g}" for part in value)


@dataclass(frozen=True)
class GridSetting(Setting):
    """A grid of numbers, at most `max_size` rows and columns; the widget holds it as text, one row a line."""

    max_size: int = 10

    def read(self, text: str) -> np.ndarray:
        try:
            return convolution.parse_grid(text.replace(ROW_SEPARATOR, "\n"), self.name, self.max_size)
        except CnnvizError as error:
            raise BadLink(f"{self.name} is {text!r}: {str(error).rstrip('.')}") from None

    def write(self, value: object) -> str:
        return ROW_SEPARATOR.join(convolution.format_grid(value).replace("−", "-").splitlines())

    def widget_value(self, value: object) -> str:
        return convolution.format_grid(value)


@dataclass(frozen=True)
class LinkForm:
    """A page's settings as its link carries them: the page's name in the URL and every setting it keeps."""

    page: str
    settings: tuple[Setting, ...]
    derive: Callable[[dict[str, object]], dict[str, object]] = field(default=lambda values: {})  # more widgets

    def defaults(self) -> dict[str, object]:
        """Return every setting at its default."""
        return {setting.name: setting.default for setting in self.settings}

    def is_for_this_page(self, query: Mapping[str, str]) -> bool:
        """Return whether a URL's query is a link to this page (another page's settings are not read here)."""
        return query.get(PAGE_KEY) == self.page

    def read(self, query: Mapping[str, str]) -> dict[str, object]:
        """Return the settings a link to this page carries, its defaults for those it leaves out; raise BadLink."""
        values = self.defaults()
        for setting in self.settings:
            if setting.name in query:
                try:
                    values[setting.name] = setting.read(str(query[setting.name]).strip())
                except BadLink as error:
                    raise BadLink(f"This link's settings could not be read ({error}): showing the defaults.") from None
        return values

    def write(self, values: Mapping[str, object]) -> dict[str, str]:
        """Return the URL query that carries these settings (those not given at their defaults)."""
        every = self.defaults() | dict(values)
        return {PAGE_KEY: self.page} | {setting.name: setting.write(every[setting.name]) for setting in self.settings}

    def widget_values(self, values: Mapping[str, object]) -> dict[str, object]:
        """Return every widget's value by its name after `<page>_`, the derived ones (a grid's size) included."""
        widgets = {setting.name: setting.widget_value(values[setting.name]) for setting in self.settings}
        return widgets | self.derive(dict(values))


def page_url(app_url: str | None, page: str, query: Mapping[str, str]) -> str:
    """Return the full link to a page with this query (a path from the root when the app's address is unknown).

    The browser's address may already end with the page's path (Streamlit 1.67 keeps it), or be the app's root."""
    base = (app_url or "").rstrip("/")
    base = base if base.endswith(f"/{page}") else f"{base}/{page}"
    return f"{base}?{urlencode(query)}"


def convolution_widgets(values: dict[str, object]) -> dict[str, object]:
    """Return the Convolution widgets a link sets without carrying: the grid's and kernel's sizes, the preset."""
    grid, kernel = values["grid"], values["kernel"]
    presets = convolution.kernel_presets(min(max(kernel.shape[0], 1), 5))
    same = [name for name, preset in presets.items() if preset.shape == kernel.shape and np.allclose(preset, kernel)]
    return {
        "grid_size": int(min(max(grid.shape[0], 3), 10)),
        "kernel_size": int(min(max(kernel.shape[0], 1), 5)),
        "preset": same[0] if same else "X kernel",
    }


CONVOLUTION = LinkForm(
    "convolution",
    (
        GridSetting("grid", convolution.counting_grid(5)),
        GridSetting("kernel", convolution.kernel_presets(3)["X kernel"], max_size=5),
        Whole("stride", 1, 1, 3),
        Choice("padding", "valid", ("valid", "same", "1", "2")),
        Whole("dilation", 1, 1, 3),
        Number("bias", 0.0, -100.0, 100.0),
        Whole("step", 1, 1, 100),
    ),
    convolution_widgets,
)
POOLING = LinkForm(
    "pooling",
    (
        GridSetting("grid", np.array([[1, 3, 2, 9], [5, 6, 1, 7], [4, 2, 8, 0], [3, 1, 4, 6]], dtype=float)),
        Choices("modes", list(convolution.POOLING_MODES), convolution.POOLING_MODES),
        Whole("size", 2, 1, 4),
        Whole("stride", 2, 1, 4),
        Whole("step", 1, 1, 100),
        Choice("photo", next(iter(images.SAMPLE_PHOTOS)), tuple(images.SAMPLE_PHOTOS)),
        Choice("edge", photos.EDGE_KERNELS[0], photos.EDGE_KERNELS),
    ),
)


def train_form(
    recipe_names: list[str], dataset_labels: list[str], recipe: str, epochs: int, batch_size: int
) -> LinkForm:
    """Return Train's link form: the recipes and datasets this server offers, `recipe`'s own settings as defaults."""
    return LinkForm(
        "train",
        (
            Choice("recipe", recipe, tuple(recipe_names)),
            Choice("dataset", dataset_labels[0], tuple(dataset_labels)),
            Whole("epochs", epochs, 1, 500),
            Whole("batch_size", batch_size, 1, 1024),
            Whole("limit", 0, 0, 1_000_000),
        ),
    )
