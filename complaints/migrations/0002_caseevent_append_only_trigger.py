"""On PostgreSQL, the database itself refuses to update or delete timeline events."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION complaints_caseevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'complaints_caseevent is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER complaints_caseevent_append_only
    BEFORE UPDATE OR DELETE ON complaints_caseevent
    FOR EACH ROW EXECUTE FUNCTION complaints_caseevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS complaints_caseevent_append_only ON complaints_caseevent;
DROP FUNCTION IF EXISTS complaints_caseevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0001_initial")]
    operations = [migrations.RunPython(forwards, backwards)]
