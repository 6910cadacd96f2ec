"""The precomputed layer tables equal Keras's own numbers; the shapes diagram has one box per layer."""

import json
import re

import numpy as np
import pytest

from cnnviz.errors import CnnvizError
from cnnviz.learning import recipes
from cnnviz.lesson import architecture
from cnnviz.pictures import shapes

keras = pytest.importorskip("keras")

STALE = "layer_tables.json is out of date: run `python -m cnnviz.lesson.architecture` and commit the file"


@pytest.fixture(scope="module")
def stored():
    return architecture.load_tables()


def test_the_file_has_a_table_for_every_recipe_and_no_other(stored):
    assert list(stored) == list(recipes.RECIPES), STALE


@pytest.mark.parametrize("name", list(recipes.RECIPES))
def test_the_stored_table_equals_the_live_keras_computation(stored, name):
    live = architecture.live_table(name)
    assert name in stored, STALE
    # Row by row first, so a failure names the layer that drifted.
    assert [row.as_columns() for row in stored[name].rows] == [row.as_columns() for row in live.rows], STALE
    assert stored[name] == live, STALE
    assert live.column_sum == live.totals.total, "the count column adds up to Keras's count_params()"


def test_a_table_survives_its_json_round_trip(stored):
    table = stored["vgg16_fine_tune"]
    assert architecture.LayerTable.from_json(json.loads(json.dumps(table.to_json()))) == table
    assert table.totals.non_trainable == 7_635_264 and table.rows[-1].output_shape == (1,)


def test_check_mode_finds_a_stale_file(tmp_path, stored):
    tampered = {**stored, "catsdogs_baseline": stored["caltech_small"]}
    path = tmp_path / "tables.json"
    path.write_text(architecture.tables_json(tampered), encoding="utf-8")
    assert architecture.main(["--check", "--path", str(path)]) == 1
    architecture.main(["--path", str(path)])
    assert architecture.load_tables(path) == stored
    assert architecture.main(["--check", "--path", str(path)]) == 0


def test_a_recipe_missing_from_the_file_is_built_with_keras(tmp_path, monkeypatch, stored):
    monkeypatch.setattr(architecture, "TABLES_FILE", tmp_path / "missing.json")
    assert architecture.recipe_table("fashion_separable") == stored["fashion_separable"]
    with pytest.raises(CnnvizError, match="no recipe called"):
        architecture.recipe_table("resnet")


def test_the_shapes_go_from_the_input_to_one_output(stored):
    boxes = architecture.shape_boxes(stored["catsdogs_baseline"])
    first_shapes = [architecture.times_shape(box.shape) for box in boxes[:4]]
    assert first_shapes == ["150×150×3", "150×150×3", "148×148×32", "74×74×32"]
    assert boxes[-1].shape == (1,) and boxes[-2].label == "dense"
    assert len(boxes) == len(stored["catsdogs_baseline"].rows) + 1, "the input, then one box per layer"


def test_vgg16_base_is_drawn_as_its_five_blocks(stored):
    boxes = architecture.shape_boxes(stored["vgg16_frozen_augment"])
    blocks = [box for box in boxes if box.kind == "Block"]
    assert [box.label for box in blocks] == [f"vgg16 block{number}" for number in range(1, 6)]
    assert blocks[0].layers == ("vgg16/block1_conv1", "vgg16/block1_conv2", "vgg16/block1_pool")
    assert blocks[-1].shape == (4, 4, 512)


def test_the_picture_has_one_labelled_box_per_shape(stored):
    boxes = architecture.shape_boxes(stored["fashion_separable"])
    svg = shapes.shapes_picture(boxes, "<b>title</b>")
    assert svg.startswith('<svg data-grid="shapes"') and "&lt;b&gt;title&lt;/b&gt;" in svg
    assert re.findall(r'data-layer="([^"]+)"', svg) == [box.label for box in boxes]
    assert 'data-shape="28×28×1"' in svg and 'data-shape="10"' in svg


