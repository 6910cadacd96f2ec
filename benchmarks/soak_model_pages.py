"""The classroom soak's visits to the trained network's pages: Mistakes, Network and Your data, in Streamlit's protocol.

Mistakes: open it on the evaluated run, click a cell of the matrix that holds mistakes, click the first image
of its gallery (a dialog with two Grad-CAMs). Network: open it on the same run, pick a test image of one's
own, click a number of the enlarged map (its arithmetic with the learned weights), then move the epoch slider
back to epoch 1. Your data: make a dataset of two classes once, then each round take a camera photo and
upload a handful more until the student's 20-60 are in; one student in five then trains on theirs.
"""

from __future__ import annotations

import io
import re

from PIL import Image

from benchmarks.harness.protocol import (
    Tab,
    TabProblem,
    chart_spec,
    find_widget,
    options_of,
    query_string_of,
    text_of,
)
from benchmarks.harness.widget_states import (
    empty_selection,
    number_state,
    point_state,
    string_state,
    strings_state,
    trigger_state,
)
from benchmarks.soak_lesson import Lesson, Student, open_page, think, timed, unique_bytes
from cnnviz.data import images

CAMERA_SIZE = (640, 480)  # what a laptop's camera gives st.camera_input
OWN_CLASSES = ("cup", "phone")
UPLOADS_PER_ROUND = 6  # photos a student drops on the uploader at once, besides one camera shot
COUNT_LINE = re.compile(r"\*\*(?P<name>[^*]+)\*\* · (?P<count>\d+) photo")


