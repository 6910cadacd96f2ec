"""One student of the classroom soak, in Streamlit's protocol: the pages a class goes through, round after round.

A round: Convolution (open, then step the kernel three times), Pooling (open, one step), Augmentation
(open, upload a photo of one's own), Datasets (open, its sample pictures), Predict (open, pick "upload",
then upload a photo onto the trained run), then the trained network's pages (benchmarks/soak_model_pages.py):
Mistakes (a cell, then one mistake), Network (an image, a clicked number, an earlier epoch) and Your data
(photos of one's own, and for one student in five a training on them). Every interaction is timed from the
request to the last picture downloaded; between two, the student thinks for a moment. Every upload is a
photo no one sent before (same pixels, a comment of its own), so any cache keyed on an upload's bytes sees a
new key each time.
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
    text_of,
)
from benchmarks.harness.widget_states import slider_state, string_state
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
class OwnPhotos:
    """A student's own dataset on Your data: its link once made, the photos it holds and whether it trained."""

    target: int  # photos the student takes in all (both classes)
    trains: bool  # one student in five trains on their photos
    link: str = ""  # the page's query string once the dataset is made (your_data=…&your_data_key=…)
    saved: int = 0
    trained: bool = False


@dataclass
class Student:
    """One student: their seed, their photo, the round they are in and their own dataset."""

    number: int
    photo: Photo
    own: OwnPhotos
    rng: random.Random = field(init=False)
    round_number: int = 0

    def __post_init__(self) -> None:
        self.rng = random.Random(self.number)

    @property
    def tag(self) -> str:
        """Return what makes this student's uploads in this round unique."""
        return f"student {self.number} round {self.round_number}"


@dataclass
class Lesson:
    """What the whole class saw: every timed interaction and every problem."""

    ends_at: float
    think_seconds: float
    timeout_seconds: float
    predict_run_label: str
    predict_run_id: str = ""
    photos_per_student: tuple[int, int] = (20, 60)
    camera_photos: list = field(default_factory=list)  # 640×480 JPEGs, two classes' worth (make_camera_photos)
    interactions: list[tuple[float, str, float]] = field(default_factory=list)  # (started, what, seconds)
    problems: Counter = field(default_factory=Counter)
    problem_examples: dict[str, str] = field(default_factory=dict)
    arrivals: list[float] = field(default_factory=list)
    tabs_opened: int = 0
    uploads: int = 0
    own_trainings: int = 0  # trainings students started on their own photos
    own_photos_saved: int = 0  # photos of their own the students (and the teacher) saved on Your data
    cache_bytes: list[dict[str, int]] = field(default_factory=list)  # per memory sample: what each cache held
    after_next_tabs: object = None  # the server's ProcessSample once two tabs opened and closed after the class
    cores_used: dict[str, float] = field(default_factory=dict)  # CPU seconds over the lesson per wall second, by who
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
    """Return the photo with a JPEG comment of its own: new bytes, same pixels."""
    return unique_bytes(photo.data, tag)


def unique_bytes(data: bytes, tag: str) -> bytes:
    """Return a JPEG with a comment of its own right after the start marker: new bytes, same pixels."""
    comment = f"cnnviz soak {tag}".encode()
    segment = b"\xff\xfe" + (len(comment) + 2).to_bytes(2, "big") + comment
    return data[:2] + segment + data[2:]


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


async def open_page(tab: Tab, page: str, query_string: str = "") -> list:
    """Run a page from the top (at an address with this query string) and download its pictures."""
    answers = await tab.rerun(page, query_string=query_string, fresh=True)
    await tab.download_media(answers)
    return answers


async def visit_convolution(tab: Tab, lesson: Lesson, student: Student) -> None:
    """Open Convolution and step the kernel three times (fragment reruns of the step slider)."""
    answers = await timed(lesson, "open Convolution", open_page(tab, "convolution"))
    slider = find_widget(answers, "convolution_step")
    for step in CONVOLUTION_STEPS:
        await think(lesson, student.rng)
        answers = await timed(
            lesson, "step the kernel", tab.rerun("convolution", [slider_state(slider, step)], slider.fragment_id)
        )
        if f"Step {step} of" not in text_of(answers):
            raise TabProblem("exception", f"Convolution did not show step {step}")


