"""One student of the classroom soak, in Streamlit's protocol: the pages a class goes through, round after round.

A round: Convolution (open, then step the kernel three times), Pooling (open, one step), Augmentation
(open, upload a photo of one's own), Datasets (open, its sample pictures), Predict (open, pick "upload",
then upload a photo onto the trained run). Every interaction is timed from the request to the last picture
downloaded; between two, the student thinks for a moment. Every upload is a photo no one sent before
(same pixels, a comment of its own), so any cache keyed on an upload's bytes sees a new key each time.
"""

from __future__ import annotations

import asyncio
import io
import random
import time
from collections import Counter
from collections.abc import Awaitable
from dataclasses import dataclass, field

from PIL import Image

from benchmarks.harness.protocol import (
    Tab,
    TabProblem,
    download_all,
    find_widget,
    options_of,
    slider_state,
    string_state,
    text_of,
)
from cnnviz.data import images

PHOTO_LONG_SIDE = 1200  # a phone photo scaled for the web: about 150-250 kB as JPEG
AUGMENTATION_LONG_SIDE = 400  # what the Augmentation page shrinks an upload to (UPLOAD_LONG_SIDE)
CONVOLUTION_STEPS = (2, 3, 4)


@dataclass(frozen=True)
class Photo:
    """A JPEG to upload and the caption Augmentation must show for it."""

    data: bytes
    augmentation_caption: str


@dataclass
class Lesson:
    """What the whole class saw: every timed interaction and every problem."""

    ends_at: float
    think_seconds: float
    timeout_seconds: float
    predict_run_label: str
    interactions: list[tuple[float, str, float]] = field(default_factory=list)  # (started, what, seconds)
    problems: Counter = field(default_factory=Counter)
    problem_examples: dict[str, str] = field(default_factory=dict)
    arrivals: list[float] = field(default_factory=list)
    tabs_opened: int = 0
    uploads: int = 0
    began: float = 0.0

    def record_problem(self, problem: TabProblem) -> None:
        """Count a problem by kind, keeping the first message of each kind to print."""
        self.problems[problem.kind] += 1
        self.problem_examples.setdefault(problem.kind, str(problem))

    def is_over(self) -> bool:
        """Return whether the lesson's time is up."""
        return time.time() >= self.ends_at


def make_photos(count: int) -> list[Photo]:
    """Return `count` base photos (the sample photos, scaled up to a phone photo's web size), as JPEGs."""
    photos = []
    names = list(images.SAMPLE_PHOTOS)
    for index in range(count):
        pixels = images.load_sample_photo(names[index % len(names)])
        if index >= len(names):
            pixels = pixels[:, ::-1]  # a mirrored copy: other pixels, same kind of picture
        height, width = pixels.shape[:2]
        scale = PHOTO_LONG_SIDE / max(height, width)
        picture = Image.fromarray(pixels).resize((round(width * scale), round(height * scale)), Image.LANCZOS)
        buffer = io.BytesIO()
        picture.save(buffer, format="JPEG", quality=85)
        shown = images.load_image(buffer.getvalue(), max_side=AUGMENTATION_LONG_SIDE)  # as the page decodes it
        photos.append(Photo(buffer.getvalue(), images.describe_size(shown, picture.size)))
    return photos


def unique_copy(photo: Photo, tag: str) -> bytes:
    """Return the photo with a JPEG comment of its own right after the start marker: new bytes, same pixels."""
    comment = f"cnnviz soak {tag}".encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return photo.data[:2] + segment + photo.data[2:]


async def timed(lesson: Lesson, what: str, action: Awaitable[list]) -> list:
    """Run one interaction under the lesson's timeout and record how long it took; return its answers."""
    started = time.time()
    try:
        answers = await asyncio.wait_for(action, lesson.timeout_seconds)
    except asyncio.TimeoutError as timeout:
        raise TabProblem("timeout", f"{what} took over {lesson.timeout_seconds:.0f} s") from timeout
    lesson.interactions.append((started, what, time.time() - started))
    return answers


