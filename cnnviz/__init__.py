"""cnnviz: learn convolutional neural networks by doing. The library behind the Streamlit app."""

__version__ = "0.1.0"
