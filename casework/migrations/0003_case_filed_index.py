"""The index the dashboard's refresh counts a day's cases by (their filing time), so that
recounting a day reads that day's cases and not the whole table. Written as SQL because
the table is complaints'; ``created_at`` never changes, so the index costs inserts only."""

from django.db import migrations

NAME = "casework_case_filed_at"


def index_create(apps, schema_editor):
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {NAME} ON complaints_complaintcase (created_at)"
    )


def index_drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {NAME}")


class Migration(migrations.Migration):
    dependencies = [("casework", "0002_figures"), ("complaints", "0001_initial")]
    operations = [migrations.RunPython(index_create, index_drop)]
