"""Benchmark: the escalation engine over N open cases of which K are overdue (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kamen_bench python bench/escalation.py \
        [--n 1000000] [--k 10000] [--workers 2] [--batch-size 1000]

Seeds the database with INSERT ... SELECT generate_series (seconds, not the ORM row by
row), then sweeps at a fixed moment with ``--workers`` OS processes, each on its own
connection running batch loops as a Celery worker runs ``casework.sweep_batch`` tasks
(claiming with SKIP LOCKED); undoes that and sweeps again with one process; then a
sweep with nothing due (K = 0) and one staff escalation through the same engine. Prints
one JSON line. Queries are counted with ``connection.execute_wrapper`` in each process.
The database is emptied first: use a scratch one.
"""

import argparse
import json
import multiprocessing
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils.dateparse import parse_datetime  # noqa: E402

from casework import actions  # noqa: E402
from casework.sweep import sweep_batch, sweep_overdue  # noqa: E402
from complaints.models import CaseEvent, ComplaintCase  # noqa: E402
from escalation.models import TierStage  # noqa: E402
from notifications.models import OutboxEmail  # noqa: E402

NOW = "2026-05-20T09:00:00+08:00"
TABLES = [
    "notifications_outboxemail",
    "escalation_tierstage",
    "evidence_evidenceitem",
    "evidence_evidencebundle",
    "complaints_caseevent",
    "complaints_complaintcase",
    "complaints_order",
    "complaints_platform",
]
PLATFORM_TERMS = (
    '{"first_response": {"amount": 24, "unit": "hours"}, "update": {"amount": 48, '
    '"unit": "hours"}, "resolution": {"amount": 7, "unit": "working_days"}}'
)


