"""The Streamlit-server tweaks in server.py."""

import gc
import socket
import sys

import server


def test_tcp_nodelay_reaches_listeners_made_like_streamlits_and_what_they_accept():
    # Streamlit binds with proto 0, which makes asyncio skip its own TCP_NODELAY step.
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    with listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        assert listener.proto == 0 and listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        assert server.set_tcp_nodelay_on_all_sockets() >= 1
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        with socket.create_connection(listener.getsockname()):
            accepted, _ = listener.accept()
            with accepted:
                assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 1
        listener.getsockname()  # the original socket is still open: only its duplicate was closed


def test_nothing_is_frozen_before_keras_is_imported(monkeypatch):
    monkeypatch.delitem(sys.modules, "keras", raising=False)
    frozen = gc.get_freeze_count()
    assert server.freeze_after_keras_import() is False
    assert gc.get_freeze_count() == frozen
