"""The import contract of amparo.analysis: it imports no Django, directly or indirectly."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[2]


def test_the_analysis_package_imports_without_django():
    program = (
        "import sys, pkgutil, importlib, amparo.analysis as analysis\n"
        "for module in pkgutil.walk_packages(analysis.__path__, 'amparo.analysis.'):\n"
        "    importlib.import_module(module.name)\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'django'))\n"
    )
    finished = subprocess.run(
        [sys.executable, "-c", program],
        cwd=REPOSITORY,
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": str(REPOSITORY)},
    )
    assert finished.stdout.strip() == "[]"
