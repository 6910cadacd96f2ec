"""A lesson's settings in its link: written, read back, and refused with a message that names the setting."""

import numpy as np
import pytest

from cnnviz.learning import augmentation_link
from cnnviz.lesson import links

FORMS = [links.CONVOLUTION, links.POOLING, augmentation_link.AUGMENTATION]


def same(first: dict, second: dict) -> bool:
    """Return whether two settings dicts are equal, grids compared as arrays."""
    return first.keys() == second.keys() and all(np.array_equal(first[key], second[key]) for key in first)


@pytest.mark.parametrize("form", FORMS, ids=lambda form: form.page)
def test_the_defaults_survive_a_round_trip(form):
    query = form.write(form.defaults())
    assert query[links.PAGE_KEY] == form.page
    assert same(form.read(query), form.defaults())


def test_changed_convolution_settings_survive_a_round_trip():
    values = links.CONVOLUTION.defaults() | {
        "grid": np.array([[3, -1.5, 4], [1, 5, 9], [2, 6, 5.25]]),
        "kernel": np.array([[-1, 0, 1], [-2, 0, 2], [-1, 0, 1]]),
        "stride": 2,
        "padding": "same",
        "bias": -2.5,
        "step": 4,
    }
    query = links.CONVOLUTION.write(values)
    assert query["grid"] == "3 -1.5 4_1 5 9_2 6 5.25" and query["padding"] == "same"
    assert same(links.CONVOLUTION.read(query), values)
    widgets = links.CONVOLUTION.widget_values(values)
    assert widgets["grid"] == "3 −1.5 4\n1 5 9\n2 6 5.25"  # as the text area shows it
    assert widgets["preset"] == "Sobel x" and widgets["grid_size"] == 3 and widgets["kernel_size"] == 3


def test_a_link_that_leaves_settings_out_keeps_their_defaults():
    values = links.POOLING.read({"lesson": "pooling", "size": "3"})
    assert values["size"] == 3 and values["stride"] == 2 and values["modes"] == ["max", "average", "sum"]


@pytest.mark.parametrize(
    ("form", "query", "message"),
    [
        (links.CONVOLUTION, {"stride": "9"}, "stride is '9', not a whole number from 1 to 3"),
        (links.CONVOLUTION, {"stride": "two"}, "stride is 'two'"),
        (links.CONVOLUTION, {"padding": "lots"}, "padding is 'lots', not one of valid, same, 1, 2"),
        (links.CONVOLUTION, {"bias": "nan"}, "bias is 'nan'"),
        (links.CONVOLUTION, {"kernel": "1 2_3"}, "kernel is '1 2_3': Every row of the kernel needs the same"),
        (links.CONVOLUTION, {"grid": "1 x"}, "'x', which is not a number"),
        (links.POOLING, {"modes": "max median"}, "modes is 'max median', not some of max, average, sum"),
        (links.POOLING, {"photo": "../../etc/passwd"}, "photo is '../../etc/passwd'"),
        (augmentation_link.AUGMENTATION, {"brightness": "1.5 0.5"}, "the smaller first"),
        (augmentation_link.AUGMENTATION, {"horizontal_flip": "yes"}, "1 (on) or 0 (off)"),
    ],
)
def test_a_bad_setting_is_refused_with_its_name_and_the_fallback(form, query, message):
    with pytest.raises(links.BadLink) as refused:
        form.read({"lesson": form.page, **query})
    assert message in str(refused.value)
    assert str(refused.value).endswith("showing the defaults.")
    assert "\n" not in str(refused.value), "one line"


def test_a_link_names_its_page_so_another_pages_settings_are_not_read():
    pooling_query = links.POOLING.write(links.POOLING.defaults())
    assert links.POOLING.is_for_this_page(pooling_query)
    assert not links.CONVOLUTION.is_for_this_page(pooling_query)
    assert not links.CONVOLUTION.is_for_this_page({})


def test_the_page_url_from_the_browsers_address():
    query = {"lesson": "pooling", "modes": "max sum"}
    expected = "http://class:8501/pooling?lesson=pooling&modes=max+sum"
    assert links.page_url("http://class:8501", "pooling", query) == expected
    assert links.page_url("http://class:8501/pooling", "pooling", query) == expected
    assert links.page_url(None, "pooling", query) == "/pooling?lesson=pooling&modes=max+sum"


def test_train_form_takes_this_servers_recipes_and_datasets():
    form = links.train_form(["fashion_separable", "cats_dogs"], ["Fashion-MNIST", "LFW faces"], "cats_dogs", 30, 20)
    assert form.read({"lesson": "train"})["recipe"] == "cats_dogs"
    assert form.read({"lesson": "train", "dataset": "LFW faces", "epochs": "3"})["epochs"] == 3
    with pytest.raises(links.BadLink, match="dataset is 'imagenet'"):
        form.read({"lesson": "train", "dataset": "imagenet"})
