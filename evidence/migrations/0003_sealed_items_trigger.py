"""On PostgreSQL, the database itself refuses to change or delete sealed evidence items."""

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION evidence_item_sealed_immutable() RETURNS trigger AS $$
BEGIN
    IF OLD.sealed_at IS NOT NULL THEN
        RAISE EXCEPTION 'evidence item % is sealed: % refused', OLD.id, TG_OP
            USING ERRCODE = 'restrict_violation';
    END IF;
    IF TG_OP = 'DELETE' THEN
        RETURN OLD;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER evidence_item_sealed_immutable
    BEFORE UPDATE OR DELETE ON evidence_evidenceitem
    FOR EACH ROW EXECUTE FUNCTION evidence_item_sealed_immutable();
"""
DROP = """
DROP TRIGGER IF EXISTS evidence_item_sealed_immutable ON evidence_evidenceitem;
DROP FUNCTION IF EXISTS evidence_item_sealed_immutable();
"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("evidence", "0002_derived_files_and_analysis")]
    operations = [migrations.RunPython(forwards, backwards)]