async def think(lesson: Lesson, rng: random.Random) -> None:
    """Pause as a student does between two clicks (half to one and a half times the mean)."""
    await asyncio.sleep(rng.uniform(0.5, 1.5) * lesson.think_seconds)


async def open_page(tab: Tab, page: str) -> list:
    """Run a page from the top and download its pictures."""
    answers = await tab.rerun(page)
    await tab.download_media(answers)
    return answers


async def visit_convolution(tab: Tab, lesson: Lesson, rng: random.Random, photo: Photo, tag: str) -> None:
    """Open Convolution and step the kernel three times (fragment reruns of the step slider)."""
    answers = await timed(lesson, "open Convolution", open_page(tab, "convolution"))
    slider = find_widget(answers, "convolution_step")
    for step in CONVOLUTION_STEPS:
        await think(lesson, rng)
        answers = await timed(
            lesson, "step the kernel", tab.rerun("convolution", [slider_state(slider, step)], slider.fragment_id)
        )
        if f"Step {step} of" not in text_of(answers):
            raise TabProblem("exception", f"Convolution did not show step {step}")


async def visit_pooling(tab: Tab, lesson: Lesson, rng: random.Random, photo: Photo, tag: str) -> None:
    """Open Pooling and step its window once."""
    answers = await timed(lesson, "open Pooling", open_page(tab, "pooling"))
    slider = find_widget(answers, "pooling_step")
    await think(lesson, rng)
    answers = await timed(lesson, "step the pool", tab.rerun("pooling", [slider_state(slider, 2)], slider.fragment_id))
    if "Step 2 of" not in text_of(answers):
        raise TabProblem("exception", "Pooling did not show step 2")


async def upload_and_rerun(tab: Tab, page: str, key: str, answers: list, data: bytes, extra: list) -> list:
    """Upload a photo to the page's uploader, rerun the page with it, download its pictures."""
    uploader = find_widget(answers, key)
    state = await tab.upload(uploader, "photo.jpg", data, "image/jpeg")
    answers = await tab.rerun(page, [*extra, state])
    await tab.download_media(answers)
    return answers


async def visit_augmentation(tab: Tab, lesson: Lesson, rng: random.Random, photo: Photo, tag: str) -> None:
    """Open Augmentation, then upload one's own photo and get its augmented copies."""
    answers = await timed(lesson, "open Augmentation", open_page(tab, "augmentation"))
    await think(lesson, rng)
    data = unique_copy(photo, tag)
    answers = await timed(
        lesson,
        "upload to Augmentation",
        upload_and_rerun(tab, "augmentation", "augmentation_upload", answers, data, []),
    )
    lesson.uploads += 1
    if photo.augmentation_caption not in text_of(answers):
        raise TabProblem("upload", f"Augmentation did not show the uploaded photo ({photo.augmentation_caption})")


async def visit_datasets(tab: Tab, lesson: Lesson, rng: random.Random, photo: Photo, tag: str) -> None:
    """Open Datasets (Fashion-MNIST: counts and 40 sample pictures)."""
    answers = await timed(lesson, "open Datasets", open_page(tab, "datasets"))
    headings = "\n".join(answer.delta.new_element.heading.body for answer in answers)
    if "Samples from the training split" not in text_of(answers) + headings:  # bold markdown since 311a1f2
        raise TabProblem("exception", "Datasets showed no samples")


