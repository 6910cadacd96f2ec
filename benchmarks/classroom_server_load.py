"""The server alone under a class: N sessions speaking Streamlit's own protocol while one training runs.

classroom_load.py puts N Chromiums on the same 2 cores as the server, and there the browsers' own
work (some 3 CPU-seconds per page opened, on a student's own machine in a real class) decides the
result. This benchmark asks of the server exactly what those browsers ask, and nothing else: each
session downloads the static files a real Chromium fetched for its first visit, opens the
websocket, runs Convolution, steps the kernel (the fragment rerun the slider sends), runs
Augmentation and downloads its 9 pictures. Each step is timed from the request to the last byte
of the answer. Training images/s and each side's CPU are measured as in classroom_load.py.

    python -m benchmarks.classroom_server_load --sessions 1 5 10 20
"""

from __future__ import annotations

import asyncio
import http.client
import re
import time
import urllib.parse
from pathlib import Path

import websockets
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from benchmarks import protocol_students
from benchmarks.classroom_load import measure_classes, parse_session_counts, run_beside_training

ROOT = Path(__file__).resolve().parents[1]

MEDIA_URL = re.compile(rb"/media/[0-9a-zA-Z_.-]+")
STEPS = ["static files (first visit)", "open Convolution", "step the kernel", "open Augmentation"]


async def record_static_files(url: str) -> list[str]:
    """Return every URL a fresh Chromium fetches from the server to open Convolution (pictures aside)."""
    return [url + path for path in await protocol_students.record_static_files(url)]


def download_over_one_connection(url: str, paths: list[str]) -> int:
    """Fetch paths one after another over one kept-alive connection, as a browser does; return bytes received."""
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(url).netloc, timeout=300)
    received = 0
    try:
        for path in paths:
            connection.request("GET", path, headers={"Accept-Encoding": "gzip, br"})
            received += len(connection.getresponse().read())  # a few are 404s for the browser too
    finally:
        connection.close()
    return received


async def download_all(url: str, addresses: list[str]) -> None:
    """Fetch URLs over six parallel kept-alive connections, as a browser does per host."""
    paths = [address.removeprefix(url) for address in addresses]
    await asyncio.gather(
        *(asyncio.to_thread(download_over_one_connection, url, paths[lane::6]) for lane in range(6) if paths[lane::6])
    )


class Session:
    """One student's websocket session, driven without a browser."""

    def __init__(self, websocket, url: str) -> None:
        self.websocket, self.url = websocket, url

    async def rerun(self, page_name: str, widgets: list[WidgetState] = (), fragment_id: str = "") -> list[ForwardMsg]:
        """Ask for a script (or fragment) run and return every message until it finishes; fail on an exception."""
        message = BackMsg()
        message.rerun_script.page_name = page_name
        message.rerun_script.fragment_id = fragment_id
        message.rerun_script.widget_states.widgets.extend(widgets)
        await self.websocket.send(message.SerializeToString())
        answers = []
        while True:
            answer = ForwardMsg()
            answer.ParseFromString(await self.websocket.recv())
            answers.append(answer)
            if answer.HasField("delta") and answer.delta.new_element.WhichOneof("type") == "exception":
                raise RuntimeError(f"{page_name}: {answer.delta.new_element.exception.message}")
            if answer.WhichOneof("type") == "script_finished":
                return answers

    async def download_media(self, answers: list[ForwardMsg]) -> int:
        """Fetch every picture the answers point to, as the browser does; return how many."""
        found = {match.decode() for answer in answers for match in MEDIA_URL.findall(answer.SerializeToString())}
        await download_all(self.url, [self.url + path for path in sorted(found)])
        return len(found)


def find_step_slider(answers: list[ForwardMsg]) -> tuple[str, str]:
    """Return the Convolution step slider's widget id and the id of the fragment that draws it."""
    for answer in answers:
        element = answer.delta.new_element
        if element.WhichOneof("type") == "slider" and element.slider.id.endswith("convolution_step"):
            return element.slider.id, answer.delta.fragment_id
    raise RuntimeError("the Convolution page showed no step slider")


def text_of(answers: list[ForwardMsg]) -> str:
    """Return all markdown the answers carry."""
    return "\n".join(answer.delta.new_element.markdown.body for answer in answers if answer.HasField("delta"))


async def student(url: str, static_files: list[str], timings: dict[str, list[float]]) -> None:
    """One student: download the static files, open Convolution, step the kernel, open Augmentation."""
    started = time.perf_counter()
    await download_all(url, static_files)
    timings["static files (first visit)"].append(time.perf_counter() - started)
    started = time.perf_counter()
    address = url.replace("http://", "ws://") + "/_stcore/stream"
    async with websockets.connect(address, subprotocols=["streamlit"], max_size=None) as websocket:
        session = Session(websocket, url)
        answers = await session.rerun("convolution")
        await session.download_media(answers)
        assert "Step 1 of 9" in text_of(answers)
        timings["open Convolution"].append(time.perf_counter() - started)

        started = time.perf_counter()
        slider_id, fragment_id = find_step_slider(answers)
        step = WidgetState(id=slider_id)
        step.double_array_value.data.append(2)
        answers = await session.rerun("convolution", [step], fragment_id)
        assert "Step 2 of 9" in text_of(answers)
        timings["step the kernel"].append(time.perf_counter() - started)

        started = time.perf_counter()
        answers = await session.rerun("augmentation")
        if await session.download_media(answers) < 9:
            raise RuntimeError("Augmentation showed fewer than 9 pictures")
        timings["open Augmentation"].append(time.perf_counter() - started)


def main() -> None:
    """Measure each class size with protocol-level sessions."""
    session_counts = parse_session_counts()

    async def measure(url: str, folder: Path, server_pid: int) -> None:
        static_files = await record_static_files(url)
        print(f"a fresh Chromium fetched {len(static_files)} static files to open Convolution")
        await measure_classes(
            folder, server_pid, session_counts, STEPS, lambda timings: student(url, static_files, timings)
        )

    run_beside_training(measure)


if __name__ == "__main__":
    main()
