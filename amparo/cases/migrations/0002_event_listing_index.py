"""An index in the event list's order: newest first, undated events last.

PostgreSQL needs "DESC NULLS LAST" spelt out (its DESC puts NULLs first); SQLite refuses NULLS
LAST in an index but its DESC already puts NULLs last. Django cannot declare either variant
portably, so the index is created here per database and is not part of the model state.
"""

from django.db import migrations

NAME = "cases_event_listing_order"


def create(apps, schema_editor):
    nulls = " NULLS LAST" if schema_editor.connection.vendor == "postgresql" else ""
    schema_editor.execute(
        f"CREATE INDEX {NAME} ON cases_event (start_date DESC{nulls}, id DESC)"
    )


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX {NAME}")


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(create, drop)]
