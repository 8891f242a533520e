"""Let the test suite empty a PostgreSQL database whose audit table refuses TRUNCATE, and record
audit entries of its own.

Migration core.0002 makes the audit table append-only with triggers, including against the
TRUNCATE that Django's flush uses after every transactional test (live server, threads). Triggers
do not fire in a session with session_replication_role = replica, which only a superuser (the test
database role) may set, so the flush runs in one.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db.backends.postgresql.operations import DatabaseOperations

from amparo.core import audit_actions


@pytest.fixture(autouse=True, scope="session")
def _flush_past_audit_triggers() -> Iterator[None]:
    original = DatabaseOperations.execute_sql_flush

    def execute_sql_flush(self: DatabaseOperations, sql_list: list[str]) -> None:
        original(self, ["SET LOCAL session_replication_role = replica", *sql_list])

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "execute_sql_flush", execute_sql_flush)
        yield


@pytest.fixture(autouse=True, scope="session")
def _test_audit_actions() -> Iterator[None]:
    """Tests of the log itself record actions named "test.…"; the registry refuses them
    everywhere else."""
    registered = audit_actions.is_registered

    def is_registered(name: str) -> bool:
        return name.startswith("test.") or registered(name)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(audit_actions, "is_registered", is_registered)
        yield