def test_the_tutorial_tables_are_the_recipes_cnnviz_changed_and_equal_keras():
    stored = architecture.load_tables(as_tutorial=True)
    assert list(stored) == architecture.tutorial_names() == ["fashion_separable"], STALE
    for name, table in stored.items():
        live = architecture.live_table(name, as_tutorial=True)
        assert table == live, STALE
        full = [row.layer for row in architecture.recipe_table(name).rows]
        added = recipes.get_recipe(name).cnnviz_layers
        assert [row.layer for row in live.rows] == [layer for layer in full if layer not in added], "only those gone"
    assert architecture.recipe_table("malaria_batchnorm", as_tutorial=True) == architecture.recipe_table(
        "malaria_batchnorm"
    ), "a recipe cnnviz did not change is its tutorial's already"


def test_the_separable_net_as_the_tutorial_built_it_has_the_tutorials_count_and_no_dropout():
    # The tutorial's summary by hand: (Conv2D 3×3×C×F + F, SeparableConv2D 3×3×F + F×F + F) at 32, 64, 128,
    # then Dense 3·3·128×128 + 128 and Dense 128×10 + 10.
    by_hand = sum(9 * c * f + f + 9 * f + f * f + f for c, f in ((1, 32), (32, 64), (64, 128)))
    by_hand += 3 * 3 * 128 * 128 + 128 + 128 * 10 + 10
    table = architecture.recipe_table("fashion_separable", as_tutorial=True)
    assert by_hand == 265_290 == table.totals.total == table.column_sum
    assert not [row for row in table.rows if row.kind == "Dropout"]
    marked = [column["layer"] for column in architecture.table_columns(architecture.recipe_table("fashion_separable"))]
    assert [layer for layer in marked if "cnnviz" in layer] == [f"dropout{n} (cnnviz's)" for n in range(1, 5)]


def test_the_batchnorm_and_flatten_lines_carry_keras_numbers():
    from cnnviz.learning import models
    from cnnviz.lesson import layer_notes

    model = models.build("malaria_batchnorm", weights=None)
    batchnorm, flatten, dense = (model.get_layer(name) for name in ("batchnorm1", "flatten", "dense1"))
    channels = batchnorm.gamma.shape[0]
    frozen = sum(int(np.prod(weight.shape)) for weight in batchnorm.non_trainable_weights)
    assert batchnorm.count_params() == 4 * channels and frozen == 2 * channels == 64
    notes = {note.kind: note.text for note in layer_notes.layer_notes(architecture.recipe_table("malaria_batchnorm"))}
    assert (
        f"2 × {channels} = {2 * channels} trainable. The other {frozen} are the moving mean"
        in notes["BatchNormalization"]
    )
    length = flatten.output.shape[-1]
    assert f"16×16×32 = {length:,} numbers" in notes["Flatten"] and length == 8_192
    share = round(100 * dense.count_params() / model.count_params())
    assert (
        f"{dense.count_params():,} of the network's {model.count_params():,} parameters, {share}%" in notes["Flatten"]
    )
    features = {
        note.kind: note.text for note in layer_notes.layer_notes(architecture.recipe_table("vgg16_feature_extraction"))
    }
    assert "2,097,408 of the network's 2,097,665 parameters, all but 257" in features["Flatten"]
    assert "BatchNormalization" not in features


def test_the_fully_convolutional_picture_contrasts_one_class_with_a_class_per_pixel():
    from cnnviz.pictures import fully_convolutional

    svg = fully_convolutional.classification_and_segmentation_picture()
    assert svg.startswith('<svg data-grid="fully-convolutional"')
    assert re.findall(r'data-row="([^"]+)"', svg) == ["cnn", "fcn"]
    cnn, fcn = svg.split('data-row="fcn"')
    assert 'data-stage="flatten"' in cnn and 'data-stage="dense"' in cnn and "Dense" not in fcn
    cells = len(fully_convolutional.CLASS_MAP) * len(fully_convolutional.CLASS_MAP[0])
    assert cnn.count("<rect") == cells + 4, "the photo's 8×8 pixels, then four boxes"
    assert fcn.count("<rect") == 2 * cells + 3, "the photo's 8×8 pixels, three boxes, then a class for each pixel"