def seed(n: int, k: int, users: int) -> None:
    with connection.cursor() as cur:
        cur.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        cur.execute("DELETE FROM auth_user WHERE username LIKE 'bench%%'")
        cur.execute(
            """
            INSERT INTO auth_user (password, is_superuser, username, first_name, last_name,
                                   email, is_staff, is_active, date_joined)
            SELECT '!', false, 'bench' || i, '', '', 'bench' || i || '@example.com',
                   false, true, now()
            FROM generate_series(1, %s) AS i
            """,
            [users],
        )
        cur.execute("SELECT min(id) FROM auth_user WHERE username LIKE 'bench%%'")
        first_user = cur.fetchone()[0]
        cur.execute(
            "INSERT INTO complaints_platform (name, website, complaint_email, notes, created_at)"
            " VALUES ('基准卡盟', '', '', '', now()) RETURNING id"
        )
        platform = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO complaints_order (id, supplier_name, order_number, product_name,
                product_kind, amount, currency, paid_at, payment_method, payment_reference,
                status_seen, created_at, owner_id, platform_id, merchant_on_bill)
            SELECT i, '', 'B' || i, '腾讯视频 SVIP 月卡', 'membership', 30.00, 'CNY',
                   %(now)s::timestamptz - interval '3 days', 'alipay', '', '',
                   %(now)s::timestamptz - interval '3 days', %(u0)s + (i %% %(users)s),
                   %(platform)s, ''
            FROM generate_series(1, %(n)s) AS i
            """,
            {"now": NOW, "n": n, "users": users, "u0": first_user, "platform": platform},
        )
        cur.execute(
            """
            INSERT INTO complaints_complaintcase (id, reference, problem_type, description,
                demand_kind, demand_text, demand_amount, demand_within_hours, status, tier,
                urgency, urgency_reason, harm_noticed_at, resolution_outcome,
                needs_staff_attention, created_at, updated_at, complainant_id, order_id,
                other_proceedings, risk_signals, dispatch_kind, dispatch_priority,
                dispatch_tags)
            SELECT i, 'KM-B-' || i, 'lost_order_unsynced', '付款后订单消失', 'refund', '',
                   NULL, 24, 'submitted', 'platform', 'normal', '',
                   %(now)s::timestamptz - interval '3 days', '', false,
                   %(now)s::timestamptz - interval '2 days',
                   %(now)s::timestamptz - interval '2 days', %(u0)s + (i %% %(users)s), i,
                   '', '[]'::jsonb, 'lost_order', 4, '[]'::jsonb
            FROM generate_series(1, %(n)s) AS i
            """,
            {"now": NOW, "n": n, "users": users, "u0": first_user},
        )
        # K stages overdue by an hour; the others due within the next 1,000 hours.
        cur.execute(
            """
            INSERT INTO escalation_tierstage (id, case_id, tier, opened_at,
                first_response_due_at, update_due_at, resolution_due_at, next_due_at,
                warn_at, terms, update_anchor_at, external_reference, close_reason)
            SELECT i, i, 'platform', opened, due, opened + interval '48 hours',
                   opened + interval '9 days', due, NULL, %(terms)s::jsonb, opened, '', ''
            FROM (
                SELECT i, %(now)s::timestamptz - interval '25 hours' AS opened,
                       CASE WHEN i <= %(k)s THEN %(now)s::timestamptz - interval '1 hour'
                            ELSE %(now)s::timestamptz + (1 + i %% 1000) * interval '1 hour'
                       END AS due
                FROM generate_series(1, %(n)s) AS i
            ) AS s
            """,
            {"now": NOW, "n": n, "k": k, "terms": PLATFORM_TERMS},
        )
        cur.execute(
            """
            INSERT INTO complaints_caseevent (case_id, seq, kind, created_at, payload,
                prev_hash, hash)
            SELECT i, 1, 'filed', %(now)s::timestamptz - interval '2 days', '{}'::jsonb, '',
                   md5(i::text) || md5((i + 1)::text)
            FROM generate_series(1, %(n)s) AS i
            """,
            {"now": NOW, "n": n},
        )
        for table in ("complaints_order", "complaints_complaintcase", "escalation_tierstage"):
            sequence = f"pg_get_serial_sequence('{table}', 'id')"
            cur.execute(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))")
    with connection.cursor() as cur:
        # As in a live database, not a freshly bulk-loaded one: hint bits set, statistics known.
        cur.execute("VACUUM ANALYZE")


def reset(n: int) -> bool:
    """Undo a previous run's sweep instead of seeding again; False if there is nothing to undo."""
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM complaints_complaintcase")
        if cur.fetchone()[0] != n:
            return False
        cur.execute("ALTER TABLE complaints_caseevent DISABLE TRIGGER USER")
        cur.execute("DELETE FROM complaints_caseevent WHERE seq > 1")
        cur.execute("ALTER TABLE complaints_caseevent ENABLE TRIGGER USER")
        cur.execute("DELETE FROM escalation_tierstage WHERE tier <> 'platform'")
        cur.execute(
            "UPDATE escalation_tierstage SET closed_at = NULL, close_reason = '', "
            "next_due_at = first_response_due_at WHERE closed_at IS NOT NULL"
        )
        cur.execute(
            "UPDATE complaints_complaintcase SET tier = 'platform' WHERE tier <> 'platform'"
        )
        cur.execute("TRUNCATE notifications_outboxemail")
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")
    return True


