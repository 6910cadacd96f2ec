"""cnnviz: learn convolutional neural networks by doing. The library behind the Streamlit app."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("cnnviz")  # pyproject.toml's, as installed
except PackageNotFoundError:  # run from a checkout that was never installed
    __version__ = "0+unknown"
