"""The database, var/, the demo's secrets, the key file and import previews: 0600 and 0700,
whatever the umask (issue 9, item 15)."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db.utils import ConnectionHandler

from amparo.cases.exchange import stash as exchange_stash
from amparo.core import crypto
from amparo.core.private_files import private_directory
from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[2]


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def careless_umask() -> Iterator[None]:
    """A umask that takes nothing away: whatever comes out private, Amparo made private."""
    previous = os.umask(0)
    yield
    os.umask(previous)


@pytest.fixture
def open_sqlite(django_db_blocker: Any) -> Iterator[Callable[[Path], Any]]:
    """Connections through the backend the settings select, as the application opens them (a
    file of the test's own, not the test database)."""
    opened: list[Any] = []

    def open_file(path: Path) -> Any:
        handler = ConnectionHandler(
            {
                "default": {
                    "ENGINE": "amparo.core.sqlite",
                    "NAME": str(path),
                    "OPTIONS": {"init_command": "PRAGMA journal_mode=WAL;"},
                }
            }
        )
        opened.append(handler["default"])
        return handler["default"]

    with django_db_blocker.unblock():
        yield open_file
    for connection in opened:
        connection.close()


def test_a_new_sqlite_database_and_its_wal_and_shm_files_are_private(
    careless_umask: None, tmp_path: Path, open_sqlite: Callable[[Path], Any]
) -> None:
    path = tmp_path / "new" / "amparo.sqlite3"
    with open_sqlite(path).cursor() as cursor:
        cursor.execute("CREATE TABLE witness (name TEXT)")
        cursor.execute("INSERT INTO witness VALUES ('Ana')")
    wal, shm = path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")
    assert wal.exists() and shm.exists()  # the connection is still open
    assert [mode(p) for p in (path, wal, shm)] == [0o600, 0o600, 0o600]
    assert mode(path.parent) == 0o700


def test_an_existing_world_readable_database_is_made_private_when_opened(
    careless_umask: None, tmp_path: Path, open_sqlite: Callable[[Path], Any]
) -> None:
    path = tmp_path / "amparo.sqlite3"
    wal = path.with_name(path.name + "-wal")
    for name in (path, wal):
        name.touch(mode=0o644)
    open_sqlite(path).ensure_connection()
    assert (mode(path), mode(wal)) == (0o600, 0o600)


def test_a_loose_directory_is_tightened(careless_umask: None, tmp_path: Path) -> None:
    loose = tmp_path / "var"
    loose.mkdir(mode=0o755)
    private_directory(loose)
    private_directory(loose / "demo")
    assert (mode(loose), mode(loose / "demo")) == (0o700, 0o700)


def test_the_key_file_and_a_directory_made_for_it_are_private(
    careless_umask: None, tmp_path: Path
) -> None:
    path = tmp_path / "etc" / "amparo" / "keyring.json"
    crypto.write_keyring(crypto.generate_keyring(), path, replace=False)
    assert (mode(path), mode(path.parent), mode(path.parent.parent)) == (0o600, 0o700, 0o700)


def test_an_uploaded_file_waiting_for_confirmation_is_private(
    careless_umask: None, tmp_path: Path, settings: Any
) -> None:
    settings.VAR_DIR = tmp_path / "var"
    token = exchange_stash.stash(UserFactory.build(pk=7), b"name\nAna\n", "people.csv")
    stashed = settings.VAR_DIR / "imports" / f"{token}.upload"
    assert (mode(settings.VAR_DIR), mode(stashed.parent), mode(stashed)) == (0o700, 0o700, 0o600)


def test_a_first_run_under_umask_000_leaves_nothing_readable_by_others(tmp_path: Path) -> None:
    """`make run`'s first steps, in a fresh var/: the demo's secrets, key ring and database."""
    var = tmp_path / "var"
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("AMPARO_", "DJANGO_"))}
    environment.update(AMPARO_DEMO="1", AMPARO_VAR_DIR=str(var))
    amparo = f"{sys.executable} -m amparo.cli"
    script = (
        f"umask 000 && {amparo} keys generate --if-missing && "
        f"{amparo} shell -c 'from django.db import connection; connection.ensure_connection()'"
    )
    result = subprocess.run(
        ["/bin/sh", "-c", script],
        cwd=ROOT, env=environment, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    modes = {
        path.relative_to(var).as_posix(): oct(mode(path))
        for path in [var, *var.rglob("*")]
        if path.name != "staticfiles" and "staticfiles" not in path.parts
    }
    assert modes == {
        ".": "0o700",
        "demo": "0o700",
        "demo/secret_key": "0o600",
        "demo/keyring.json": "0o600",
        "amparo.sqlite3": "0o600",
    }
