"""A class's own photo datasets: names, photos saved small and safe, the split, limits, and training on them."""

import numpy as np
import pytest
from PIL import Image

from benchmarks.own_photos_training import make_photo_dataset, shots_of
from cnnviz.data import datasets, images, own_photos
from cnnviz.data.sources import DatasetSource
from cnnviz.errors import InvalidDataset
from cnnviz.learning import experiment, launching, recipes, training
from tests.helpers import encode_image


@pytest.fixture(autouse=True)
def datasets_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("CNNVIZ_DATASETS_DIR", str(tmp_path / "datasets"))
    return tmp_path / "datasets"


def cat_shots(count: int, seed: int = 0) -> list[tuple[str, bytes]]:
    return shots_of(images.load_sample_photo("cat (chelsea)"), count, seed)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("cup", "only one class (cup)"),
        ("", "no class"),
        ("cup\nCup", "Two classes are called 'Cup' and 'cup'"),
        ("cup, phone, cup", "Two classes are called 'cup'"),
        ("cup\n../../etc", "looks like a path"),
        ("cup\nsnacks/crisps", "looks like a path"),
        ("cup\n.hidden", "looks like a path"),
        ("\n".join(f"class {number}" for number in range(11)), "You gave 11 classes; at most 10"),
    ],
)
def test_bad_class_names_are_refused_with_the_next_step(typed, message):
    with pytest.raises(InvalidDataset, match=message.replace("(", r"\(").replace(")", r"\)").replace(".", r"\.")):
        own_photos.parse_class_names(typed)


def test_class_names_are_tidied_and_keep_their_order_and_letters():
    assert own_photos.parse_class_names(" red   cup \n\ntéléphone, O'Brien (left)") == [
        "red cup",
        "téléphone",
        "O'Brien (left)",
    ]


def test_a_taken_name_gets_a_new_folder_and_never_anothers_photos(datasets_dir):
    first = own_photos.create("Kitchen things", "cup\nphone")
    own_photos.add_photos(first, "cup", cat_shots(2))
    second = own_photos.create("kitchen  THINGS!", "cup\nphone")
    assert (first.folder.name, second.folder.name) == ("kitchen-things", "kitchen-things-2")
    assert first.folder.parent == second.folder.parent == datasets_dir / "own"
    assert [count.photos for count in own_photos.class_counts(second)] == [0, 0]
    assert first.key != second.key
    assert own_photos.create("../../../etc", "a\nb").folder.name == "etc"  # a path as a name is only letters
    assert own_photos.create("日本", "a\nb").folder.name == "photos"


def test_a_dataset_opens_again_only_with_its_key_after_a_restart(datasets_dir):
    made = own_photos.create("cups", "cup\nphone")
    own_photos.add_photos(made, "cup", cat_shots(1))
    opened = own_photos.open_dataset(made.folder_name, made.key)  # a fresh read of the folder: as after a restart
    assert opened == made and own_photos.class_counts(opened)[0].photos == 1
    for name, key in ((made.folder_name, "wrong"), (made.folder_name, ""), ("../cups", made.key), ("nope", made.key)):
        with pytest.raises(InvalidDataset, match="not on this server"):
            own_photos.open_dataset(name, key)


def test_photos_are_saved_small_as_jpeg_and_uploads_of_every_format_work():
    dataset = own_photos.create("things", "big\nsmall")
    photo = images.load_sample_photo("astronaut")  # 512×512
    wide = np.concatenate([photo, photo], axis=1)  # 1024×512
    files = [
        ("a.png", encode_image(wide)),
        ("b.webp", encode_image(photo, "WEBP")),
        ("c.jpg", encode_image(photo, "JPEG")),
    ]
    result = own_photos.add_photos(dataset, "big", files)
    assert (result.saved, result.refused) == (3, ())
    saved = own_photos.photo_files(dataset, "big")
    with Image.open(saved[0]) as first:
        assert (first.format, first.size) == ("JPEG", (256, 128))  # the longer side 256, the shape kept
    assert all(Image.open(path).size == (256, 256) for path in saved[1:])
    assert not any(path.name.startswith(".") for path in saved[0].parent.iterdir())  # no half-written files left


