"""The Your data page's photos: the camera and the uploader that add them, and each class's thumbnails."""

import streamlit as st
from streamlit.runtime.scriptrunner import get_script_run_ctx
from streamlit.runtime.uploaded_file_manager import UploadedFile

from cnnviz.data import images, own_photos
from cnnviz.learning import launching

SHOWN_PER_CLASS = 12  # the newest photos of each class on screen; the counts say how many there are


@st.cache_data(max_entries=64)
def thumbnails(folder: str, class_name: str, version: tuple) -> list[own_photos.Photo]:
    """Return a class's newest thumbnails; `version` (its count and newest photo) makes a new photo show."""
    dataset = own_photos.read_dataset(own_photos.own_root() / folder)
    return [] if dataset is None else own_photos.thumbnails(dataset, class_name, newest=SHOWN_PER_CLASS)


def release(files: list[UploadedFile]) -> None:
    """Drop saved uploads from the server's memory now, not when the tab closes (30 students × 60 photos)."""
    context = get_script_run_ctx()
    for file in files:
        if context is not None and hasattr(context.uploaded_file_mgr, "remove_file"):
            context.uploaded_file_mgr.remove_file(session_id=context.session_id, file_id=file.file_id)


def keep_result(result: own_photos.AddResult) -> None:
    """Keep what an upload or a shot saved, and why any file was refused, for the page's next run to say."""
    st.session_state.your_data_saved = result.saved_line() if result.saved else None
    st.session_state.your_data_refused = result.refused_lines()


def show_result() -> None:
    """Say what the last upload or shot saved, and why any file was refused (each with what to do instead)."""
    saved = st.session_state.pop("your_data_saved", None)
    if saved:
        st.toast(saved, icon=":material/check_circle:")
    for line in st.session_state.pop("your_data_refused", []):
        st.warning(line)


def save(dataset: own_photos.OwnDataset, class_name: str, files: list[UploadedFile]) -> None:
    """Save the files to a class, release them from memory, keep what happened, and draw the page again."""
    keep_result(own_photos.add_photos(dataset, class_name, [(file.name, file.getvalue()) for file in files]))
    release(files)
    st.rerun()  # the counts, the thumbnails and the uploader (emptied) show the photos saved


def add(dataset: own_photos.OwnDataset) -> None:
    """Draw the class to add to, the camera and the uploader; save what they bring at once."""
    choice_column, camera_column = st.columns([1, 1])
    # The names alone: a label with the count would change with every photo, and Streamlit would forget the choice.
    class_name = choice_column.radio("Add photos to", dataset.class_names, horizontal=True, key="your_data_class")
    upload_number = st.session_state.setdefault("your_data_upload_number", 0)
    uploads = choice_column.file_uploader(
        f"Or upload photos of {class_name} (several at once)",
        type=images.UPLOAD_TYPES,
        accept_multiple_files=True,
        key=f"your_data_upload_{upload_number}",  # a new key empties the uploader once its files are saved
    )
    with choice_column:
        show_result()
        train_button(dataset)
    # A new camera after every saved shot: the live picture again, ready for the next one. With one camera the
    # student had to press Clear photo first, and a shot taken while that was still on its way never arrived.
    shot_number = st.session_state.setdefault("your_data_shot_number", 0)
    shot = camera_column.camera_input(f"Take a photo of {class_name}", key=f"your_data_camera_{shot_number}")
    camera_column.caption(own_photos.CAMERA_HELP)
    if isinstance(shot, UploadedFile):
        st.session_state.your_data_shot_number = shot_number + 1
        save(dataset, class_name, [shot])
    files = [file for file in uploads or [] if isinstance(file, UploadedFile)]
    if files:
        st.session_state.your_data_upload_number = upload_number + 1
        save(dataset, class_name, files)


def train_button(dataset: own_photos.OwnDataset) -> None:
    """Draw Train (the small 64×64 convnet on these photos, as the baseline) or what is still missing."""
    problem = own_photos.readiness_problem(dataset)
    if problem:
        st.info(problem.replace(" Add them on the Your data page.", ""))
    if st.button(
        "Train on these photos",
        type="primary",
        icon=":material/model_training:",
        disabled=bool(problem),
        key="your_data_train",
    ):
        settings = launching.train_page_settings(dataset)
        st.session_state.update({f"train_{name}": value for name, value in settings.items()})
        st.switch_page("app_pages/train.py")  # without this page's link: Train reads its own settings from one


def delete(dataset: own_photos.OwnDataset, class_name: str, photo_id: str) -> None:
    """Delete one photo (a button's callback: the page then draws without it)."""
    own_photos.delete_photo(dataset, class_name, photo_id)


def classes(dataset: own_photos.OwnDataset) -> None:
    """Draw each class's count, its train/validation split and its newest photos, each with a delete button."""
    for number, count in enumerate(own_photos.class_counts(dataset)):
        split = f"{count.train} to train on, {count.validation} to validate with" if count.photos else "no photos yet"
        more = f"; add {count.missing} more" if count.missing else ""
        st.markdown(f"**{count.class_name}** · {count.photos} photo{'' if count.photos == 1 else 's'} ({split}{more})")
        photos = thumbnails(dataset.folder_name, count.class_name, own_photos.version(dataset))
        if not photos:
            continue
        for photo, column in zip(photos, st.columns(SHOWN_PER_CLASS)):
            column.image(photo.thumbnail, width="stretch")
            column.button(
                "",
                icon=":material/delete:",
                help="Delete this photo",
                key=f"your_data_delete_{number}_{photo.photo_id}",
                on_click=delete,
                args=(dataset, count.class_name, photo.photo_id),
            )
        if count.photos > len(photos):
            st.caption(f"the newest {len(photos)} of {count.photos}")
