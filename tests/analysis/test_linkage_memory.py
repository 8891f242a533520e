"""Decrypted records never reach the disk: DuckDB cannot spill or write files, and a whole linkage
run leaves nothing in the working, temporary or home directory, nor opens a file for writing."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from amparo.analysis.linkage.memory import in_memory_duckdb

REPOSITORY = Path(__file__).resolve().parents[2]
# More than 64 MB of sort state: DuckDB has to spill it or fail.
BIG_SORT = (
    "SELECT count(*) FROM (SELECT md5(range::varchar) || md5((range + 1)::varchar) AS s "
    "FROM range(3000000) ORDER BY s)"
)


def test_a_query_past_the_memory_limit_fails_instead_of_spilling(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    connection = in_memory_duckdb(memory_limit="64MB")
    with pytest.raises(duckdb.OutOfMemoryException):
        connection.sql(BIG_SORT).fetchall()
    assert list(tmp_path.iterdir()) == []


def test_a_plain_in_memory_duckdb_would_spill_to_the_working_directory(tmp_path, monkeypatch):
    """What the settings prevent: the test above would see a spill."""
    monkeypatch.chdir(tmp_path)
    connection = duckdb.connect(":memory:", config={"memory_limit": "64MB"})
    assert connection.execute("SELECT current_setting('temp_directory')").fetchall() == [(".tmp",)]
    connection.sql(BIG_SORT).fetchall()
    assert (tmp_path / ".tmp").exists()
    connection.close()


@pytest.mark.parametrize(
    "statement",
    [
        "COPY (SELECT 'Jane Doe') TO 'names.csv'",
        "ATTACH 'names.duckdb'",
        "SELECT * FROM read_csv('/etc/hostname')",
        "INSTALL fts",
        "SET temp_directory = '.'",
        "SET enable_external_access = true",
        "RESET lock_configuration",
    ],
)
def test_no_statement_can_write_a_file_or_undo_the_settings(tmp_path, monkeypatch, statement):
    monkeypatch.chdir(tmp_path)
    connection = in_memory_duckdb()
    with pytest.raises(duckdb.Error):
        connection.execute(statement).fetchall()
    assert list(tmp_path.iterdir()) == []


# Run in a child process: an audit hook cannot be removed once added.
WATCHED_RUN = """
import json, os, sys
import pyarrow as pa
from amparo.analysis.linkage import link_events, link_persons
from tests.analysis.synthetic import population

WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC
written = []

def watch(event, args):
    if event == "open" and (
        (isinstance(args[1], str) and any(flag in args[1] for flag in "wax+"))
        or (isinstance(args[2], int) and args[2] & WRITES)
    ):
        written.append([event, str(args[0])])
    elif event in {"os.mkdir", "os.rename", "os.replace", "os.remove", "os.rmdir",
                   "os.symlink", "os.link", "os.truncate", "shutil.copyfile",
                   "shutil.rmtree", "tempfile.mkstemp", "tempfile.mkdtemp"}:
        written.append([event, str(args[0])])

records = population()
sys.addaudithook(watch)
linkage = link_persons(pa.Table.from_pylist(records))
events = link_events({"event_id": [r["record_id"] for r in records],
                      "country": [r["country"] for r in records],
                      "start_date": [r["event_dates"][0] for r in records],
                      "victim_names": [[r["full_name"]] for r in records]})
print(json.dumps({"pairs": linkage.pairs.num_rows, "events": events.num_rows, "written": written}))
"""


def test_a_linkage_run_writes_nothing_anywhere(tmp_path):
    work, temporary, home = (tmp_path / name for name in ("work", "tmp", "home"))
    for directory in (work, temporary, home):
        directory.mkdir()
    environment = {
        "PATH": os.environ["PATH"],
        "PYTHONPATH": str(REPOSITORY),
        "PYTHONDONTWRITEBYTECODE": "1",
        "TMPDIR": str(temporary),
        "HOME": str(home),
    }
    finished = subprocess.run(
        [sys.executable, "-c", WATCHED_RUN],
        cwd=work,
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=True,
    )
    report = json.loads(finished.stdout.strip().splitlines()[-1])
    assert report["pairs"] > 0 and report["events"] > 0
    assert report["written"] == []
    for directory in (work, temporary, home):
        assert list(directory.iterdir()) == [], directory