def test_an_unreadable_or_enormous_upload_is_refused_and_the_others_are_saved():
    dataset = own_photos.create("things", "cup\nphone")
    own_photos.add_photos(dataset, "cup", cat_shots(2))
    enormous = encode_image(Image.linear_gradient("L").resize((8660, 5773)), "JPEG", quality=95)  # 50 megapixels
    files = [("report.jpg", b"%PDF-1.7\n1 0 obj <<>> endobj"), ("huge.jpg", enormous), *cat_shots(2, seed=5)]
    result = own_photos.add_photos(dataset, "cup", files)
    assert result.saved == 2 and [name for name, _ in result.refused] == ["report.jpg", "huge.jpg"]
    assert "not an image cnnviz can read" in result.refused[0][1]
    assert "(50 megapixels), more than the 40 megapixels" in result.refused[1][1]
    assert own_photos.class_counts(dataset)[0].photos == 4  # the two saved before are still there
    assert result.refused_lines()[0].startswith("report.jpg: This file is not an image")


def test_a_class_keeps_at_most_200_photos():
    dataset = own_photos.create("many", "dots\nlines")
    tiny = encode_image(np.full((8, 8, 3), 90, np.uint8), "JPEG")
    first = own_photos.add_photos(dataset, "dots", [(f"{n}.jpg", tiny) for n in range(195)])
    second = own_photos.add_photos(dataset, "dots", [(f"more{n}.jpg", tiny) for n in range(8)])
    assert (first.saved, second.saved, len(second.refused)) == (195, 5, 3)
    assert "already has 200 photos, the most a class keeps. Delete some first" in second.refused[0][1]
    assert len(second.refused_lines()) == 1  # one reason, said once, naming the three files
    own_photos.delete_photo(dataset, "dots", own_photos.photo_files(dataset, "dots")[0].name)
    assert own_photos.add_photos(dataset, "dots", [("last.jpg", tiny)]).saved == 1


def test_delete_touches_only_a_photo_of_its_class():
    dataset = own_photos.create("cups", "cup\nphone")
    own_photos.add_photos(dataset, "cup", cat_shots(3))
    newest = own_photos.thumbnails(dataset, "cup")[0]
    assert newest.photo_id == own_photos.photo_files(dataset, "cup")[-1].name
    assert max(newest.thumbnail.shape[:2]) == own_photos.THUMBNAIL_SIDE
    own_photos.delete_photo(dataset, "cup", newest.photo_id)
    own_photos.delete_photo(dataset, "cup", newest.photo_id)  # a second click: nothing left to delete, no error
    assert own_photos.class_counts(dataset)[0].photos == 2
    for photo_id in ("../../.cnnviz-own-photos.json", "x.jpg"):
        with pytest.raises(InvalidDataset, match="There is no photo"):
            own_photos.delete_photo(dataset, "cup", photo_id)
    with pytest.raises(InvalidDataset, match="has no class 'spoon'"):
        own_photos.delete_photo(dataset, "spoon", newest.photo_id)
    assert own_photos.read_dataset(dataset.folder) == dataset


def test_the_split_is_80_20_seeded_as_the_counts_say_and_training_refuses_too_few_photos():
    dataset = own_photos.create("cups", "cup\nphone")
    own_photos.add_photos(dataset, "cup", cat_shots(30))
    own_photos.add_photos(dataset, "phone", cat_shots(3, seed=9))
    source = DatasetSource.folder(dataset.folder)
    with pytest.raises(InvalidDataset, match="phone has 3, add 2 more"):
        datasets.load(source, image_size=(64, 64))
    own_photos.add_photos(dataset, "phone", cat_shots(27, seed=10))
    loaded = datasets.load(source, image_size=(64, 64))
    counts = {count.class_name: (count.train, count.validation) for count in own_photos.class_counts(dataset)}
    assert counts == {"cup": (24, 6), "phone": (24, 6)}
    assert loaded.class_names == ["cup", "phone"] and loaded.image_shape == (64, 64, 3)
    assert np.bincount(loaded.train.labels).tolist() == [24, 24]
    assert np.bincount(loaded.validation.labels).tolist() == [6, 6]
    again = datasets.load(source, image_size=(64, 64))
    assert again.validation.paths == loaded.validation.paths  # seeded: the same photos validate every time
    assert not set(loaded.train.paths) & set(loaded.validation.paths)


