"""Multi-row INSERTs for the sweep, without building a model instance per row.

The sweep writes three rows per escalated case (stage, event, outbox). Django's
``bulk_create`` prepares every value of every instance through the field machinery,
which costs more than the database does at 10,000 rows; here the caller hands over
values already in database form and each chunk is one statement through Django's
cursor (so it is counted, logged and wrapped like any other query).
"""

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection


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
    """INSERT ``rows`` in as few statements as the backend's parameter limit allows."""
    if not rows:
        return
    qn = connection.ops.quote_name
    # Identifiers come from model metadata, never from input; values are parameters.
    head = f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) VALUES "  # noqa: S608
    tail = f" ON CONFLICT ({qn(ignore_conflicts_on)}) DO NOTHING" if ignore_conflicts_on else ""
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    max_params = connection.features.max_query_params or 60_000
    chunk = max(1, min(len(rows), max_params // len(columns)))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            params = [value for row in part for value in row]
            cursor.execute(head + ", ".join([placeholder] * len(part)) + tail, params)
