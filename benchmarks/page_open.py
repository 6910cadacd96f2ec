"""Time an AppTest run of each mechanics page in a fresh interpreter, beside a bare one-line page.

Prints seconds per page and the ratio to the bare page measured in the same run, alternating, so a
noisy machine slows both alike. Target (issue: Foundation): Convolution and Pooling under 1.5 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
REPEATS = 5

TIMER = """
import time
from streamlit.testing.v1 import AppTest
started = time.perf_counter()
app = AppTest.from_file({app!r}, default_timeout=60)
app.run()
if {page!r}:
    app.switch_page({page!r})
    app.run()
assert not app.exception, app.exception
print(time.perf_counter() - started)
"""


def time_page(app: str, page: str) -> float:
    """Return the seconds one fresh interpreter takes to run `app` and switch to `page`."""
    script = TIMER.format(app=app, page=page)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, check=True)
    return float(result.stdout.strip().splitlines()[-1])


def main() -> None:
    """Measure each page against a bare page, alternating, and print medians and ratios."""
    with tempfile.TemporaryDirectory() as folder:
        bare_app = Path(folder) / "bare.py"
        bare_app.write_text("import streamlit as st\nst.title('bare')\n")
        pages = {"Convolution": "app_pages/convolution.py", "Pooling": "app_pages/pooling.py"}
        timings: dict[str, list[float]] = {"bare page": [], **{name: [] for name in pages}}
        for _ in range(REPEATS):
            timings["bare page"].append(time_page(str(bare_app), ""))
            for name, page in pages.items():
                timings[name].append(time_page(str(ROOT / "app.py"), page))
    bare = statistics.median(timings["bare page"])
    print(f"bare page: {bare:.2f} s (median of {REPEATS})")
    for name in pages:
        seconds = statistics.median(timings[name])
        verdict = "ok" if seconds < 1.5 else "OVER the 1.5 s target"
        print(f"{name}: {seconds:.2f} s, ratio {name}/bare page = {seconds / bare:.2f} ({verdict})")


if __name__ == "__main__":
    main()
