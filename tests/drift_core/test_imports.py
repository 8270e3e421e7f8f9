"""drift_core is a plain library: importing all of it must not pull in prefect or mlflow (docs/design.md §4.1)."""

import subprocess
import sys

import pytest


@pytest.mark.slow  # fresh interpreters import every module
def test_drift_core_imports_neither_prefect_nor_mlflow():
    code = (
        "import pkgutil, importlib, sys, drift_core\n"
        "for m in pkgutil.walk_packages(drift_core.__path__, 'drift_core.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(k for k in sys.modules if k.split('.')[0] in ('prefect', 'mlflow'))\n"
        "print(','.join(bad))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "", f"drift_core imported: {out.stdout}"
