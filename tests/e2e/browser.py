"""The browser tests' names for the harness's server launcher and Chromium (benchmarks/harness), which they share."""

from benchmarks.harness.chromium import CHROMIUM, CHROMIUM_ARGS, launch_chromium
from benchmarks.harness.server import ROOT, ServerDidNotStart, start_server, stop_server

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "ROOT", "ServerDidNotStart", "launch_chromium", "start_server", "stop_server"]
