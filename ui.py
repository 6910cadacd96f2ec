"""Streamlit helpers the pages share: typed grids that keep their last good value, step players, a run's
state line and its downloads."""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from typing import TypeVar

import numpy as np
import streamlit as st

from cnnviz import errors
from cnnviz.learning import exporting
from cnnviz.lesson import convolution, links
from cnnviz.runtime import jobs, runs
from cnnviz.runtime.runs import Run, RunState

PLAY_INTERVAL_SECONDS = 0.8


@contextmanager
def explained_errors(stop: bool = True, prefix: str = "", place=None) -> Iterator[None]:
    """Show a CnnvizError raised in the block as an error box (its message says the next step); stop the page there.

    With stop=False the page goes on after the box: the block's own results are then missing, so set defaults first.
    """
    try:
        yield
    except errors.CnnvizError as error:
        (place or st).error(f"{prefix}{error}")
        if stop:
            st.stop()


def next_step(page_path: str, label: str) -> None:
    """End a page with a link to the next step of the lesson."""
    st.divider()
    st.page_link(page_path, label=label, icon=":material/arrow_forward:")


def read_grid(key: str, name: str, default: np.ndarray, max_size: int = 10) -> np.ndarray:
    """Return the grid typed in text area `key`; on a bad edit show why and keep the last good grid."""
    last_good_key = f"{key}_last_good"
    st.session_state.setdefault(last_good_key, default)
    try:
        values = convolution.parse_grid(st.session_state[key], name, max_size)
    except errors.CnnvizError as error:
        st.error(f"{error} Still using the last good {name}; fix the text to update it.")
        return st.session_state[last_good_key]
    st.session_state[last_good_key] = values
    return values


def keep_settings(page: str, names: list[str]) -> None:
    """Keep a page's settings while a person visits other pages (call before the widgets).

    Streamlit forgets a widget's value at the end of a run that did not draw it, so coming back to a page
    reset its stride and padding. A copy under another key survives, and refills the widget's key when
    Streamlit has dropped it.
    """
    for name in names:
        key, kept = f"{page}_{name}", f"kept_{page}_{name}"
        if key in st.session_state:
            st.session_state[kept] = st.session_state[key]
        elif kept in st.session_state:
            st.session_state[key] = st.session_state[kept]


PICKED_RUN = "picked_run"  # the run a student last picked on Predict, Mistakes or Network: the others open on it


def run_picker(column, label: str, choices: dict[str, str], key: str, default: Callable[[], str]) -> str:
    """Draw a model page's run picker (choices: id → label) on the run this student last picked on any model page,
    else the picker's own, else `default()`; return the chosen id.

    Streamlit forgets a widget's value on a page that did not draw it, so a student who picked their run on
    Mistakes found Network on the best finished run again, and had to pick theirs on every page, every round.
    """
    picked = st.session_state.get(PICKED_RUN)
    if picked in choices:
        st.session_state[key] = picked
    elif st.session_state.get(key) not in choices:
        st.session_state[key] = default()
    return column.selectbox(
        label, list(choices), format_func=choices.get, key=key, on_change=remember_picked_run, args=(key,)
    )


def remember_picked_run(key: str) -> None:
    """Remember the run just picked in the picker `key`, for the other model pages (a widget's on_change)."""
    st.session_state[PICKED_RUN] = st.session_state[key]


def setting(key: str, default):
    """Return a settings widget's current value (`default` the first time); create the widget with it as its value.

    The browser mounts a widget inside a popover only when the popover first opens, and then shows, and sends
    back, the value the widget was created with. Created with its default, a text area came back empty after
    Play and a stride kept across pages came back as 1 (seen in Chromium); created with the current value,
    it comes back right.
    """
    return st.session_state.setdefault(key, default)


def preload_charts() -> None:
    """Draw an empty 10-pixel chart (plotly's least), so the browser fetches its chart library (megabytes of
    JavaScript) while a person reads this page, not when the first page with a chart opens."""
    import plotly.graph_objects as go

    empty = go.Figure(layout=dict(height=10, margin=dict(l=0, r=0, t=0, b=0), xaxis_visible=False, yaxis_visible=False))
    st.plotly_chart(empty, config={"staticPlot": True, "displayModeBar": False}, key="preload_charts")


