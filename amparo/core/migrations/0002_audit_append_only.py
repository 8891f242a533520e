"""On PostgreSQL the audit table refuses UPDATE, DELETE and TRUNCATE, whoever asks.

A trigger guards against mistakes and against SQL that reaches the database through the
application; it does not stop the table's owner or a superuser, who can drop it. Keep the
application's database role apart from the owner in production. (Triggers do not fire with
session_replication_role = replica, which only a superuser may set: the test suite uses that to
empty the database between tests.)

SQLite has no equivalent that survives a determined writer; `amparo audit verify` detects the
change there.
"""

from django.db import migrations

FUNCTION = "amparo_audit_append_only"
ROW_TRIGGER = "core_auditentry_append_only"
TRUNCATE_TRIGGER = "core_auditentry_no_truncate"


def table(apps, schema_editor):
    return schema_editor.quote_name(apps.get_model("core", "AuditEntry")._meta.db_table)


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"""
        CREATE OR REPLACE FUNCTION {FUNCTION}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit entries are append-only (% refused on %)', TG_OP, TG_TABLE_NAME
                USING ERRCODE = 'insufficient_privilege';
        END;
        $$
        """,
        None,  # no parameters: the % in RAISE is PL/pgSQL's, not a placeholder
    )
    schema_editor.execute(
        f"CREATE TRIGGER {ROW_TRIGGER} BEFORE UPDATE OR DELETE ON {table(apps, schema_editor)} "
        f"FOR EACH ROW EXECUTE FUNCTION {FUNCTION}()"
    )
    schema_editor.execute(
        f"CREATE TRIGGER {TRUNCATE_TRIGGER} BEFORE TRUNCATE ON {table(apps, schema_editor)} "
        f"FOR EACH STATEMENT EXECUTE FUNCTION {FUNCTION}()"
    )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for trigger in (ROW_TRIGGER, TRUNCATE_TRIGGER):
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {trigger} ON {table(apps, schema_editor)}")
    schema_editor.execute(f"DROP FUNCTION IF EXISTS {FUNCTION}()")


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [migrations.RunPython(forwards, backwards, elidable=False)]