class QueryCounter:
    """Counts (and with BENCH_TIMINGS set, times) every statement, execute_values' included."""

    def __init__(self) -> None:
        self.count = 0
        self.timings: list[tuple[float, str]] = []

    def __call__(self, execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        self.count += 1
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            if os.environ.get("BENCH_TIMINGS"):
                text = sql.decode(errors="replace") if isinstance(sql, bytes) else sql
                self.timings.append((time.perf_counter() - started, text[:90]))


def batch_loop(now, batch_size: int) -> dict:  # type: ignore[no-untyped-def]
    """What one worker does with its share of batch tasks: batches until one comes back short."""
    counter = QueryCounter()
    escalated = batches = 0
    cpu = time.process_time()
    with connection.execute_wrapper(counter):
        while True:
            part = sweep_batch(now=now, batch_size=batch_size)
            escalated += part.escalated
            batches += part.batches
            if len(part.case_ids) < batch_size:
                break
    for seconds, sql in counter.timings:
        print(f"{os.getpid()} {seconds:.4f} {sql}", file=sys.stderr)
    return {
        "escalated": escalated,
        "batches": batches,
        "queries": counter.count,
        "cpu": time.process_time() - cpu,
        "finished": time.monotonic(),
    }


def _worker(now, batch_size, ready, start, results) -> None:  # type: ignore[no-untyped-def]
    connection.ensure_connection()  # its own backend, opened before the clock starts
    ready.release()
    start.wait()
    results.put(batch_loop(now, batch_size))
    connection.close()


def measured_sweep(now, *, workers: int, batch_size: int) -> dict:  # type: ignore[no-untyped-def]
    """Wall time from the start signal to the last worker's last commit."""
    connection.close()  # forked children must not share the parent's socket
    ctx = multiprocessing.get_context("fork")
    ready, start, results = ctx.Semaphore(0), ctx.Event(), ctx.Queue()
    procs = [
        ctx.Process(target=_worker, args=(now, batch_size, ready, start, results))
        for _ in range(workers)
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.acquire()
    started = time.monotonic()
    start.set()
    parts = [results.get() for _ in procs]
    for proc in procs:
        proc.join()
    return {
        "escalated": sum(p["escalated"] for p in parts),
        "seconds": round(max(p["finished"] for p in parts) - started, 3),
        "queries": sum(p["queries"] for p in parts),
        "batches": [p["batches"] for p in parts],
        "client_cpu_seconds": round(sum(p["cpu"] for p in parts), 3),
    }


def timed(func):  # type: ignore[no-untyped-def]
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        result = func()
        seconds = time.perf_counter() - started
    return result, seconds, counter.count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--k", type=int, default=10_000)
    parser.add_argument("--users", type=int, default=10_000)
    parser.add_argument(
        "--reuse", action="store_true", help="undo the last run instead of seeding again"
    )
    parser.add_argument(
        "--workers", type=int, default=2, help="worker processes claiming batches (default 2)"
    )
    parser.add_argument(
        "--batch-size", type=int, default=None, help="default: ESCALATION_SWEEP_BATCH_SIZE"
    )
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/escalation.py needs PostgreSQL: set DATABASE_URL")
    batch_size = args.batch_size or settings.ESCALATION_SWEEP_BATCH_SIZE
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if not (args.reuse and reset(args.n)):
        seed(args.n, args.k, args.users)
    seed_seconds = time.perf_counter() - started
    now = parse_datetime(NOW)
    sweep_overdue(now=parse_datetime("2026-05-19T00:00:00+08:00"))  # warm-up: nothing due
    many = measured_sweep(now, workers=args.workers, batch_size=batch_size)
    events = CaseEvent.objects.filter(kind="escalated").count()
    outbox_rows = OutboxEmail.objects.count()
    watchdog = TierStage.objects.filter(tier="watchdog", closed_at__isnull=True).count()
    k0, k0_seconds, k0_queries = timed(lambda: sweep_overdue(now=now))
    reset(args.n)
    one = measured_sweep(now, workers=1, batch_size=batch_size)
    # One staff escalation through the same engine: a batch of one, locks and email included.
    User = get_user_model()
    staff, _ = User.objects.get_or_create(
        username="bench-staff", defaults={"is_staff": True, "is_superuser": True}
    )
    cases = ComplaintCase.objects.filter(tier="platform").order_by("-pk")
    warm, target = list(cases[:2])
    actions.case_escalate_by_staff(case=warm, actor=staff, reason="warm-up", now=now)
    _, staff_seconds, staff_queries = timed(
        lambda: actions.case_escalate_by_staff(case=target, actor=staff, reason="bench", now=now)
    )
    print(
        json.dumps(
            {
                "N": args.n,
                "K": args.k,
                "batch_size": batch_size,
                "workers": args.workers,
                "escalated": many["escalated"],
                "seconds": many["seconds"],
                "queries": many["queries"],
                "batches_per_worker": many["batches"],
                # CPU time of the worker processes; the rest is PostgreSQL and waiting.
                "client_cpu_seconds": many["client_cpu_seconds"],
                "escalated_events": events,
                "outbox_rows": outbox_rows,
                "open_watchdog_stages": watchdog,
                "one_worker_escalated": one["escalated"],
                "one_worker_seconds": one["seconds"],
                "one_worker_queries": one["queries"],
                "k0_escalated": k0.escalated,
                "k0_seconds": round(k0_seconds, 4),
                "k0_queries": k0_queries,
                "staff_escalation_seconds": round(staff_seconds, 4),
                "staff_escalation_queries": staff_queries,
                "seed_seconds": round(seed_seconds, 1),
                # The machine is shared: the 1/5/15-minute load averages after the sweeps.
                "loadavg": [round(x, 2) for x in os.getloadavg()],
            }
        )
    )


if __name__ == "__main__":
    main()