async def visit_pooling(tab: Tab, lesson: Lesson, student: Student) -> None:
    """Open Pooling and step its window once."""
    answers = await timed(lesson, "open Pooling", open_page(tab, "pooling"))
    slider = find_widget(answers, "pooling_step")
    await think(lesson, student.rng)
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


async def visit_augmentation(tab: Tab, lesson: Lesson, student: Student) -> None:
    """Open Augmentation, then upload one's own photo and get its augmented copies."""
    answers = await timed(lesson, "open Augmentation", open_page(tab, "augmentation"))
    await think(lesson, student.rng)
    data, photo = unique_copy(student.photo, student.tag), student.photo
    answers = await timed(
        lesson,
        "upload to Augmentation",
        upload_and_rerun(tab, "augmentation", "augmentation_upload", answers, data, []),
    )
    lesson.uploads += 1
    if photo.augmentation_caption not in text_of(answers):
        raise TabProblem("upload", f"Augmentation did not show the uploaded photo ({photo.augmentation_caption})")


async def visit_datasets(tab: Tab, lesson: Lesson, student: Student) -> None:
    """Open Datasets (Fashion-MNIST: counts and 40 sample pictures)."""
    answers = await timed(lesson, "open Datasets", open_page(tab, "datasets"))
    headings = "\n".join(answer.delta.new_element.heading.body for answer in answers)
    if "Samples from the training split" not in text_of(answers) + headings:  # bold markdown since 311a1f2
        raise TabProblem("exception", "Datasets showed no samples")


async def visit_predict(tab: Tab, lesson: Lesson, student: Student) -> None:
    """Open Predict, pick the trained run and "upload", upload a photo and get its prediction, Grad-CAM and maps."""
    answers = await timed(lesson, "open Predict", open_page(tab, "predict"))
    run_widget = find_widget(answers, "predict_run")
    chosen = [option for option in options_of(answers, run_widget) if option.startswith(lesson.predict_run_label)]
    if not chosen:
        raise TabProblem("exception", f"Predict offers no run labelled {lesson.predict_run_label!r}")
    await think(lesson, student.rng)
    # The page opens on a test image of the run; the uploader shows once "upload" is picked.
    picked = [string_state(run_widget, chosen[0]), string_state(find_widget(answers, "predict_source"), "upload")]
    answers = await timed(lesson, "pick upload on Predict", tab.rerun("predict", picked))
    await think(lesson, student.rng)
    data = unique_copy(student.photo, student.tag)
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


MECHANICS_ROUND = (visit_convolution, visit_pooling, visit_augmentation, visit_datasets, visit_predict)


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


async def go_through_round(tab: Tab, lesson: Lesson, student: Student, visits: tuple) -> None:
    """Visit every page of the round in order, thinking between pages; stop when the lesson is over."""
    for visit in visits:
        if lesson.is_over():
            return
        await visit(tab, lesson, student)
        await think(lesson, student.rng)


def enrol(number: int, photos: list[Photo], lesson: Lesson) -> Student:
    """Return a student with their photo, how many photos of their own they will take, and whether they train."""
    low, high = lesson.photos_per_student
    own = OwnPhotos(target=random.Random(f"photos {number}").randint(low, high), trains=number % 5 == 0)
    return Student(number, photos[number % len(photos)], own)


async def attend(
    student: Student, url: str, static_paths: list[str], lesson: Lesson, rounds_per_tab: int, visits: tuple
) -> None:
    """One student, from arrival to the end of the lesson; a tab that broke is counted and opened anew."""
    number = student.number
    try:
        tab = await asyncio.wait_for(arrive(url, static_paths, lesson), lesson.timeout_seconds * 3)
    except asyncio.TimeoutError:
        lesson.record_problem(TabProblem("timeout", f"student {number} could not arrive"))
        return
    except TabProblem as problem:
        lesson.record_problem(problem)
        return
    lesson.arrivals.append(time.time())
    while not lesson.is_over():
        try:
            if student.round_number and student.round_number % rounds_per_tab == 0:
                tab = await reopen(tab, url, lesson)
            await go_through_round(tab, lesson, student, visits)
        except TabProblem as problem:
            lesson.record_problem(problem)
            if problem.kind in ("closed", "timeout"):  # the tab is in an unknown state: a student reloads
                tab = await reopen_quietly(tab, url, lesson)
        student.round_number += 1
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
