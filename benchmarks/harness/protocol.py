"""A browser tab without a browser: Streamlit 1.67's websocket protocol, its file uploads and its media, in asyncio.

A tab fetches the XSRF cookie as the browser's first request does, opens the websocket, asks for script
and fragment runs with widget states, uploads files the way st.file_uploader's frontend does (a
FileURLsRequest BackMsg, an HTTP PUT of a multipart form to the URL the server answers, then the
widget's FileUploaderState in the next rerun), and downloads every picture an answer points to. Static
files are fetched as a browser does: over six kept-alive connections per host. The states a tab sends for one
widget (a click, a value, a selection) are built in widget_states.py.

Every way a tab can fail raises TabProblem with its kind, so a benchmark can count them:
`exception` (an exception element in a ForwardMsg, or a widget the page did not draw), `upload` (a PUT
refused, or the page not showing the upload), `media` (a picture not served), `closed` (the websocket
ended) and `timeout`.
"""

from __future__ import annotations

import asyncio
import http.client
import json
import re
import urllib.parse
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import websockets
from playwright.async_api import async_playwright, expect
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.Common_pb2 import FileURLs
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

from benchmarks.harness.chromium import launch_chromium

MEDIA_URL = re.compile(rb"/media/[0-9a-zA-Z_.-]+")
XSRF_COOKIE = "_streamlit_xsrf"
# A browser opens up to six connections per host; a tab's pictures are fetched over that many.
CONNECTIONS_PER_TAB = 6
# Downloads and uploads are blocking http.client calls in threads: enough of them that 30 tabs never
# queue behind each other in the client, which would be counted as the server's slowness.
HTTP_THREADS = 128
HTTP_POOL = ThreadPoolExecutor(max_workers=HTTP_THREADS, thread_name_prefix="tab-http")


class TabProblem(RuntimeError):
    """A tab saw what a student would call broken: an exception, a failed upload, a closed socket, a timeout."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(f"{kind}: {message}")
        self.kind = kind


@dataclass(frozen=True)
class Widget:
    """A widget as the server drew it: its id and the fragment (if any) that draws it."""

    widget_id: str
    fragment_id: str
    element_type: str


async def record_static_files(url: str) -> list[str]:
    """Return the paths a fresh Chromium fetches from the server to open Convolution (pictures aside)."""
    async with async_playwright() as playwright:
        browser = await launch_chromium(playwright)
        page = await browser.new_page()
        fetched: list[str] = []
        page.on("request", lambda request: fetched.append(request.url))
        await page.goto(f"{url}/convolution")
        await expect(page.locator("[data-grid=input] [data-cell]")).to_have_count(25, timeout=120_000)
        await browser.close()
    return [address.removeprefix(url) for address in fetched if address.startswith(url) and "/media/" not in address]


def host_of(url: str) -> str:
    """Return the host:port part of an http URL."""
    return urllib.parse.urlsplit(url).netloc


def fetch_xsrf_cookie(url: str) -> str:
    """Return the XSRF cookie the server sets on its health check, as a browser's first request gets it."""
    connection = http.client.HTTPConnection(host_of(url), timeout=60)
    try:
        connection.request("GET", "/_stcore/health")
        response = connection.getresponse()
        response.read()
        cookie = response.getheader("Set-Cookie") or ""
    finally:
        connection.close()
    match = re.search(rf"{XSRF_COOKIE}=([^;]+)", cookie)
    if match is None:
        raise TabProblem("upload", "the server set no XSRF cookie, so uploads cannot be signed")
    return match.group(1)


def download_over_one_connection(url: str, paths: list[str]) -> int:
    """Fetch paths one after another over one kept-alive connection; return bytes received."""
    connection = http.client.HTTPConnection(host_of(url), timeout=120)
    received = 0
    try:
        for path in paths:
            connection.request("GET", path, headers={"Accept-Encoding": "gzip, br"})
            response = connection.getresponse()
            received += len(response.read())  # a few static files are 404s for the browser too
            if path.startswith("/media/") and response.status != 200:
                raise TabProblem("media", f"{path} answered {response.status}")
    finally:
        connection.close()
    return received


async def download_all(url: str, paths: list[str]) -> None:
    """Fetch paths over six parallel kept-alive connections, as a browser does per host."""
    loop = asyncio.get_running_loop()
    lanes = [paths[lane::CONNECTIONS_PER_TAB] for lane in range(CONNECTIONS_PER_TAB)]
    await asyncio.gather(
        *(loop.run_in_executor(HTTP_POOL, download_over_one_connection, url, lane) for lane in lanes if lane)
    )


def multipart_body(file_name: str, data: bytes, content_type: str) -> tuple[bytes, str]:
    """Return a one-file multipart/form-data body and its Content-Type, as the uploader's FormData sends."""
    boundary = f"----cnnviz{uuid.uuid4().hex}"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{file_name}"\r\n'
        f"Content-Type: {content_type}\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


