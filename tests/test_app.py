"""The app as a whole through AppTest: pages open, the lesson pages load no Keras, the server's config."""

import os
import subprocess
import sys

import pytest

from tests.apptest_helpers import assert_no_errors, open_page
from tests.helpers import ROOT

PAGES = ["app_pages/convolution.py", "app_pages/pooling.py", "app_pages/layers.py", "app_pages/augmentation.py"]


@pytest.mark.parametrize("page", [None, *PAGES])
def test_every_page_runs_without_exception(page):
    app = open_page(page)
    assert_no_errors(app)
    assert app.title, "every page starts with a title"


MECHANICS_CHECK = """
import sys, time
from streamlit.testing.v1 import AppTest
app = AppTest.from_file({app!r}, default_timeout=30)
app.run()
app.switch_page({page!r})
app.run()
assert not app.exception, app.exception
heavy = sorted(name for name in ("tensorflow", "keras", "jax", "torch") if name in sys.modules)
print("HEAVY", heavy)
import gc
print("FROZEN", gc.get_freeze_count())
"""


@pytest.mark.parametrize("page", PAGES)
def test_mechanics_pages_do_not_import_tensorflow_or_keras(page):
    # A fresh interpreter: this test process has imported Keras for the parity tests already.
    script = MECHANICS_CHECK.format(app=str(ROOT / "app.py"), page=page)
    # The server preloads Keras for the pages that need it; off here, to see what the page imports itself.
    environment = os.environ | {"CNNVIZ_PRELOAD_KERAS": "0"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120, env=environment
    )
    assert result.returncode == 0, result.stderr
    assert "HEAVY []" in result.stdout
    assert "FROZEN 0" in result.stdout  # nothing to freeze until Keras is imported


def test_the_run_that_imports_keras_freezes_the_startup_objects():
    # Streamlit calls keras.backend.clear_session(), and with it gc.collect(), after every script run once
    # Keras is loaded; app.py freezes the objects alive then, so that collection stays cheap for a class.
    script = MECHANICS_CHECK.format(app=str(ROOT / "app.py"), page="app_pages/predict.py")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=180)
    assert result.returncode == 0, result.stderr
    assert "'keras'" in result.stdout.split("HEAVY", 1)[1].splitlines()[0]
    frozen = int(result.stdout.split("FROZEN", 1)[1].split()[0])
    assert frozen > 100_000  # TensorFlow and Keras alone leave some 400,000 objects


def test_the_server_config_turns_source_watching_off():
    # The watcher walked every module in sys.modules after each script run: a quarter of the server's CPU.
    config = (ROOT / ".streamlit" / "config.toml").read_text()  # no tomllib: Python 3.10 is supported
    assert '\nfileWatcherType = "none"\n' in config.split("[server]", 1)[1].split("\n[", 1)[0]


def test_the_server_config_turns_the_second_collection_after_each_run_off():
    # Streamlit's gc.collect(2) after every run came on top of keras.backend.clear_session()'s own.
    config = (ROOT / ".streamlit" / "config.toml").read_text()
    assert "\npostScriptGC = false\n" in config.split("[runner]", 1)[1].split("\n[", 1)[0]


PRELOAD_CHECK = """
import sys, threading, time, gc
from streamlit.testing.v1 import AppTest
app = AppTest.from_file({app!r}, default_timeout=60)
app.run()  # Home: the first page drawn starts the background imports, Keras among them
app.switch_page("app_pages/convolution.py")
for _ in range(5):  # pages run while Keras is half imported on the other thread
    app.run()
    assert not app.exception, app.exception
for thread in threading.enumerate():
    if thread.name == "cnnviz-preload":
        thread.join(timeout=120)
app.run()
assert not app.exception, app.exception
print("KERAS", "keras" in sys.modules, "FROZEN", gc.get_freeze_count())
"""


def test_the_server_preloads_keras_while_pages_run_and_freezes_it_once_whole():
    script = PRELOAD_CHECK.format(app=str(ROOT / "app.py"))
    environment = os.environ | {"CNNVIZ_PRELOAD_KERAS": "1"}
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=240, env=environment
    )
    assert result.returncode == 0, result.stderr[-3000:]
    keras_line = result.stdout.split("KERAS", 1)[1].split()
    assert keras_line[0] == "True" and int(keras_line[2]) > 100_000, result.stdout
