"""The escalation engine is importable and usable without Django (DESIGN.md, Analysis)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parents[3]


def test_importing_the_engine_and_the_world_generator_loads_no_django() -> None:
    code = (
        "import sys\n"
        "import amparo.analysis.escalation, tests.bench.escalation\n"
        "loaded = sorted(m for m in sys.modules if m == 'django' or m.startswith('django.'))\n"
        "print(loaded)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=REPOSITORY, check=True
    )
    assert result.stdout.strip() == "[]"
