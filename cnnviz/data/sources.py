"""Where a dataset comes from: one of the built-in names, or a folder on this server. One type for both."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from cnnviz.errors import InvalidDataset


class DatasetName(str, Enum):
    """The datasets cnnviz knows by name (the value is what config.json stores)."""

    def __str__(self) -> str:
        return self.value  # in messages and f-strings, the name config.json stores

    FASHION_MNIST = "fashion_mnist"
    LFW_FACES = "lfw_faces"
    FOLDER = "folder"
    CATS_VS_DOGS = "cats_vs_dogs"
    MALARIA = "malaria"
    CALTECH101 = "caltech101"

    @property
    def title(self) -> str:
        """Return the name people read: 'Fashion-MNIST', 'a folder'."""
        return TITLES[self]

    @property
    def description(self) -> str:
        """Return one line on what the dataset is."""
        return DESCRIPTIONS[self]

    @property
    def is_tfds(self) -> bool:
        """Return whether the dataset comes through tensorflow-datasets (a package and the internet)."""
        return self in (DatasetName.CATS_VS_DOGS, DatasetName.MALARIA, DatasetName.CALTECH101)

    @classmethod
    def parse(cls, name: str | DatasetName) -> DatasetName:
        """Return the dataset called `name`, or raise InvalidDataset listing the names there are."""
        try:
            return cls(name)
        except ValueError:
            known = ", ".join(each.value for each in cls)
            raise InvalidDataset(f"There is no dataset called {name!r}; choose one of {known}.") from None


TITLES = {
    DatasetName.FASHION_MNIST: "Fashion-MNIST",
    DatasetName.LFW_FACES: "LFW faces",
    DatasetName.FOLDER: "a folder",
    DatasetName.CATS_VS_DOGS: "dogs vs cats",
    DatasetName.MALARIA: "malaria cells",
    DatasetName.CALTECH101: "Caltech 101",
}
DESCRIPTIONS = {
    DatasetName.FASHION_MNIST: "70,000 28×28 grey photos of clothes in 10 classes (55,000 / 5,000 / 10,000)",
    DatasetName.LFW_FACES: "200 real 25×25 grey images, faces vs not faces; tiny, so it overfits fast",
    DatasetName.FOLDER: "A folder of class subfolders, or train/ validation/ test/ each with class subfolders",
    DatasetName.CATS_VS_DOGS: "Dogs vs cats through tensorflow-datasets (needs the package and the internet)",
    DatasetName.MALARIA: "NIH malaria cell images through tensorflow-datasets (needs the package and the internet)",
    DatasetName.CALTECH101: "Caltech 101 through tensorflow-datasets (needs the package and the internet)",
}


@dataclass(frozen=True)
class DatasetSource:
    """A built-in dataset by name, or a folder of class folders at `path` (name FOLDER)."""

    name: DatasetName
    path: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "name", DatasetName.parse(self.name))
        if self.name is DatasetName.FOLDER and not self.path:
            raise InvalidDataset("A folder dataset needs its path: give the folder that holds the class folders.")
        if self.path is not None:
            object.__setattr__(self, "path", str(self.path))

    @classmethod
    def folder(cls, path: object) -> DatasetSource:
        """Return the source of a folder of class folders."""
        return cls(DatasetName.FOLDER, str(path))

    @property
    def is_folder(self) -> bool:
        """Return whether the images come from a folder (decoded from files, sized for the network)."""
        return self.name is DatasetName.FOLDER

    @property
    def title(self) -> str:
        """Return the source in words."""
        return self.name.title


class SourceKind(Enum):
    """How the Datasets page gets a dataset: by name, from a zip, a server folder, the Kaggle split, or TFDS."""

    BUILT_IN = "built in"
    ZIP = "zip upload"
    FOLDER = "folder on this server"
    SMALL_SPLIT = "the tutorial's dogs-vs-cats split"
    TFDS = "tensorflow-datasets"

    @property
    def reads_server_paths(self) -> bool:
        """Return whether this way reads a path typed on the server (off on a shared classroom server)."""
        return self in (SourceKind.FOLDER, SourceKind.SMALL_SPLIT)


@dataclass(frozen=True)
class SourceOption:
    """One entry of the Datasets page's source list."""

    label: str
    kind: SourceKind
    name: DatasetName | None = None  # for a built-in dataset


def source_options(allow_server_paths: bool) -> list[SourceOption]:
    """Return the ways to get a dataset, those that read server paths only where they are allowed."""
    options = [
        SourceOption("Fashion-MNIST (installed)", SourceKind.BUILT_IN, DatasetName.FASHION_MNIST),
        SourceOption("LFW faces (ships with scikit-image)", SourceKind.BUILT_IN, DatasetName.LFW_FACES),
        SourceOption("Zip upload", SourceKind.ZIP),
        SourceOption("Folder on this server", SourceKind.FOLDER),
        SourceOption("Dogs vs cats: make the tutorial's small split", SourceKind.SMALL_SPLIT),
        SourceOption("tensorflow-datasets", SourceKind.TFDS),
    ]
    return [option for option in options if allow_server_paths or not option.kind.reads_server_paths]


def tfds_names() -> list[DatasetName]:
    """Return the datasets that come through tensorflow-datasets."""
    return [name for name in DatasetName if name.is_tfds]