def test_train_lists_the_dataset_with_its_own_experiment_and_starts_on_the_small_convnet():
    dataset = make_photo_dataset(per_class=6)
    choice = next(choice for choice in launching.dataset_choices() if choice.source.path == str(dataset.folder))
    assert choice.label == "your photos: cat and coffee (cat, coffee)"
    assert choice.has_experiment
    plan = choice.experiment_plan()
    assert (plan.recipe, plan.limit, plan.epochs, plan.source) == ("own_photos_small", None, 40, choice.source)
    configs = experiment.variant_configs(plan, "e")
    assert [config.label for config in configs][0] == "baseline · your photos: cat and coffee"
    assert all(config.dataset_path == str(dataset.folder) for config in configs)
    assert "brightness 0.7-1.3×" in experiment.describe_plan(plan)
    settings = launching.train_page_settings(dataset)
    assert (settings["recipe"], settings["dataset"], settings["dropout"], settings["augment"]) == (
        "own_photos_small",
        choice.label,
        False,
        False,
    )
    other = launching.DatasetChoice("a folder", DatasetSource.folder(dataset.folder.parent))
    assert not other.has_experiment
    with pytest.raises(Exception, match="The overfitting experiment runs on fashion_mnist"):
        other.experiment_plan()


def test_the_photo_recipe_augments_photos_and_a_warm_worker_can_key_it():
    keras = pytest.importorskip("keras")
    from cnnviz.learning import models, prepared

    recipe = recipes.get_recipe("own_photos_small")
    spec = recipe.augmentation
    assert (spec.horizontal_flip, spec.brightness_range, spec.rotation_range, spec.shear_range) == (
        True,
        (0.7, 1.3),
        0,
        0,
    )
    config = training.default_config("own_photos_small", DatasetSource.folder("/x"), augment=True)
    options = training.build_options_for(config, recipe, (64, 64, 3), 2)
    hash(prepared.model_key(config, options, 1e-3))  # brightness and zoom pairs as lists broke this (a crash)
    model = models.build("own_photos_small", (64, 64, 3), 3)
    assert model.output_shape == (None, 3)
    weights = 3 * 3 * 3 * 16 + 16 + 3 * 3 * 16 * 32 + 32 + 3 * 3 * 32 * 64 + 64 + 6 * 6 * 64 * 64 + 64 + 64 * 3 + 3
    assert model.count_params() == weights
    assert isinstance(model, keras.Model)


def test_a_short_real_training_on_the_photos_through_the_cli(tmp_path):
    from cnnviz.runtime import runs
    from tests.apptest_helpers import run_cnnviz

    dataset = make_photo_dataset(per_class=8)
    result = run_cnnviz(
        "train",
        "--recipe",
        "own_photos_small",
        "--dataset",
        "folder",
        "--dataset-path",
        str(dataset.folder),
        "--epochs",
        "3",
        "--augment",
        "--runs-dir",
        str(tmp_path / "runs"),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    run = runs.list_runs(tmp_path / "runs")[0]
    assert run.state.value == "finished" and run.epochs_done == 3
    assert run.class_names == ["cat", "coffee"]
    assert run.label == "folder cat-and-coffee · all images · dropout + augmentation"  # which student's folder
    assert own_photos.shortcut_note(run.config.dataset_path) == own_photos.SHORTCUT_NOTE
    assert own_photos.shortcut_note(str(tmp_path)) is None
