"""A DuckDB database that lives in memory only, for decrypted records.

An in-memory DuckDB database is not enough on its own: when a query needs more memory than it
may use, DuckDB offloads ("spills") blocks to a temporary directory, by default `.tmp` under the
current directory, even for `:memory:` databases. Decrypted names would then sit in files a seized
disk can give back, deleted or not. So the connection is opened with:

- `temp_directory = ''`: no directory to spill to; a query that runs out of memory fails with an
  out-of-memory error instead of writing (tests/analysis/test_linkage_memory.py proves both);
- `enable_external_access = false`: no SQL statement can read or write a file (COPY ... TO,
  ATTACH, read_csv, INSTALL/LOAD of extensions), whatever Splink or a later caller sends;
- `autoinstall_known_extensions` / `autoload_known_extensions` off: nothing is fetched or loaded;
- `lock_configuration = true`: none of the above can be changed on this connection afterwards.

Arrow tables registered from Python stay readable (they are memory, not files).
"""

from __future__ import annotations

import duckdb

# Settings that must be given when the database opens (DuckDB refuses to change the temporary
# directory once external access is off).
Setting = str | bool | int | float | list[str]
OPENING_SETTINGS: dict[str, Setting] = {
    "temp_directory": "",
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
}
# Settings applied right after opening, in this order: the lock comes last.
LOCKED_SETTINGS = (
    "SET enable_external_access = false",
    "SET lock_configuration = true",
)


def in_memory_duckdb(
    memory_limit: str | None = None, threads: int | None = None
) -> duckdb.DuckDBPyConnection:
    """A new DuckDB connection that never writes to disk (see the module's docstring).

    `memory_limit` (e.g. "2GB") caps what queries may use; past it they fail rather than spill.
    DuckDB's default is 80% of the machine's memory.
    """
    settings: dict[str, Setting] = dict(OPENING_SETTINGS)
    if memory_limit is not None:
        settings["memory_limit"] = memory_limit
    if threads is not None:
        settings["threads"] = threads
    connection = duckdb.connect(":memory:", config=settings)
    for statement in LOCKED_SETTINGS:
        connection.execute(statement).fetchall()
    return connection
