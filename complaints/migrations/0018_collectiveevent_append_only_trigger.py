"""On PostgreSQL, the database itself refuses to update or delete collective case events,
as it does for case events (0002)."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION complaints_collectiveevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'complaints_collectiveevent is append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER complaints_collectiveevent_append_only
    BEFORE UPDATE OR DELETE ON complaints_collectiveevent
    FOR EACH ROW EXECUTE FUNCTION complaints_collectiveevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS complaints_collectiveevent_append_only ON complaints_collectiveevent;
DROP FUNCTION IF EXISTS complaints_collectiveevent_append_only();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("complaints", "0017_collective_case")]
    operations = [migrations.RunPython(forwards, backwards)]
