"""AppTest helpers: the real app, started from app.py like `streamlit run` does."""

import json
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


def open_page(page: str | None = None, timeout: float = 30) -> AppTest:
    """Run app.py in AppTest and switch to `page` (a path under pages/), as a person clicking it would."""
    app = AppTest.from_file(APP, default_timeout=timeout)
    app.run()
    if page is not None:
        app.switch_page(page)
        app.run()
    return app


def plotly_specs(app: AppTest) -> list[dict]:
    """Return every plotly figure on the page as its JSON spec."""
    return [json.loads(element.proto.spec) for element in app.get("plotly_chart")]


def assert_no_errors(app: AppTest) -> None:
    """Fail if the page shows an exception or an error box."""
    assert not app.exception, [element.value for element in app.exception]
    assert not app.error, [element.value for element in app.error]