@st.cache_resource(max_entries=128, show_spinner=False)
def shared_figure(key: tuple, _build: Callable[[], object]):
    """Return the figure `_build` makes, built once per key for every student (a figure is never changed once drawn).

    Plotly checks every property as a figure is built: the Mistakes gallery and the Network overview took a
    fifth of a class server's CPU being built again on every rerun (BENCHMARKS.md, "Where a lesson's time went").
    """
    return _build()


Value = TypeVar("Value")


class SharedCache:
    """Values kept for every student up to a total size in bytes, the least recently used dropped first.

    `st.cache_data(max_entries=…)` counts entries, not bytes, and copies each value out on every hit; values
    whose size varies 16-fold with the model need a bound in bytes (BENCHMARKS.md, "A whole lesson, every page")."""

    def __init__(self, max_bytes: int) -> None:
        self.max_bytes, self.held = max_bytes, 0
        self.entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
        self.lock = threading.Lock()  # every session's script thread shares this cache

    def get_or_make(self, key: Hashable, make: Callable[[], Value], size_of: Callable[[Value], int]) -> Value:
        """Return the value kept for `key`, else make it (outside the lock: others' hits do not wait) and keep it."""
        with self.lock:
            if key in self.entries:
                self.entries.move_to_end(key)
                return self.entries[key][0]
        value = make()
        size = size_of(value)
        with self.lock:
            if key not in self.entries and size <= self.max_bytes:
                self.entries[key] = (value, size)
                self.held += size
                while self.held > self.max_bytes:
                    _, (_, dropped) = self.entries.popitem(last=False)
                    self.held -= dropped
        return value


@st.cache_resource(show_spinner=False)
def shared_cache(name: str, max_bytes: int) -> SharedCache:
    """Return the server's one SharedCache of this name (values in it are never changed once made)."""
    return SharedCache(max_bytes)


def large_text(text: str) -> None:
    """Show a sentence a class reads from the back of the room (20 px; escaped: class names come from folders)."""
    st.html(f"<p style='font-size:20px;line-height:1.35;margin:0 0 0.4rem 0'>{html.escape(text)}</p>")


def stack_when_narrow(key: str, below_pixels: int = 1100, column_width: str = "100%") -> None:
    """Let the columns of the row directly inside container `key` wrap under a narrow window (a projector at 150%
    zoom), each at least `column_width` wide: a picture gets the whole width there instead of a third, a button room
    for its label. Rows nested inside those columns keep their own layout."""
    row = f".st-key-{key} > [data-testid='stLayoutWrapper'] > [data-testid='stHorizontalBlock']"
    st.html(
        f"<style>@media (max-width:{below_pixels}px){{{row}{{flex-wrap:wrap}}"
        f"{row} > [data-testid='stColumn']{{min-width:{column_width}}}}}</style>"
    )


def buttons_keep_their_labels(key: str, select_width: str = "9rem") -> None:
    """Give the buttons (and popovers) in the row of container `key` the width of their labels and the other columns
    the rest, so a narrow window (a projector at 150% zoom) keeps one row with readable buttons; below `select_width`
    a column wraps to the next line instead of shrinking further."""
    row = f".st-key-{key} > [data-testid='stLayoutWrapper'] > [data-testid='stHorizontalBlock']"
    st.html(
        f"<style>{row}{{flex-wrap:wrap}}"
        f"{row} > [data-testid='stColumn']{{flex:1 1 0 !important;min-width:{select_width}}}"
        f"{row} > [data-testid='stColumn']:has([data-testid='stButton'], [data-testid='stPopover'])"
        "{flex:0 0 auto !important;width:auto !important;min-width:auto}</style>"
    )


def title_with_intro(title: str, intro: str) -> None:
    """Draw the page's title with its explanation beside it, not under it: a row less above the picture. The title
    keeps its own width (a narrow window broke 'Compare' in two); the explanation wraps in the rest."""
    row = "[data-testid='stMainBlockContainer'] .st-key-title_row > [data-testid='stLayoutWrapper'] > *"
    st.html(
        f"<style>{row} > [data-testid='stColumn']:first-child{{flex:0 0 auto !important;width:auto !important}}"
        f"{row} > [data-testid='stColumn']:last-child{{flex:1 1 0 !important}}</style>"
    )
    title_column, intro_column = st.container(key="title_row").columns([1, 4], vertical_alignment="center")
    title_column.title(title)
    intro_column.markdown(intro)


