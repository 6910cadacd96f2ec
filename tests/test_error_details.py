"""A class server (CNNVIZ_ALLOW_SERVER_PATHS=0) shows students no error details; the server's log keeps them."""

import logging

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from tests.apptest_helpers import open_page

FAILING_SCRIPT = """
import error_details
error_details.hide_error_details_on_shared_server()
raise RuntimeError("secret detail in /srv/cnnviz/app.py")
"""


@pytest.fixture(autouse=True)
def restore_error_details():
    """Put the process-wide option back, so other tests see .streamlit/config.toml's value."""
    before = st.get_option("client.showErrorDetails")
    yield
    st.set_option("client.showErrorDetails", before)


class Remember(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def run_failing_script(monkeypatch, allow_server_paths: str) -> tuple[AppTest, list[logging.LogRecord]]:
    monkeypatch.setenv("CNNVIZ_ALLOW_SERVER_PATHS", allow_server_paths)
    handler, logger = Remember(), logging.getLogger("streamlit.error_util")
    logger.addHandler(handler)
    try:
        app = AppTest.from_string(FAILING_SCRIPT).run()
    finally:
        logger.removeHandler(handler)
    return app, handler.records


def test_a_class_server_shows_no_details_and_logs_the_traceback(monkeypatch, capsys):
    app, records = run_failing_script(monkeypatch, "0")
    (shown,) = app.exception
    assert "secret" not in shown.message and not shown.stack_trace and "/srv" not in str(shown.proto)
    # Streamlit logs it through logging, or prints it with rich when logger.enableRich is on.
    logged = [record for record in records if record.exc_info and "secret detail" in str(record.exc_info[1])]
    printed = capsys.readouterr()
    assert logged or "secret detail" in printed.out + printed.err, "the traceback reaches the server's log"


def test_your_own_machine_shows_the_whole_error(monkeypatch):
    app, _ = run_failing_script(monkeypatch, "1")
    (shown,) = app.exception
    assert "secret detail" in shown.message and shown.stack_trace


def test_the_app_turns_details_off_when_server_paths_are(monkeypatch):
    monkeypatch.setenv("CNNVIZ_ALLOW_SERVER_PATHS", "0")
    open_page()
    assert st.get_option("client.showErrorDetails") == "none"


def test_turning_server_paths_back_on_brings_the_configured_details_back(monkeypatch):
    import error_details

    configured = st.get_option("client.showErrorDetails")
    monkeypatch.setenv("CNNVIZ_ALLOW_SERVER_PATHS", "0")
    assert error_details.hide_error_details_on_shared_server() == "none"
    monkeypatch.setenv("CNNVIZ_ALLOW_SERVER_PATHS", "1")
    assert error_details.hide_error_details_on_shared_server() == configured
