"""What importing cnnviz pulls in: never Streamlit."""

import subprocess
import sys

from tests.helpers import ROOT


def test_importing_cnnviz_never_imports_streamlit():
    script = (
        "import importlib, pkgutil, sys, cnnviz\n"
        "for module in pkgutil.iter_modules(cnnviz.__path__):\n"
        "    importlib.import_module(f'cnnviz.{module.name}')\n"
        "print('STREAMLIT', 'streamlit' in sys.modules)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "STREAMLIT False" in result.stdout