def tighten_top() -> None:
    """Trim Streamlit's margins, so the picture that carries the idea fits a projector's first screen: the 6 rem top
    margin always; under a narrow window (a projector at 150% zoom: 960 CSS pixels) also the 5 rem side margins
    and the title's size, which took a sixth of the width and a tenth of the height there, and a quarter of the
    space between elements."""
    st.html(
        "<style>[data-testid='stMainBlockContainer']{padding-top:2.5rem}"
        "@media (max-width:1100px){[data-testid='stMainBlockContainer']{padding-left:1.5rem;padding-right:1.5rem}"
        "[data-testid='stHeading'] h1{font-size:2.25rem;padding:0.5rem 0 0.5rem 0}"
        "[data-testid='stMainBlockContainer'] [data-testid='stVerticalBlock']{gap:0.75rem}}</style>"
    )


def toggle_play(page: str) -> None:
    """Start or pause the animation; starting at the last step begins again from step 1."""
    playing_key, step_key = f"{page}_playing", f"{page}_step"
    st.session_state[playing_key] = not st.session_state.get(playing_key, False)
    if st.session_state[playing_key] and st.session_state.get(step_key, 1) >= st.session_state.get(f"{page}_steps", 1):
        st.session_state[step_key] = 1


def is_playing(page: str) -> bool:
    """Return whether the step animation of `page` is running."""
    return st.session_state.get(f"{page}_playing", False)


def play_button(page: str, num_steps: int) -> None:
    """Draw the Play/Pause button that animates the steps of `page` (material icons: no emoji font needed)."""
    st.session_state[f"{page}_steps"] = num_steps
    playing = is_playing(page)
    st.button(
        "Pause" if playing else "Play",
        icon=":material/pause:" if playing else ":material/play_arrow:",
        key=f"{page}_play",
        on_click=toggle_play,
        args=(page,),
        disabled=num_steps < 2,
    )


def play_interval(page: str) -> float | None:
    """Return the fragment refresh interval: a tick while playing, none while paused (and remember which)."""
    st.session_state[f"{page}_ticking"] = is_playing(page)
    return PLAY_INTERVAL_SECONDS if is_playing(page) else None


def step_slider(page: str, num_steps: int) -> int:
    """Draw the step slider (advancing it one step per tick while playing) and return the 0-based step."""
    step_key = f"{page}_step"
    step = min(max(int(st.session_state.get(step_key, 1)), 1), num_steps)
    if is_playing(page):
        if step >= num_steps:
            st.session_state[f"{page}_playing"] = False
            st.rerun()  # a full rerun, so the page redraws the Play button and stops ticking
        step += 1
    st.session_state[step_key] = step
    if num_steps > 1:
        st.slider("Step", 1, num_steps, key=step_key, label_visibility="collapsed")
    return st.session_state[step_key] - 1


def step_controls(
    page: str, num_steps: int, form: links.LinkForm | None = None, link_values: dict | None = None
) -> int:
    """Draw Play/Pause and the step slider on one row, inside the page's fragment; return the 0-based step.

    With a link form, the row ends with Copy link, and the page's URL follows every step (the fragment reruns alone).
    """
    if form is not None:  # Play and Copy link as wide as their labels (at 150% zoom they shrank to "P…")
        buttons_keep_their_labels(f"{page}_step_row")
    row = st.container(key=f"{page}_step_row")
    play_column, slider_column, *link_column = row.columns(
        [1, 5] + [1.4] * (form is not None), vertical_alignment="center"
    )
    with play_column:
        play_button(page, num_steps)
    if is_playing(page) != st.session_state.get(f"{page}_ticking", False):
        # Play or Pause was pressed inside the fragment: only a full run can start or stop its ticking.
        st.rerun()
    with slider_column:
        index = step_slider(page, num_steps)
    if form is not None:
        with link_column[0]:
            share_link(page, form, {**(link_values or {}), "step": index + 1})
    return index