def make_camera_photos() -> list[bytes]:
    """Return one 640×480 JPEG per class, from two sample photos (a camera shot's size and weight)."""
    photos = []
    for name in list(images.SAMPLE_PHOTOS)[: len(OWN_CLASSES)]:
        picture = Image.fromarray(images.load_sample_photo(name)).convert("RGB")
        width, height = picture.size
        crop = min(width, height * 4 // 3)  # 4:3 from the middle, as a webcam frames it
        box = ((width - crop) // 2, 0, (width + crop) // 2, min(height, crop * 3 // 4))
        buffer = io.BytesIO()
        picture.crop(box).resize(CAMERA_SIZE, Image.LANCZOS).save(buffer, format="JPEG", quality=85)
        photos.append(buffer.getvalue())
    return photos


def option_labelled(answers: list, widget, label: str) -> str:
    """Return the option of a picker that starts with `label` (a run's label), or raise as a broken page would."""
    chosen = [option for option in options_of(answers, widget) if option.startswith(label)]
    if not chosen:
        raise TabProblem("exception", f"{widget.widget_id} offers no option labelled {label!r}")
    return chosen[0]


def mistaken_cells(spec: dict) -> list[int]:
    """Return the point index of every off-diagonal cell of a confusion figure that counts at least one image."""
    # The clickable points' hover texts read "true Shirt, called T-shirt/top: 12 of 41 (29.3%)".
    hover = next(trace["hovertext"] for trace in spec["data"] if trace.get("hovertext"))
    counts = [int(text.split(": ", 1)[1].split(" of ")[0].replace(",", "")) for text in hover]
    classes = round(len(counts) ** 0.5)
    return [index for index, count in enumerate(counts) if count and index // classes != index % classes]


async def visit_mistakes(tab: Tab, lesson: Lesson, student: Student) -> None:
    """Open Mistakes on the evaluated run, click a cell that holds mistakes, then click its first image."""
    answers = await timed(lesson, "open Mistakes", open_page(tab, "mistakes"))
    run_widget = find_widget(answers, "mistakes_run")
    picked = [string_state(run_widget, option_labelled(answers, run_widget, lesson.predict_run_label))]
    matrix = find_widget(answers, "mistakes_matrix")
    cells = mistaken_cells(chart_spec(answers, matrix))
    if not cells:
        raise TabProblem("exception", "Mistakes drew a matrix without a single mistake")
    await think(lesson, student.rng)
    cell = student.rng.choice(cells)
    # The gallery's last click is let go, as a click elsewhere does in the browser: the next one opens its dialog.
    released = empty_selection(find_widget(answers, "mistakes_gallery"))
    answers = await timed(
        lesson, "click a matrix cell", tab.rerun("mistakes", [*picked, point_state(matrix, cell), released])
    )
    await tab.download_media(answers)
    if "Click one to see why" not in text_of(answers):
        raise TabProblem("exception", "Mistakes showed no gallery for the clicked cell")
    await think(lesson, student.rng)
    gallery = find_widget(answers, "mistakes_gallery")
    answers = await timed(lesson, "open one mistake", tab.rerun("mistakes", [point_state(gallery, 0)]))
    await tab.download_media(answers)
    if "as the model sees it" not in text_of(answers):
        raise TabProblem("exception", "Mistakes opened no Grad-CAM for the clicked image")


async def visit_network(tab: Tab, lesson: Lesson, student: Student) -> None:
    """Open Network on the evaluated run, pick a test image, click a number of the map, then go back to epoch 1."""
    answers = await timed(lesson, "open Network", open_page(tab, "network"))
    run_widget = find_widget(answers, "network_run")
    index_widget = find_widget(answers, "network_index")
    picked = [
        string_state(run_widget, option_labelled(answers, run_widget, lesson.predict_run_label)),
        number_state(index_widget, student.rng.randrange(0, 50)),  # 50 test images among the class
    ]
    await think(lesson, student.rng)
    answers = await timed(lesson, "pick an image on Network", tab.rerun("network", picked))
    await tab.download_media(answers)
    cells = find_widget(answers, "network_cells_", prefix=True)  # the enlarged map's key names its layer and map
    await think(lesson, student.rng)
    point = student.rng.randrange(0, 49)  # a cell of the map's first rows: every map is at least 7×7
    answers = await timed(lesson, "click a number on Network", tab.rerun("network", [point_state(cells, point)]))
    await tab.download_media(answers)
    if "how it was made" not in text_of(answers):
        raise TabProblem("exception", "Network showed no arithmetic for the clicked number")
    await think(lesson, student.rng)
    epoch = find_widget(answers, f"network_epoch_{lesson.predict_run_id}")
    answers = await timed(lesson, "move the epoch slider", tab.rerun("network", [strings_state(epoch, ["1"])]))
    await tab.download_media(answers)
    if "at epoch 1" not in text_of(answers):
        raise TabProblem("exception", "Network did not replay epoch 1")


def photo_counts(answers: list) -> dict[str, int]:
    """Return each class's photo count as Your data shows it (**cup** · 12 photos)."""
    return {match["name"]: int(match["count"]) for match in COUNT_LINE.finditer(text_of(answers))}


async def make_dataset(tab: Tab, lesson: Lesson, student: Student, answers: list) -> list:
    """Name a dataset and its two classes and press Make; keep the page's link to come back to it."""
    title = f"soak student {student.number}"
    states = [
        string_state(find_widget(answers, "your_data_title"), title),
        string_state(find_widget(answers, "your_data_classes"), "\n".join(OWN_CLASSES)),
        trigger_state(find_widget(answers, "your_data_make")),
    ]
    answers = await timed(lesson, "make a dataset", tab.rerun("your_data", states))
    student.own.link = query_string_of(answers) or ""
    if "your_data=" not in student.own.link or set(photo_counts(answers)) != set(OWN_CLASSES):
        raise TabProblem("exception", f"Your data made no dataset for {title!r} (link {student.own.link!r})")
    return answers


async def add_photos(tab: Tab, lesson: Lesson, student: Student, answers: list) -> list:
    """Take one camera photo and upload a handful more of the class with fewer; check its count went up."""
    counts = photo_counts(answers)
    class_number = min(range(len(OWN_CLASSES)), key=lambda number: counts.get(OWN_CLASSES[number], 0))
    class_name = OWN_CLASSES[class_number]
    before = counts.get(class_name, 0)
    picked = [string_state(find_widget(answers, "your_data_class"), class_name)]
    base = lesson.camera_photos[class_number]
    camera = find_widget(answers, "your_data_camera_", prefix=True)  # a new camera after every saved shot
    shot = await tab.upload(camera, "image.jpg", unique_bytes(base, f"{student.tag} camera"), "image/jpeg")
    answers = await timed(
        lesson, "take a camera photo", tab.rerun("your_data", [*picked, shot], query_string=student.own.link)
    )
    await tab.download_media(answers)
    await think(lesson, student.rng)
    # The target split between the classes: each gets at least half of 20, more than the 5 a class needs.
    count = min(UPLOADS_PER_ROUND, max(0, -(-student.own.target // len(OWN_CLASSES)) - before - 1))
    if count:
        uploader = find_widget(answers, "your_data_upload_", prefix=True)
        files = [(f"photo{n}.jpg", unique_bytes(base, f"{student.tag} upload {n}")) for n in range(count)]
        state = await tab.upload_many(uploader, files, "image/jpeg")
        answers = await timed(
            lesson, "upload photos to Your data", tab.rerun("your_data", [state], query_string=student.own.link)
        )
        await tab.download_media(answers)
    after = photo_counts(answers).get(class_name, 0)
    if after != before + 1 + count:
        raise TabProblem("upload", f"Your data counts {after} {class_name} photos, not {before} + {1 + count}")
    student.own.saved += 1 + count
    lesson.own_photos_saved += 1 + count
    return answers


async def train_own(tab: Tab, lesson: Lesson, student: Student, answers: list) -> None:
    """Press Train on these photos (Train opens with them chosen), then Start: a training of one's own."""
    button = find_widget(answers, "your_data_train")
    answers = await timed(
        lesson,
        "press Train on Your data",
        tab.rerun("your_data", [trigger_state(button)], query_string=student.own.link),
    )
    await tab.download_media(answers)
    if f"soak student {student.number}" not in "\n".join(options_of(answers, find_widget(answers, "train_dataset"))):
        raise TabProblem("exception", "Train did not offer the student's own dataset")
    await think(lesson, student.rng)
    start = find_widget(answers, "train_start")
    answers = await timed(lesson, "start a training on one's photos", tab.rerun("train", [trigger_state(start)]))
    await tab.download_media(answers)
    student.own.trained = True
    lesson.own_trainings += 1


async def visit_your_data(tab: Tab, lesson: Lesson, student: Student) -> None:
    """Open Your data (at the dataset's link once made); make it, add photos, or train on them when all are in."""
    answers = await timed(lesson, "open Your data", open_page(tab, "your_data", student.own.link))
    if not student.own.link:
        await think(lesson, student.rng)
        answers = await make_dataset(tab, lesson, student, answers)
    if student.own.saved < student.own.target:
        await think(lesson, student.rng)
        await add_photos(tab, lesson, student, answers)
    elif student.own.trains and not student.own.trained:
        await think(lesson, student.rng)
        await train_own(tab, lesson, student, answers)


MODEL_ROUND = (visit_mistakes, visit_network, visit_your_data)
