"""Multi-row inserts for bulk writers (the sweep, the outbox), without a model instance per row.

The sweep writes three rows per escalated case (stage, event, outbox). Django's
``bulk_create`` prepares every value of every instance through the field machinery;
here callers hand over values in database form (``db_datetime``, ``db_json``) and the
driver adapts them: on PostgreSQL ``psycopg2.extras.execute_values`` (one statement per
10,000 rows), elsewhere (SQLite) a multi-row INSERT within the parameter limit. Both go
through Django's cursor, so execute wrappers and query capture see every statement.
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection
from psycopg2.extras import execute_values

PAGE_SIZE = 10_000  # rows per statement on PostgreSQL: one round trip for a whole batch


def db_datetime(value: datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value) if value is not None else None


def db_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def insert_rows(
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts_on: str | None = None,
) -> None:
    """INSERT ``rows``; with ``ignore_conflicts_on``, rows clashing on that column are dropped.

    Identifiers come from model metadata, never from input; values are always adapted by
    the driver, never spliced into SQL by this module.
    """
    if not rows:
        return
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    tail = f" ON CONFLICT ({qn(ignore_conflicts_on)}) DO NOTHING" if ignore_conflicts_on else ""
    sql = f"INSERT INTO {qn(table)} ({cols}) VALUES "  # noqa: S608 (identifiers quoted)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            execute_values(cursor, sql + "%s" + tail, rows, page_size=PAGE_SIZE)
            return
        placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
        chunk = max(1, (connection.features.max_query_params or 60_000) // len(columns))
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            cursor.execute(
                sql + ", ".join([placeholder] * len(part)) + tail,
                [value for row in part for value in row],
            )