def open_link(page: str, form: links.LinkForm) -> None:
    """Fill a page's settings from the link it was opened with (call before its widgets and keep_settings).

    Once only: after that the widgets lead and the URL follows them. A link that cannot be read shows one line and
    the defaults; a link to another page (its settings still in the URL) is not read here.
    """
    query = st.query_params.to_dict()
    if not form.is_for_this_page(query) or query == st.session_state.get(f"{page}_link_written"):
        return
    values = form.defaults()
    with explained_errors(stop=False):
        values = form.read(query)
    st.session_state.update({f"{page}_{name}": value for name, value in form.widget_values(values).items()})
    st.session_state[f"{page}_link_written"] = query


def share_link(page: str, form: links.LinkForm, values: dict | None = None) -> None:
    """Put the page's settings in its URL and draw Copy link: the address that opens this same picture.

    Settings not in `values` are read from their widgets (key `<page>_<name>`)."""
    state = {setting.name: st.session_state.get(f"{page}_{setting.name}", setting.default) for setting in form.settings}
    query = form.write(state | (values or {}))
    if st.query_params.to_dict() != query:
        st.query_params.from_dict(query)
    st.session_state[f"{page}_link_written"] = query
    with st.popover("Copy link", icon=":material/link:", width="stretch"):
        st.code(links.page_url(st.context.url, form.page, query), language=None, wrap_lines=True)
        st.caption("This link opens the page with these settings in any browser: copy it with the icon at its right.")


def run_picker_and_state(run: Run, labels: dict[str, str]) -> None:
    """Draw the Train page's run picker beside the shown run's state line (one row less above its curves); picking
    another run reruns the whole page, which then shows that one."""
    picker_column, state_column = st.columns([1, 2], vertical_alignment="center")
    picked = picker_column.selectbox(
        "Run", list(labels), key="train_run", format_func=labels.get, label_visibility="collapsed"
    )
    if picked != run.run_id:
        st.rerun()
    with state_column:
        run_state_line(run)


def run_state_line(run: Run) -> None:
    """Draw a run's state, message and device in one line, with Stop beside it while the run is active."""
    # Stop's column only while it can be pressed, as wide as its label: a finished run's line takes the whole width.
    buttons_keep_their_labels("run_state_line")
    row = st.container(key="run_state_line")
    status_column, stop_column = row.columns([6, 1], vertical_alignment="center") if run.state.is_active else (row, row)
    show = {RunState.FAILED: status_column.error, RunState.FINISHED: status_column.success}
    show = {**show, RunState.STOPPED: status_column.warning}
    show.get(run.state, status_column.info)(f"**{run.state.value}**: {run.message} · {run.describe_device()}")
    if run.state.is_active:
        stop_column.button(
            "Stop",
            key="train_stop",
            icon=":material/stop:",
            on_click=jobs.stop,
            args=(run.run_id,),
            disabled=run.state is RunState.STOPPING,
        )


def run_downloads(run: Run) -> None:
    """Draw a run's model and history downloads and its rename box in one row."""
    model_column, history_column, rename_column = st.columns(3)
    if not run.state.is_active and not run.has_trained_model:
        model_column.caption("No epoch was complete: there is no trained model to download.")
    elif not run.state.is_active:
        model_column.download_button(
            "Download model.keras", data=run.read_model, file_name=f"{run.run_id}.keras", key="train_download_model"
        )
    if run.history:
        history_column.download_button(
            "Download history (CSV)",
            data=run.history_csv(),
            file_name=f"{run.run_id}-history.csv",
            key="train_download_history",
        )
    problem = exporting.export_problem(run.config)
    if problem is None:
        history_column.download_button(
            "Download as a Keras script",
            data=lambda: exporting.export_run(run)[1],
            file_name=f"{run.run_id}.py",
            key="train_download_script",
            help="The network, the data, compile and fit with this run's settings: Keras alone, no cnnviz.",
        )
    else:
        history_column.caption(problem)
    new_label = rename_column.text_input("Rename this run", run.label, key=f"train_rename_{run.run_id}")
    if new_label != run.label:
        with explained_errors(stop=False):
            runs.rename(run.run_id, new_label)
            st.rerun()


def runs_table(refresh: bool) -> None:
    """Draw every run of the server with its state, refreshed every 2 s while `refresh` (a run is active)."""

    @st.fragment(run_every=2.0 if refresh else None)
    def draw() -> None:
        st.subheader("Runs on this server")
        st.dataframe([each.as_row() for each in runs.list_runs()], hide_index=True, width="stretch")

    draw()
