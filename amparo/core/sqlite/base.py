"""Django's SQLite backend, with the database file private before SQLite first opens it.

Settings select it instead of django.db.backends.sqlite3 (`connection.vendor` stays "sqlite").
SQLite creates a new database, and its -wal and -shm files, with mode 0644 under the usual
umask; see amparo.core.private_files for why and how they are made 0600 instead.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.db.backends.sqlite3 import base

from amparo.core.private_files import private_sqlite_database


def database_file(database: Any) -> Path | None:
    """The file `database` names; None for ":memory:" and URIs (such as the test database's)."""
    name = str(database or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return None
    return Path(name)


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params: dict[str, Any]) -> Any:
        path = database_file(conn_params.get("database"))
        if path is not None:
            private_sqlite_database(path)
        return super().get_new_connection(conn_params)
