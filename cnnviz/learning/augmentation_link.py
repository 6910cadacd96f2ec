"""The Augmentation page's settings in its link: ImageDataGenerator's parameters, the photo and the seed."""

from cnnviz.data import images
from cnnviz.learning import augmentation_spec
from cnnviz.lesson.links import Choice, LinkForm, Number, Pair, Switch, Whole

TUTORIAL = augmentation_spec.TUTORIAL_AUGMENTATION
AUGMENTATION = LinkForm(
    "augmentation",
    (
        Choice("photo", next(iter(images.SAMPLE_PHOTOS)), tuple(images.SAMPLE_PHOTOS)),
        Whole("rotation", int(TUTORIAL.rotation_range), 0, 180),
        Number("width_shift", TUTORIAL.width_shift_range, 0.0, 1.0),
        Number("height_shift", TUTORIAL.height_shift_range, 0.0, 1.0),
        Number("shear", TUTORIAL.shear_range, 0.0, 45.0),
        Number("zoom", TUTORIAL.zoom_range, 0.0, 0.9),
        Switch("horizontal_flip", TUTORIAL.horizontal_flip),
        Switch("vertical_flip", False),
        Choice("fill_mode", augmentation_spec.FILL_MODES[0], tuple(augmentation_spec.FILL_MODES)),
        Whole("cval", 0, 0, 255),
        Switch("use_brightness", False),
        Pair("brightness", (0.5, 1.5), 0.1, 2.0),
        Whole("count", 8, 4, 16),
        Switch("fixed", False),
        Whole("seed", 42, 0, 1_000_000),
        Whole("draw", 0, 0, 1_000_000),  # the seed "New samples" drew, when the seed is not fixed
    ),
)
