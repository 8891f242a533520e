"""A text index for the event list's word search (title, description, locality, reference).

The search finds every word anywhere in those fields, as a case-insensitive substring. Without
an index each search reads every event; with 100,000 events that alone took longer than the
whole page may. SQLite gets an FTS5 table with the trigram tokenizer (substring matching, case
folded across Unicode), kept up to date by triggers; PostgreSQL gets trigram GIN indexes
(pg_trgm, a trusted extension) on the very expressions Django's icontains compares. Neither
is part of the model state: Django cannot declare them portably. Encrypted fields are never
indexed.
"""

import sqlite3

from django.db import migrations

TABLE = "cases_event_text"
COLUMNS = ("title", "description", "locality", "reference_code")


def _sqlite(schema_editor):
    if sqlite3.sqlite_version_info < (3, 34, 0):
        raise RuntimeError(
            f"Amparo needs SQLite 3.34 or later (FTS5 with the trigram tokenizer); this Python "
            f"has SQLite {sqlite3.sqlite_version}. Use a newer Python build, or PostgreSQL."
        )
    columns = ", ".join(COLUMNS)
    new = ", ".join(f"new.{c}" for c in COLUMNS)
    old = ", ".join(f"old.{c}" for c in COLUMNS)
    delete = f"INSERT INTO {TABLE}({TABLE}, rowid, {columns}) VALUES ('delete', old.id, {old});"
    insert = f"INSERT INTO {TABLE}(rowid, {columns}) VALUES (new.id, {new});"
    for statement in (
        f"CREATE VIRTUAL TABLE {TABLE} USING fts5({columns}, content='cases_event', "
        "content_rowid='id', tokenize='trigram')",
        f"CREATE TRIGGER {TABLE}_insert AFTER INSERT ON cases_event BEGIN {insert} END",
        f"CREATE TRIGGER {TABLE}_delete AFTER DELETE ON cases_event BEGIN {delete} END",
        f"CREATE TRIGGER {TABLE}_update AFTER UPDATE OF {columns} ON cases_event "
        f"BEGIN {delete} {insert} END",
        f"INSERT INTO {TABLE}({TABLE}) VALUES ('rebuild')",
    ):
        schema_editor.execute(statement)


def create(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        _sqlite(schema_editor)
    elif vendor == "postgresql":
        schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for column in COLUMNS:
            # Django writes icontains as UPPER(column::text) LIKE UPPER(pattern).
            schema_editor.execute(
                f"CREATE INDEX cases_event_{column}_trgm ON cases_event "
                f"USING gin ((UPPER({column}::text)) gin_trgm_ops)"
            )


def drop(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for suffix in ("insert", "delete", "update"):
            schema_editor.execute(f"DROP TRIGGER {TABLE}_{suffix}")
        schema_editor.execute(f"DROP TABLE {TABLE}")
    elif vendor == "postgresql":
        for column in COLUMNS:
            schema_editor.execute(f"DROP INDEX cases_event_{column}_trgm")


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_intervention_types_for_defenders")]

    operations = [migrations.RunPython(create, drop)]