def put_file(url: str, upload_path: str, xsrf: str, file_name: str, data: bytes, content_type: str) -> int:
    """PUT one file to Streamlit's upload endpoint, signed with the XSRF cookie and header; return the status."""
    body, body_type = multipart_body(file_name, data, content_type)
    connection = http.client.HTTPConnection(host_of(url), timeout=120)
    try:
        headers = {"Content-Type": body_type, "X-Xsrftoken": xsrf, "Cookie": f"{XSRF_COOKIE}={xsrf}", "Origin": url}
        connection.request("PUT", upload_path, body=body, headers=headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def find_widget(answers: list[ForwardMsg], key: str, prefix: bool = False) -> Widget:
    """Return the widget drawn with `key` (Streamlit ends a keyed widget's id with `-<key>`), or whose key starts so."""
    for answer in answers:
        if answer.WhichOneof("type") != "delta" or answer.delta.WhichOneof("type") != "new_element":
            continue
        element = answer.delta.new_element
        element_type = element.WhichOneof("type")
        widget_id = getattr(getattr(element, element_type), "id", "")
        if not isinstance(widget_id, str) or not widget_id:
            continue
        if widget_id.endswith(f"-{key}") or (prefix and f"-{key}" in widget_id):
            return Widget(widget_id, answer.delta.fragment_id, element_type)
    raise TabProblem("exception", f"the page drew no widget with key {key!r}{' (a prefix)' if prefix else ''}")


def chart_spec(answers: list[ForwardMsg], widget: Widget) -> dict:
    """Return the plotly figure a chart widget draws, as the JSON the browser gets."""
    for answer in answers:
        element = answer.delta.new_element
        if element.WhichOneof("type") == "plotly_chart" and element.plotly_chart.id == widget.widget_id:
            return json.loads(element.plotly_chart.spec)
    raise TabProblem("exception", f"no chart {widget.widget_id} among the answers")


def options_of(answers: list[ForwardMsg], widget: Widget) -> list[str]:
    """Return the options a selectbox or radio widget offers, as shown."""
    for answer in answers:
        element = answer.delta.new_element
        if element.WhichOneof("type") == widget.element_type:
            drawn = getattr(element, widget.element_type)
            if drawn.id == widget.widget_id:
                return list(drawn.options)
    return []


def text_of(answers: list[ForwardMsg]) -> str:
    """Return all markdown and captions the answers carry (captions of pictures included)."""
    texts = []
    for answer in answers:
        element = answer.delta.new_element
        texts.append(element.markdown.body)
        texts.extend(picture.caption for picture in element.imgs.imgs)
    return "\n".join(texts)


def media_paths(answers: list[ForwardMsg]) -> list[str]:
    """Return every /media/ path the answers point to, once each."""
    return sorted({match.decode() for answer in answers for match in MEDIA_URL.findall(answer.SerializeToString())})


def last_run(answers: list[ForwardMsg]) -> list[ForwardMsg]:
    """Return the answers of the last script run (a run that ended early for st.rerun is replaced by the next)."""
    ends = [number for number, answer in enumerate(answers) if is_early_end(answer)]
    return answers[ends[-1] + 1 :] if ends else answers


def is_early_end(answer: ForwardMsg) -> bool:
    """Return whether a message ends a script run cut short by st.rerun or st.switch_page."""
    return (
        answer.WhichOneof("type") == "script_finished" and answer.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN
    )


def is_run_end(answer: ForwardMsg) -> bool:
    """Return whether a message ends a script run for good (not one st.rerun cut short)."""
    return answer.WhichOneof("type") == "script_finished" and not is_early_end(answer)


def query_string_of(answers: list[ForwardMsg]) -> str | None:
    """Return the address's query string the page last set (st.query_params), if it set one."""
    changed = [answer.page_info_changed.query_string for answer in answers if answer.HasField("page_info_changed")]
    return changed[-1] if changed else None


class Tab:
    """One student's browser tab: one websocket session on the server, driven without a browser."""

    def __init__(self, url: str, xsrf: str, websocket) -> None:
        self.url, self.xsrf, self.websocket = url, xsrf, websocket
        self.session_id = ""
        # As the browser's widget manager: every rerun carries the page's widgets as last set (a widget left
        # out of a rerun falls back to its default), a button's click only in the run it starts.
        self.page_name = ""
        self.widget_states: dict[str, WidgetState] = {}

    @classmethod
    async def open(cls, url: str) -> Tab:
        """Open a tab: the XSRF cookie, then the websocket with the token as its second subprotocol."""
        loop = asyncio.get_running_loop()
        xsrf = await loop.run_in_executor(HTTP_POOL, fetch_xsrf_cookie, url)
        websocket = await websockets.connect(
            url.replace("http://", "ws://") + "/_stcore/stream",
            subprotocols=["streamlit", xsrf],
            additional_headers={"Cookie": f"{XSRF_COOKIE}={xsrf}", "Origin": url},
            max_size=None,
            ping_interval=None,  # browsers send no websocket pings; the server's own keepalive is what is tested
        )
        return cls(url, xsrf, websocket)

    async def close(self) -> None:
        """Close the tab's websocket (the server keeps the session for its disconnected-session TTL)."""
        await self.websocket.close()

    async def receive_until(self, is_last: Callable[[ForwardMsg], bool]) -> list[ForwardMsg]:
        """Return the messages up to the one `is_last` accepts; an exception element or a closed socket raises."""
        answers = []
        while True:
            try:
                raw = await self.websocket.recv()
            except websockets.ConnectionClosed as closed:
                raise TabProblem("closed", f"the websocket closed ({closed})") from closed
            answer = ForwardMsg()
            answer.ParseFromString(raw)
            answers.append(answer)
            if answer.WhichOneof("type") == "new_session":
                self.session_id = answer.new_session.initialize.session_id or self.session_id
            if answer.HasField("delta") and answer.delta.new_element.WhichOneof("type") == "exception":
                raise TabProblem("exception", answer.delta.new_element.exception.message[:300])
            if is_last(answer):
                return answers

    async def send(self, message: BackMsg) -> None:
        """Send one BackMsg; a closed socket raises TabProblem."""
        try:
            await self.websocket.send(message.SerializeToString())
        except websockets.ConnectionClosed as closed:
            raise TabProblem("closed", f"the websocket closed ({closed})") from closed

    async def rerun(
        self,
        page_name: str,
        widgets: list[WidgetState] = (),
        fragment_id: str = "",
        query_string: str = "",
        fresh: bool = False,
    ) -> list[ForwardMsg]:
        """Ask for a script (or fragment) run with these widget states; return every message until it finishes.

        The page's other widgets keep what they were last set to, unless `fresh` (a page opened anew) or the
        page is another one. A run the page cuts short with st.rerun or st.switch_page is followed by the next.
        """
        if fresh or page_name != self.page_name:
            self.page_name, self.widget_states = page_name, {}
        states = {**self.widget_states, **{state.id: state for state in widgets}}
        self.widget_states = {key: state for key, state in states.items() if not state.HasField("trigger_value")}
        message = BackMsg()
        message.rerun_script.page_name = page_name
        message.rerun_script.fragment_id = fragment_id
        message.rerun_script.query_string = query_string
        message.rerun_script.widget_states.widgets.extend(states.values())
        await self.send(message)
        return await self.receive_until(is_run_end)

    async def request_upload_urls(self, file_names: list[str]) -> list[FileURLs]:
        """Ask the session where to PUT files, as the uploader's frontend does before an upload."""
        message = BackMsg()
        request_id = uuid.uuid4().hex
        message.file_urls_request.request_id = request_id
        message.file_urls_request.session_id = self.session_id
        message.file_urls_request.file_names.extend(file_names)
        await self.send(message)
        answers = await self.receive_until(
            lambda answer: (
                answer.WhichOneof("type") == "file_urls_response"
                and answer.file_urls_response.response_id == request_id
            )
        )
        urls = list(answers[-1].file_urls_response.file_urls)
        if len(urls) != len(file_names):
            raise TabProblem("upload", f"the server gave {len(urls)} upload URLs for {len(file_names)} files")
        return urls

    async def upload(self, widget: Widget, file_name: str, data: bytes, content_type: str) -> WidgetState:
        """Upload one file for a file_uploader (or camera_input) widget; return the state the next rerun carries."""
        return await self.upload_many(widget, [(file_name, data)], content_type)

    async def upload_many(self, widget: Widget, files: list[tuple[str, bytes]], content_type: str) -> WidgetState:
        """Upload files at once for a multiple-file uploader; return the widget state the next rerun must carry."""
        all_urls = await self.request_upload_urls([name for name, _ in files])
        loop = asyncio.get_running_loop()
        statuses = await asyncio.gather(
            *(
                loop.run_in_executor(
                    HTTP_POOL, put_file, self.url, urls.upload_url, self.xsrf, name, data, content_type
                )
                for urls, (name, data) in zip(all_urls, files)
            )
        )
        refused = [name for (name, _), status in zip(files, statuses) if status != 204]
        if refused:
            raise TabProblem("upload", f"PUT {', '.join(refused)} answered {sorted(set(statuses))}")
        state = WidgetState(id=widget.widget_id)
        for urls, (name, data) in zip(all_urls, files):
            info = state.file_uploader_state_value.uploaded_file_info.add()
            info.file_id, info.name, info.size = urls.file_id, name, len(data)
            info.file_urls.CopyFrom(urls)
        return state

    async def download_media(self, answers: list[ForwardMsg]) -> int:
        """Fetch every picture the last run's answers point to, as the browser does; return how many."""
        paths = media_paths(last_run(answers))
        await download_all(self.url, paths)
        return len(paths)
