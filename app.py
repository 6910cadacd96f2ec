"""cnnviz: the Streamlit entry point. Run with `streamlit run app.py`."""

from pathlib import Path

import streamlit as st

import error_details
import server
import ui
from cnnviz.runtime import settings, system

error_details.hide_error_details_on_shared_server()  # first: nothing below may show a class a traceback
st.set_page_config(page_title="cnnviz: learn CNNs by doing", page_icon=":material/grid_on:", layout="wide")


@st.cache_resource
def speed_up_server_sockets() -> int:
    """Turn Nagle's algorithm off on the server's sockets, once per server (see the function it calls)."""
    return server.set_tcp_nodelay_on_all_sockets()


@st.cache_resource
def shorten_switch_interval() -> float:
    """Hand the GIL between the sessions' threads every 1 ms, once per server (see the function it calls)."""
    return server.shorten_switch_interval()


@st.cache_resource
def sweep_expired_sessions() -> None:
    """End closed tabs' sessions once their reconnection time ran out, once per server (see the function it calls)."""
    server.sweep_sessions_in_background()


@st.cache_resource
def preload_lazy_modules() -> None:
    """Import, once per server and while the first page is read, what later pages would wait for: pandas (tables),
    the modules that draw the pictures, and Keras for the pages that load a model. The lesson pages themselves
    import no Keras (tests/test_app.py); the server's checks wait until Keras is imported whole."""
    names = ("pandas", "cnnviz.pictures.steps", "cnnviz.pictures.plots", "cnnviz.learning.warping")
    # Fashion-MNIST's files too (read once a process; BENCHMARKS.md): Datasets and Predict open on them.
    then = ("cnnviz.data.datasets:preload_fashion_mnist",)
    if settings.preload_keras():  # and the model Predict opens on, into its cache
        names = (*names, "keras", "cnnviz.learning.explain", "page_sections.predict_model")
        names = (*names, "cnnviz.learning.network_view")
        then = (*then, "page_sections.predict_model:preload_default_model")
    server.import_in_background(names, then=then)


@st.cache_resource
def describe_machine() -> tuple[str, str, dict[str, str]]:
    """Return device, Keras backend and package versions, looked up once per server."""
    return system.describe_device(), system.keras_backend(), system.package_versions()


def show_home() -> None:
    """The home page: what cnnviz teaches, one picture of it, a start button, and what it runs on."""
    device, backend, versions = describe_machine()
    ui.tighten_top()
    st.title("cnnviz: convolutional neural networks, by doing")
    st.page_link("app_pages/convolution.py", label="Start: Convolution", icon=":material/play_circle:")
    # The picture first: at 150% zoom the columns stack (ui.stack_when_narrow) and it must lead, not trail.
    ui.stack_when_narrow("home_intro")
    picture_column, text_column = st.container(key="home_intro").columns([3, 2])
    with text_column:
        st.markdown(
            "Each page lets you *do* one idea of a convnet instead of reading about it: slide a kernel over a "
            "grid one multiply-and-add at a time, pool a feature map, count every parameter of the tutorials' "
            "networks, augment a photo, train those networks live and watch them overfit, compare the fixes, "
            "see which images the model gets wrong, and drop your own image on the model you trained.\n\n"
            "Every number on screen is computed, not drawn from memory."
        )
    picture = Path(__file__).parent / "assets" / "convolution.png"
    if picture.is_file():
        picture_column.image(
            str(picture), caption="Convolution: the kernel's window lit on the input, linked to the cell it makes"
        )
    st.markdown(
        "**The lesson, in order:** Convolution → Pooling → Layers → Augmentation → Datasets → Train → Compare → "
        "Mistakes → Predict → Network (or pick any page in the sidebar)."
    )
    st.subheader("This machine")
    st.markdown(f"**Device:** {device}  \n**Keras backend:** {backend}")
    st.table({"package": list(versions), "version": list(versions.values())})
    ui.preload_charts()


# The page scripts live in app_pages/, not pages/: Streamlit still treats a folder named pages/ as a
# legacy multipage app, and a first visit straight to /convolution then bypassed this navigation.
PAGES = [
    st.Page(show_home, title="Home", icon=":material/home:", default=True),
    st.Page("app_pages/convolution.py", title="Convolution", icon=":material/grid_on:"),
    st.Page("app_pages/pooling.py", title="Pooling", icon=":material/compress:"),
    st.Page("app_pages/layers.py", title="Layers", icon=":material/stacks:"),
    st.Page("app_pages/augmentation.py", title="Augmentation", icon=":material/auto_awesome_mosaic:"),
    st.Page("app_pages/datasets.py", title="Datasets", icon=":material/photo_library:"),
    st.Page("app_pages/your_data.py", title="Your data", icon=":material/photo_camera:"),
    st.Page("app_pages/train.py", title="Train", icon=":material/model_training:"),
    st.Page("app_pages/compare.py", title="Compare", icon=":material/compare_arrows:"),
    st.Page("app_pages/mistakes.py", title="Mistakes", icon=":material/grid_view:"),
    st.Page("app_pages/predict.py", title="Predict", icon=":material/center_focus_strong:"),
    st.Page("app_pages/network.py", title="Network", icon=":material/account_tree:"),
]

speed_up_server_sockets()
shorten_switch_interval()
sweep_expired_sessions()
navigation = st.navigation(PAGES)
device, backend, versions = describe_machine()
st.sidebar.caption(
    f"{device} · Keras {versions.get('keras', '?')} ({backend}) · Streamlit {versions.get('streamlit', '?')}"
)
try:
    navigation.run()
finally:
    server.freeze_after_keras_import()  # on the run that first imported Keras, then when modules are added
    server.throttle_collection_in_keras_clear_session()
    preload_lazy_modules()
