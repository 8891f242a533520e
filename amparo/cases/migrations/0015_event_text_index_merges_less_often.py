"""The event text index (migration 0004) merges its segments less often while it is written.

FTS5 merges the segments of a level as soon as it has `automerge` of them (4 by default), and
each write transaction of an import adds one: with 16, an import of 100,000 rows spent about a
quarter less time updating the index (writing its events took 19 s, the index most of it), and a
search read as fast (SQLite's largest setting; at 16 segments of a level FTS5 merges them in any
case). PostgreSQL's trigram indexes have no such setting.
"""

from django.db import migrations

TABLE = "cases_event_text"


def _automerge(schema_editor, segments):
    if schema_editor.connection.vendor == "sqlite":
        schema_editor.execute(
            f"INSERT INTO {TABLE}({TABLE}, rank) VALUES ('automerge', %s)", [segments]
        )


def merge_less_often(apps, schema_editor):
    _automerge(schema_editor, 16)


def merge_as_before(apps, schema_editor):
    _automerge(schema_editor, 4)


class Migration(migrations.Migration):
    dependencies = [("cases", "0014_sharing_keys_withdrawn_at")]

    operations = [migrations.RunPython(merge_less_often, merge_as_before)]
