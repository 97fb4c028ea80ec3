"""The database itself refuses to change or delete audit entries, whoever asks.

On PostgreSQL a trigger refuses UPDATE and DELETE of any row. TRUNCATE is left to privileges: it
belongs to the table's owner, which the web's database role should not be in production (README),
and the test suite empties tables with it between transactional tests. SQLite, for local demos,
refuses UPDATE only, since Django empties its tables between tests with DELETE.
"""

from django.db import migrations

POSTGRESQL_FORWARD = """
CREATE OR REPLACE FUNCTION civic_audit_entry_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'audit entries are append-only: %% refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER civic_audit_entry_append_only
    BEFORE UPDATE OR DELETE ON civic_auditentry
    FOR EACH ROW EXECUTE FUNCTION civic_audit_entry_refuse_change();
"""
POSTGRESQL_REVERSE = """
DROP TRIGGER IF EXISTS civic_audit_entry_append_only ON civic_auditentry;
DROP FUNCTION IF EXISTS civic_audit_entry_refuse_change();
"""
SQLITE_FORWARD = [
    """CREATE TRIGGER civic_audit_entry_no_update BEFORE UPDATE ON civic_auditentry
       BEGIN SELECT RAISE(ABORT, 'audit entries are append-only: UPDATE refused'); END;""",
]
SQLITE_REVERSE = [
    "DROP TRIGGER IF EXISTS civic_audit_entry_no_update;",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_FORWARD)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)


def reverse(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(POSTGRESQL_REVERSE)
    elif schema_editor.connection.vendor == "sqlite":
        for statement in SQLITE_REVERSE:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("civic", "0001_core")]
    operations = [migrations.RunPython(forward, reverse)]
