"""A large import must never make a report fail: the intake channel answers while it runs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
ROWS = 3000
# The import runs against a database of its own, in another process.
NEEDS_VOCABULARIES = False


@pytest.mark.slow
def test_reports_are_answered_and_accepted_while_a_large_import_writes(tmp_path: Path) -> None:
    """On one SQLite file, as in the embedded default: the import used to hold the database for
    minutes in one transaction, and /report/ failed with 500 ("database is locked")."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AMPARO_")}
    finished = subprocess.run(
        [sys.executable, "-m", "tests.cases.concurrent_import", str(tmp_path), str(ROWS)],
        cwd=REPOSITORY,
        env=environment,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr[-3000:]
    figures = json.loads(finished.stdout.strip().splitlines()[-1])

    assert "exception" not in figures and figures["errors"] == []
    assert figures["created"] == figures["events"] > 0
    assert figures["batches_by_process"] > 1  # as a large import writes
    reports = figures["reports"]
    assert reports, "the import ended before a report could be sent"
    assert all(get == 200 and post == 200 for get, post, _seconds in reports), reports
    assert figures["submissions"] == len(reports)
