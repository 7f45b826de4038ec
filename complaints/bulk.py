"""Multi-row inserts for the sweep, without building a model instance per row.

The sweep writes three rows per escalated case (stage, event, outbox). Django's
``bulk_create`` prepares every value of every instance through the field machinery, and
a 10,000-row ``INSERT ... VALUES`` spends most of its time being quoted and parsed; on
PostgreSQL ``COPY`` does the same work several times faster. Callers hand over values in
database form (``db_datetime``, ``db_json``). Elsewhere (SQLite) a multi-row INSERT is used.
"""

import functools
import io
import json
import threading
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from django.db import connection

# COPY statements bypass Django's execute wrappers; the benchmark adds these to its count.
COPY_STATEMENTS = 0
_COUNT_LOCK = threading.Lock()  # the sweep may copy from several threads


def db_datetime(value: datetime | None) -> Any:
    return connection.ops.adapt_datetimefield_value(value) if value is not None else None


def db_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value: Any) -> str:
    kind = type(value)
    if kind is int:
        return str(value)
    if kind is str:
        # Most text (hashes, keys, JSON without control characters) needs no escaping.
        if "\\" in value or "\t" in value or "\n" in value or "\r" in value:
            return value.translate(_COPY_ESCAPES)
        return value
    return _copy_text(value)


@functools.lru_cache(maxsize=4096, typed=True)
def _copy_text(value: Any) -> str:
    """Memoised: a sweep repeats the same instants, tiers and terms on every row."""
    if value is None:
        return "\\N"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, bool):
        return "t" if value else "f"
    return str(value).translate(_COPY_ESCAPES)


def _copy(table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    global COPY_STATEMENTS
    qn = connection.ops.quote_name
    buffer = io.StringIO()
    buffer.writelines("\t".join(map(_copy_value, row)) + "\n" for row in rows)
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(
            f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN", buffer
        )
    with _COUNT_LOCK:
        COPY_STATEMENTS += 1


def insert_rows(
    table: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    *,
    ignore_conflicts_on: str | None = None,
) -> None:
    """INSERT ``rows``; with ``ignore_conflicts_on``, rows clashing on that column are dropped.

    Identifiers come from model metadata, never from input; values are never spliced
    into SQL (parameters, or COPY's data stream).
    """
    if not rows:
        return
    qn = connection.ops.quote_name
    cols = ", ".join(qn(c) for c in columns)
    if connection.vendor == "postgresql":
        if ignore_conflicts_on is None:
            _copy(table, columns, rows)
            return
        staging = f"_incoming_{table}"
        with connection.cursor() as cursor:
            cursor.execute(
                f"CREATE TEMP TABLE IF NOT EXISTS {qn(staging)} ON COMMIT DELETE ROWS "  # noqa: S608
                f"AS SELECT {cols} FROM {qn(table)} WITH NO DATA"
            )
        _copy(staging, columns, rows)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {qn(table)} ({cols}) SELECT {cols} FROM {qn(staging)} "  # noqa: S608
                f"ON CONFLICT ({qn(ignore_conflicts_on)}) DO NOTHING"
            )
            cursor.execute(f"DELETE FROM {qn(staging)}")  # noqa: S608
        return
    tail = f" ON CONFLICT ({qn(ignore_conflicts_on)}) DO NOTHING" if ignore_conflicts_on else ""
    placeholder = "(" + ", ".join(["%s"] * len(columns)) + ")"
    chunk = max(1, (connection.features.max_query_params or 60_000) // len(columns))
    with connection.cursor() as cursor:
        for start in range(0, len(rows), chunk):
            part = rows[start : start + chunk]
            params = [value for row in part for value in row]
            cursor.execute(
                f"INSERT INTO {qn(table)} ({cols}) VALUES "  # noqa: S608
                + ", ".join([placeholder] * len(part))
                + tail,
                params,
            )
