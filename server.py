"""What serving the app needs and CNNs don't: socket options and a garbage-collector freeze for Streamlit."""

from __future__ import annotations

import gc
import os
import socket
import stat
import sys
import threading
import time

FREEZE_LOCK = threading.Lock()
modules_at_last_freeze = 0


def is_imported(name: str) -> bool:
    """Return whether a module is imported whole: not absent, and not still running its top level on another
    thread (a background import puts the module in sys.modules before its attributes exist)."""
    module = sys.modules.get(name)
    return module is not None and not getattr(getattr(module, "__spec__", None), "_initializing", False)


def freeze_after_keras_import() -> bool:
    """Hide every object alive now from the garbage collector once Keras is imported, and again after
    each run that loaded new modules (plotly, pandas); return if it did."""
    # Streamlit calls keras.backend.clear_session() after every script run once Keras is loaded, and that
    # runs gc.collect() over TensorFlow's hundreds of thousands of objects, holding the GIL for every session.
    # After gc.freeze() the collector skips those long-lived module objects. Modules loaded later are frozen
    # when they appear. The check is len(sys.modules), not gc.get_freeze_count(), which walks the frozen
    # objects every run (BENCHMARKS.md, "Measurements behind the code").
    global modules_at_last_freeze
    if not is_imported("keras") or len(sys.modules) <= modules_at_last_freeze:
        return False
    with FREEZE_LOCK:
        if len(sys.modules) <= modules_at_last_freeze:
            return False  # another session's run froze them a moment ago
        gc.collect()
        gc.freeze()
        modules_at_last_freeze = len(sys.modules)
    return True


COLLECTION_INTERVAL_SECONDS = 2.0
last_collection = 0.0


def throttle_collection_in_keras_clear_session() -> bool:
    """Make the keras.backend.clear_session() Streamlit calls after every script run collect garbage at most
    every COLLECTION_INTERVAL_SECONDS, not after every run; return whether it changed it."""
    # Streamlit resets Keras's global state after each run of every session, and Keras then runs a full
    # collection over every object not frozen: sessions, cached models and uploads, a large share of the
    # server's CPU in a class soak (Streamlit's own postScriptGC is off in .streamlit/config.toml). With no
    # collection at all, memory grew: cycles holding pictures waited for Python's thresholds. One every 2 s
    # keeps both down (BENCHMARKS.md, "Measurements behind the code").
    keras = sys.modules.get("keras")
    if not is_imported("keras") or getattr(keras.backend.clear_session, "throttled", False):
        return False
    original = keras.backend.clear_session

    def clear_session(free_memory: bool = True) -> None:
        global last_collection
        original(free_memory=False)
        if free_memory and time.monotonic() - last_collection >= COLLECTION_INTERVAL_SECONDS:
            last_collection = time.monotonic()
            gc.collect()

    clear_session.throttled = True
    keras.backend.clear_session = clear_session
    return True


# How long a thread holds the GIL while another waits for it. A class's 30 sessions run their scripts on
# threads of one process; a thread that let the GIL go for a TensorFlow op or a socket write waits up to
# this long to get it back from a thread busy in Python, at every op (Python's default is 5 ms).
SWITCH_INTERVAL_SECONDS = 0.001


def shorten_switch_interval() -> float:
    """Hand the GIL on after 1 ms instead of 5, so a page's many short waits add up to less under a class."""
    sys.setswitchinterval(SWITCH_INTERVAL_SECONDS)
    return sys.getswitchinterval()


def set_tcp_nodelay_on_all_sockets() -> int:
    """Turn Nagle's algorithm off on every TCP socket of this process (listeners pass it on); return how many."""
    # Streamlit 1.67 creates its listening socket with proto 0, so asyncio's own TCP_NODELAY step skips every
    # connection accepted from it. Nagle then holds each response body back until the browser's delayed ACK:
    # a delayed ACK per file on a kept-alive connection, and opening a page fetches over a hundred files
    # (BENCHMARKS.md, "Measurements behind the code").
    try:
        descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:  # no /proc (not Linux): leave the sockets as they are
        return 0
    changed = 0
    for descriptor in descriptors:
        try:
            if not stat.S_ISSOCK(os.fstat(descriptor).st_mode):
                continue
            with socket.socket(fileno=os.dup(descriptor)) as duplicate:  # closing the duplicate keeps the original
                if duplicate.type == socket.SOCK_STREAM and duplicate.family in (socket.AF_INET, socket.AF_INET6):
                    duplicate.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                    changed += 1
        except OSError:  # closed meanwhile, or not a TCP socket after all
            continue
    return changed


def import_in_background(names: tuple[str, ...] = ("pandas",), then: tuple[str, ...] = ()) -> threading.Thread:
    """Import, on a thread of their own, modules that Streamlit loads only when a page first needs them, then
    call the functions `then` names ("module:function"), e.g. one that reads a dataset's files once."""

    # Streamlit 1.67 imports pandas at the first st.dataframe or st.table of the server, inside that page's
    # run: on the Train page the first run after Start, and the curve waited for it (BENCHMARKS.md).
    def import_all() -> None:
        for name in names:
            __import__(name)
        for name in then:
            module, function = name.split(":")
            getattr(sys.modules[module], function)()

    thread = threading.Thread(target=import_all, name="cnnviz-preload", daemon=True)
    thread.start()
    return thread


SESSION_SWEEP_SECONDS = 10.0  # how often the closed tabs' sessions whose reconnection time ran out are ended


def shut_down_expired_sessions() -> int:
    """End the closed tabs' sessions whose reconnection time (server.disconnectedSessionTTL) ran out; return how many.

    Streamlit only forgets such a session, and only when it next stores another one: it never shuts it down, so
    the session's event loop (a socket pair and an epoll) stays open until the garbage collector frees it, which,
    with the class gone, nothing makes happen (BENCHMARKS.md, "A whole lesson, every page"). This reads Streamlit's
    private session storage: must run on its event loop thread; where the storage moved it does nothing.
    """
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return 0
    storage = getattr(
        getattr(getattr(Runtime.instance(), "_session_mgr", None), "_session_storage", None), "_cache", None
    )
    expire = getattr(storage, "expire", None)
    if expire is None:
        return 0
    expired = expire()
    for _session_id, session_info in expired:
        session_info.session.shutdown()
    if expired:
        gc.collect()  # the ended sessions' event loops close as they are freed
    return len(expired)


def sweep_sessions_in_background(interval: float = SESSION_SWEEP_SECONDS) -> threading.Thread:
    """Every `interval` seconds, have Streamlit's event loop end the sessions whose reconnection time ran out."""
    from streamlit.runtime import Runtime

    def sweep_forever() -> None:
        while True:
            time.sleep(interval)
            objects = getattr(Runtime.instance(), "_async_objs", None) if Runtime.exists() else None
            if objects is not None and not objects.eventloop.is_closed():
                objects.eventloop.call_soon_threadsafe(shut_down_expired_sessions)

    thread = threading.Thread(target=sweep_forever, name="cnnviz-session-sweep", daemon=True)
    thread.start()
    return thread
