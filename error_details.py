"""How much of an unexpected error a browser sees: all of it on your own machine, nothing on a class server."""

from __future__ import annotations

import streamlit as st

from cnnviz.runtime import settings

OPTION = "client.showErrorDetails"
HIDDEN = "none"  # the browser gets a generic "this app has encountered an error"; the server log keeps the traceback
configured: list[str] = []  # the value .streamlit/config.toml or the command line gave, while it is hidden


def hide_error_details_on_shared_server() -> str:
    """Show browsers no error details when the server is shared (CNNVIZ_ALLOW_SERVER_PATHS=0); return the setting."""
    # .streamlit/config.toml says "full" for whoever runs the app on their own machine. A traceback shows the
    # server's paths and code to every student, so a class server turns it off here, in the first lines of
    # every script run; Streamlit still logs each uncaught exception with its traceback on the server.
    current = st.get_option(OPTION)
    if not settings.allow_server_paths():
        if current != HIDDEN:
            configured[:] = [current]
            st.set_option(OPTION, HIDDEN)
    elif configured:  # the setting is read when asked (tests change it): the configured value comes back
        st.set_option(OPTION, configured.pop())
    return st.get_option(OPTION)
