"""The Home page through AppTest."""

from tests.apptest_helpers import open_page


def test_home_shows_device_and_versions():
    app = open_page()
    text = " ".join(markdown.value for markdown in app.markdown)
    assert "Device:" in text and "CPU" in text
    assert any("keras" in str(table.value) for table in app.table)
