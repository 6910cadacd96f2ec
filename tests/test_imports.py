"""What importing cnnviz pulls in: never Streamlit, and the lesson and its pictures never a deep-learning library."""

import json
import subprocess
import sys

from tests.helpers import ROOT

IMPORT_EVERY_MODULE = """
import importlib, json, pkgutil, sys

def reraise(name):
    raise

package = importlib.import_module(sys.argv[1])
imported = [package.__name__]
for module in pkgutil.walk_packages(package.__path__, package.__name__ + ".", onerror=reraise):
    importlib.import_module(module.name)
    imported.append(module.name)
print(json.dumps({"imported": imported, "loaded": sorted({name.split(".")[0] for name in sys.modules})}))
"""

HEAVY_LIBRARIES = {"keras", "tensorflow", "jax", "torch"}


def module_names_on_disk(package: str) -> set[str]:
    """Return the dotted name of every .py file under the package's folder."""
    folder = ROOT.joinpath(*package.split("."))
    names = set()
    for path in folder.rglob("*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        names.add(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


def import_every_module(package: str) -> set[str]:
    """Import each module of `package` in a fresh interpreter; return the top-level names then in sys.modules."""
    # A fresh interpreter: this test process has imported Streamlit and Keras already.
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERY_MODULE, package], capture_output=True, text=True, cwd=ROOT, timeout=180
    )
    assert result.returncode == 0, result.stderr[-3000:]
    found = json.loads(result.stdout.strip().splitlines()[-1])
    assert set(found["imported"]) == module_names_on_disk(package), "every module file was imported"
    return set(found["loaded"])


def test_importing_cnnviz_never_imports_streamlit():
    assert "streamlit" not in import_every_module("cnnviz"), "a module of cnnviz imports streamlit"


def test_the_lesson_and_its_pictures_import_no_deep_learning_library():
    # The Convolution and Pooling pages stay quick to open because these import only numpy and plotly.
    for package in ("cnnviz.lesson", "cnnviz.pictures"):
        heavy = import_every_module(package) & HEAVY_LIBRARIES
        assert not heavy, f"{package} imports {sorted(heavy)}"
