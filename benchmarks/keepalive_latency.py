"""Static files over one kept-alive connection vs a new connection each, from one `streamlit run`.

A browser fetches a page's 100-odd files over a few kept-alive connections. With Nagle's algorithm on
the server's sockets each of those responses waited for the browser's delayed ACK (40 ms); app.py now
turns it off. Ratio kept-alive / new connection: about 1 when fixed, about 12 before (44 vs 3 ms).

    python -m benchmarks.keepalive_latency
"""

from __future__ import annotations

import asyncio
import http.client
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.harness.protocol import host_of, record_static_files
from benchmarks.harness.server import start_server, stop_server


def milliseconds_per_file(netloc: str, paths: list[str], keep_alive: bool) -> float:
    """Return the mean milliseconds to fetch each path, over one connection or a new one each."""
    connection = http.client.HTTPConnection(netloc, timeout=60)
    started = time.perf_counter()
    for path in paths:
        if not keep_alive:
            connection.close()
            connection = http.client.HTTPConnection(netloc, timeout=60)
        connection.request("GET", path)
        connection.getresponse().read()
    connection.close()
    return (time.perf_counter() - started) / len(paths) * 1000


def main() -> None:
    """Start the app, open Convolution once in Chromium, then time its static files both ways, alternating."""
    with tempfile.TemporaryDirectory() as root:
        process, url = start_server(Path(root) / "runs", Path(root) / "datasets")
        try:
            paths = [path for path in asyncio.run(record_static_files(url)) if "/static/" in path]
            netloc = host_of(url)
            kept, fresh = [], []
            for _ in range(5):
                kept.append(milliseconds_per_file(netloc, paths, keep_alive=True))
                fresh.append(milliseconds_per_file(netloc, paths, keep_alive=False))
        finally:
            stop_server(process)
    kept_ms, fresh_ms = statistics.median(kept), statistics.median(fresh)
    print(f"{len(paths)} static files, median of 5 rounds")
    print(f"kept-alive connection: {kept_ms:.1f} ms per file; new connection each: {fresh_ms:.1f} ms per file")
    ratio = kept_ms / fresh_ms
    print(f"ratio kept-alive / new connection = {ratio:.2f} ({'ok' if ratio < 2 else 'Nagle is back'})")


if __name__ == "__main__":
    main()
