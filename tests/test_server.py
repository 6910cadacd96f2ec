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


def test_freezing_happens_again_only_when_modules_were_added(monkeypatch):
    import keras  # noqa: F401 - freezing starts once Keras is loaded

    monkeypatch.setattr(server, "modules_at_last_freeze", 0)
    assert server.freeze_after_keras_import() is True and gc.get_freeze_count() > 100_000
    assert server.freeze_after_keras_import() is False, "nothing new loaded: no second collection"
    monkeypatch.setitem(sys.modules, "cnnviz_test_new_module", type(sys)("cnnviz_test_new_module"))
    assert server.freeze_after_keras_import() is True, "a new module's objects are long-lived too"
    gc.unfreeze()  # leave this test process's collector as it found it


def test_the_keras_reset_streamlit_makes_after_each_run_collects_at_most_every_two_seconds(monkeypatch):
    import keras
    from keras.src.backend.common import global_state

    # Keras's own function (an AppTest run of app.py in this process may have wrapped it already); the
    # attribute is restored afterwards.
    monkeypatch.setattr(keras.backend, "clear_session", global_state.clear_session)
    assert server.throttle_collection_in_keras_clear_session() is True
    assert server.throttle_collection_in_keras_clear_session() is False, "wrapped once"
    collections = []
    monkeypatch.setattr(gc, "collect", lambda *arguments: collections.append(arguments) or 0)
    monkeypatch.setattr(server, "last_collection", 0.0)
    keras.layers.Dense(3)  # takes the name "dense": clear_session resets the names Keras hands out
    keras.backend.clear_session()
    assert keras.layers.Dense(3).name == "dense", "the reset itself happens every time"
    for _ in range(5):
        keras.backend.clear_session()  # five more script runs within the same two seconds
    assert len(collections) == 1, "one full collection, not six"
    monkeypatch.setattr(server, "last_collection", server.last_collection - server.COLLECTION_INTERVAL_SECONDS)
    keras.backend.clear_session()
    assert len(collections) == 2, "the next run after the interval collects again"
