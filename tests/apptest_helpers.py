"""AppTest helpers: the real app, started from app.py like `streamlit run` does."""

import json
import os
import subprocess
import sys
from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
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
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
