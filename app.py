"""cnnviz: the Streamlit entry point. Run with `streamlit run app.py`."""

import streamlit as st

import server
from cnnviz.runtime import system

st.set_page_config(page_title="cnnviz: learn CNNs by doing", page_icon=":material/grid_on:", layout="wide")


@st.cache_resource
def speed_up_server_sockets() -> int:
    """Turn Nagle's algorithm off on the server's sockets, once per server (see the function it calls)."""
    return server.set_tcp_nodelay_on_all_sockets()


@st.cache_resource
def describe_machine() -> tuple[str, str, dict[str, str]]:
    """Return device, Keras backend and package versions, looked up once per server."""
    return system.describe_device(), system.keras_backend(), system.package_versions()


def show_home() -> None:
    """The home page: what cnnviz teaches and what it runs on."""
    device, backend, versions = describe_machine()
    st.title("cnnviz: convolutional neural networks, by doing")
    st.markdown(
        "Each page lets you *do* one idea of a convnet instead of reading about it:\n\n"
        "- **Convolution**: slide a kernel over a grid, one multiply-and-add at a time, then over a real photo.\n"
        "- **Pooling**: take the max or the average of each window and watch a feature map halve.\n"
        "- **Layers**: every network of the tutorials, layer by layer, with each parameter count worked out.\n"
        "- **Augmentation**: see what ImageDataGenerator's random transforms do to a real photo, and the code.\n"
        "- **Datasets**: Fashion-MNIST, LFW faces, or your own folder or zip: classes, splits and samples.\n"
        "- **Train**: train those networks live and watch the curves stream in; Stop at any batch.\n"
        "- **Compare**: overlay runs, see where each starts to overfit, and evaluate on the test set.\n"
        "- **Predict**: drop an image on a trained model: its probabilities, Grad-CAM and feature maps.\n\n"
        "Pick a page in the sidebar. Every number on screen is computed, not drawn from memory."
    )
    st.subheader("This machine")
    st.markdown(f"**Device:** {device}  \n**Keras backend:** {backend}")
    st.table({"package": list(versions), "version": list(versions.values())})


# The page scripts live in app_pages/, not pages/: Streamlit still treats a folder named pages/ as a
# legacy multipage app, and a first visit straight to /convolution then bypassed this navigation.
PAGES = [
    st.Page(show_home, title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/convolution.py", title="Convolution", icon=":material/grid_on:"),
    st.Page("app_pages/pooling.py", title="Pooling", icon=":material/compress:"),
    st.Page("app_pages/layers.py", title="Layers", icon=":material/stacks:"),
    st.Page("app_pages/augmentation.py", title="Augmentation", icon=":material/auto_awesome_mosaic:"),
    st.Page("app_pages/datasets.py", title="Datasets", icon=":material/photo_library:"),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("app_pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("app_pages/predict.py", title="Predict", icon=":material/center_focus_strong:"),
]

speed_up_server_sockets()
navigation = st.navigation(PAGES)
device, backend, versions = describe_machine()
st.sidebar.caption(
    f"{device} · Keras {versions.get('keras', '?')} ({backend}) · Streamlit {versions.get('streamlit', '?')}"
)
try:
    navigation.run()
finally:
    server.freeze_after_keras_import()  # once per server, on the run that first imported Keras
