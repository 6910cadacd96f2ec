"""The precomputed layer tables equal Keras's own numbers; the shapes diagram has one box per layer."""

import json
import re

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
