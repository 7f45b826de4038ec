"""The indexes the case list's searches and default order need at a million cases.

They live here, with the admin that needs them, as SQL: the searches are exact-or-prefix
(``LIKE 'x%'``), which on PostgreSQL only a ``*_pattern_ops`` index serves whatever the
collation; the list's order is the open stage's ``next_due_at``, paused stages included
(``stage_open_due`` leaves them out, as the sweep must).
"""

from django.db import migrations

INDEXES = [
    # name, table, PostgreSQL expression, SQLite expression, condition
    ("triage_order_number", "complaints_order", "order_number varchar_pattern_ops",
     "order_number", ""),
    ("triage_order_payref", "complaints_order", "payment_reference varchar_pattern_ops",
     "payment_reference", "payment_reference <> ''"),
    ("triage_case_reference", "complaints_complaintcase", "reference varchar_pattern_ops",
     "reference", ""),
    ("triage_user_email", "auth_user", "upper(email::text) text_pattern_ops",
     "upper(email)", ""),
    ("triage_stage_open_next_due", "escalation_tierstage", "next_due_at, case_id",
     "next_due_at, case_id", "closed_at IS NULL"),
]


def indexes_create(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, table, pg, lite, condition in INDEXES:
        where = f" WHERE {condition}" if condition else ""
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON {table} ({pg if postgres else lite}){where}"
        )


def indexes_drop(apps, schema_editor):
    for name, *_ in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("staff", "0001_roles")]

    operations = [migrations.RunPython(indexes_create, indexes_drop)]