async def visit_predict(tab: Tab, lesson: Lesson, rng: random.Random, photo: Photo, tag: str) -> None:
    """Open Predict, pick the trained run and "upload", upload a photo and get its prediction, Grad-CAM and maps."""
    answers = await timed(lesson, "open Predict", open_page(tab, "predict"))
    run_widget = find_widget(answers, "predict_run")
    chosen = [option for option in options_of(answers, run_widget) if option.startswith(lesson.predict_run_label)]
    if not chosen:
        raise TabProblem("exception", f"Predict offers no run labelled {lesson.predict_run_label!r}")
    await think(lesson, rng)
    # The page opens on a test image of the run; the uploader shows once "upload" is picked.
    picked = [string_state(run_widget, chosen[0]), string_state(find_widget(answers, "predict_source"), "upload")]
    answers = await timed(lesson, "pick upload on Predict", tab.rerun("predict", picked))
    await think(lesson, rng)
    data = unique_copy(photo, tag)
    answers = await timed(
        lesson, "upload to Predict", upload_and_rerun(tab, "predict", "predict_upload", answers, data, picked)
    )
    lesson.uploads += 1
    if "as the model sees it" not in text_of(answers):
        raise TabProblem("upload", "Predict showed no prediction for the uploaded photo")


async def arrive(url: str, static_paths: list[str], lesson: Lesson) -> Tab:
    """A student's first visit: the app's static files, then a tab on Convolution (not timed as a step)."""
    await download_all(url, static_paths)
    tab = await Tab.open(url)
    lesson.tabs_opened += 1
    await open_page(tab, "convolution")
    return tab


ROUND = (visit_convolution, visit_pooling, visit_augmentation, visit_datasets, visit_predict)


async def reopen(tab: Tab | None, url: str, lesson: Lesson) -> Tab:
    """Close a tab (if any) and open a new one: a new session, as a student who closed the tab and came back."""
    if tab is not None:
        try:
            await asyncio.wait_for(tab.close(), 10)
        except (OSError, asyncio.TimeoutError):
            pass  # a broken socket is closed enough
    try:
        tab = await asyncio.wait_for(Tab.open(url), lesson.timeout_seconds)
    except asyncio.TimeoutError as timeout:
        raise TabProblem("timeout", "opening a tab took too long") from timeout
    lesson.tabs_opened += 1
    return tab


async def go_through_round(tab: Tab, lesson: Lesson, rng: random.Random, photo: Photo, tag: str) -> None:
    """Visit every page of the round in order, thinking between pages; stop when the lesson is over."""
    for visit in ROUND:
        if lesson.is_over():
            return
        await visit(tab, lesson, rng, photo, tag)
        await think(lesson, rng)


async def attend(
    number: int, url: str, static_paths: list[str], photos: list[Photo], lesson: Lesson, rounds_per_tab: int
) -> None:
    """One student, from arrival to the end of the lesson; a tab that broke is counted and opened anew."""
    rng = random.Random(number)
    photo = photos[number % len(photos)]
    try:
        tab = await asyncio.wait_for(arrive(url, static_paths, lesson), lesson.timeout_seconds * 3)
    except asyncio.TimeoutError:
        lesson.record_problem(TabProblem("timeout", f"student {number} could not arrive"))
        return
    except TabProblem as problem:
        lesson.record_problem(problem)
        return
    lesson.arrivals.append(time.time())
    round_number = 0
    while not lesson.is_over():
        try:
            if round_number and round_number % rounds_per_tab == 0:
                tab = await reopen(tab, url, lesson)
            await go_through_round(tab, lesson, rng, photo, f"student {number} round {round_number}")
        except TabProblem as problem:
            lesson.record_problem(problem)
            if problem.kind in ("closed", "timeout"):  # the tab is in an unknown state: a student reloads
                tab = await reopen_quietly(tab, url, lesson)
        round_number += 1
    await tab.close()


async def reopen_quietly(tab: Tab, url: str, lesson: Lesson) -> Tab:
    """Reopen a broken tab, counting a failure to reopen as one more problem and trying again."""
    while not lesson.is_over():
        try:
            return await reopen(tab, url, lesson)
        except TabProblem as problem:
            lesson.record_problem(problem)
            await asyncio.sleep(1)
    return tab
