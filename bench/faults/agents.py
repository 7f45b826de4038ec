"""Processes the fault scripts start besides Celery: a sweeper and a clock feeder.

    python bench/faults/agents.py sweep [--batch-size 25] [--seconds 120] [--until-idle 3]
    python bench/faults/agents.py feed --seconds 90 [--every 2] [--limit 40]

``sweep`` is what a ``manage.py escalate_overdue`` loop or a Celery worker does: the
in-process sweep (``casework.sweep.sweep_overdue``, batches claimed with SKIP LOCKED)
then one bounded outbox drain, again and again, with the pause points of hooks.py
installed. It stops after ``--seconds``, or after ``--until-idle`` seconds without a
batch (nothing due, or all of it locked by other sweeps). It prints one JSON line of what it did.

``feed`` makes clocks run out while the sweeps run: every ``--every`` seconds up to
``--limit`` open stages that the run's escalations opened (watchdog, payment, legal)
get a deadline a second in the past, as if the outside body's time had passed, so cases
climb the whole ladder within minutes. Stages already flagged at the top are left alone.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import django


def sweep(args: argparse.Namespace) -> None:
    from django.db import close_old_connections
    from django.utils import timezone

    from bench.faults import hooks
    from casework import sweep as sweeping
    from casework.tasks import _drain

    hooks.install()
    deadline = time.monotonic() + args.seconds
    idle_since: float | None = None
    totals = {"loops": 0, "escalated": 0, "flagged": 0, "batches": 0, "sent": 0, "errors": 0}
    while time.monotonic() < deadline:
        close_old_connections()
        now = timezone.now()
        try:
            result = sweeping.sweep_overdue(now=now, batch_size=args.batch_size)
            totals["sent"] += _drain(now=now)
        except Exception as exc:  # a database restart: count it, reconnect, go on
            totals["errors"] += 1
            print(f"sweep error: {type(exc).__name__}: {exc}", file=sys.stderr, flush=True)
            from django.db import connection

            connection.close()
            time.sleep(0.5)
            continue
        totals["loops"] += 1
        totals["escalated"] += result.escalated
        totals["flagged"] += result.flagged
        totals["batches"] += result.batches
        if result.batches:
            idle_since = None
        elif args.until_idle:
            # Nothing claimed: nothing due, or all of it locked by another sweep.
            idle_since = idle_since or time.monotonic()
            if time.monotonic() - idle_since >= args.until_idle:
                break
        if not result.batches:
            time.sleep(args.pause)
    print(json.dumps({"pid": os.getpid(), **totals}), flush=True)


def feed(args: argparse.Namespace) -> None:
    from django.db import connection

    deadline = time.monotonic() + args.seconds
    fed = 0
    while time.monotonic() < deadline:
        with connection.cursor() as cur:
            cur.execute(
                """
                SELECT s.id FROM escalation_tierstage s
                JOIN complaints_complaintcase c ON c.id = s.case_id
                WHERE s.closed_at IS NULL AND s.tier <> 'platform'
                  AND s.paused_at IS NULL AND NOT c.needs_staff_attention
                  AND (s.next_due_at IS NULL OR s.next_due_at > now())
                  AND s.opened_at < now() - interval '1 second'
                ORDER BY random() LIMIT %s
                """,
                [args.limit],
            )
            ids = [row[0] for row in cur.fetchall()]
            # One row a statement (autocommit): the feeder never holds two stage locks, so
            # it cannot deadlock with a sweep that holds several.
            for stage_id in ids:
                cur.execute(
                    "UPDATE escalation_tierstage SET next_due_at = now() - interval '1 second'"
                    " WHERE id = %s AND closed_at IS NULL"
                    " AND (next_due_at IS NULL OR next_due_at > now())",
                    [stage_id],
                )
                fed += cur.rowcount
        time.sleep(args.every)
    print(json.dumps({"pid": os.getpid(), "fed": fed}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    sub = parser.add_subparsers(dest="command", required=True)
    s = sub.add_parser("sweep")
    s.add_argument("--batch-size", type=int, default=25)
    s.add_argument("--seconds", type=float, default=120)
    s.add_argument("--until-idle", type=float, default=0)
    s.add_argument("--pause", type=float, default=0.2)
    f = sub.add_parser("feed")
    f.add_argument("--seconds", type=float, default=90)
    f.add_argument("--every", type=float, default=2)
    f.add_argument("--limit", type=int, default=40)
    args = parser.parse_args()
    django.setup()
    {"sweep": sweep, "feed": feed}[args.command](args)


if __name__ == "__main__":
    main()
