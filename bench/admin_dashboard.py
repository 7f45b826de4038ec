"""Benchmark: the admin dashboard as a triager, over 1,000,000 cases (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kamen_bench_dashboard \
        python bench/admin_dashboard.py [--n 1000000] [--reseed] [--seed-only]

Seeds with bench/escalation.py's ``seed`` (INSERT ... SELECT generate_series), then spreads
the cases over the last 400 days (in id order, as a live table fills), 40 platforms and
1,000 merchants (a few named far more often than the rest; a fifth of the cases name
none) and the seven problem types; 70 % of the platform stages answered after 0 to 72
hours, 10 % of the cases escalated to 12315, 2 % on to payment and 0.5 % to legal, 2.5 %
withdrawn; 400 days of overdue counts, as the beat would have left them. Then rebuilds
the read model (timed) and, on every run, adds about 2,000 responses to cases of the
last 30 days and times one beat refresh.

Measures with the Django test client, signed in as a triager: the dashboard for each
preset range and a range with two ragged month ends, and each CSV for this year. Prints
JSON: the median of 5 timings and the query count of each. The database is emptied when
it seeds: a scratch one. Reruns reuse the seeded data unless ``--reseed``.
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("CELERY_BROKER_URL", "memory://")

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import setup_test_environment
from django.urls import reverse
from django.utils import timezone

from bench.escalation import QueryCounter, seed
from casework.analytics import figures_refresh
from casework.models import FiguresRefresh, OverdueDay
from complaints.access import roles_ensure
from tests.factories import StaffFactory

PLATFORMS = 40
MERCHANTS = 1000
DAYS = 400
PROBLEM_TYPES = (
    "network_error",
    "lost_order_unsynced",
    "lost_order_stuck",
    "lost_order_vanished",
    "invalid_card_key",
    "not_delivered",
    "complaint_ignored",
)
TABLES = ("platforms", "merchants", "responses", "overdue", "problem_types", "tiers", "red_flags")


def seeded(n: int) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM complaints_complaintcase")
        if cur.fetchone()[0] != n:
            return False
        cur.execute("SELECT count(*) FROM complaints_merchant")
        if cur.fetchone()[0] != MERCHANTS:
            return False
    return FiguresRefresh.objects.exclude(refreshed_at=None).exists()  # the last step ran


def spread(n: int, k: int) -> None:
    """The seed's identical cases made into a year of varied ones (see the docstring)."""
    now = timezone.now()
    # Filed in id order, as a live table fills: a day's cases lie together on disk.
    step = timedelta(days=DAYS) / n
    params = {"now": now, "k": k, "n": n, "step": step, "types": list(PROBLEM_TYPES)}
    with connection.cursor() as cur:
        # (seed's TRUNCATE of the platforms emptied the merchants and the figures)
        cur.execute("TRUNCATE casework_overdueday, casework_figuresrefresh")
        cur.execute(
            "INSERT INTO complaints_platform (name, website, complaint_email, notes, created_at)"
            " SELECT '基准卡盟' || i, '', '', '', now() FROM generate_series(2, %s) AS i",
            [PLATFORMS],
        )
        cur.execute(
            """
            INSERT INTO complaints_merchant (platform_id, name, shop_url, notes, created_at)
            SELECT p.id, '商户' || j, '', '', now()
            FROM generate_series(0, %s - 1) AS j
            JOIN (SELECT id, row_number() OVER (ORDER BY id) - 1 AS rank
                  FROM complaints_platform) AS p ON p.rank = j %% %s
            """,
            [MERCHANTS, PLATFORMS],
        )
        # hashtext() mixes the ids, so that merchant, day and problem type vary apart. The
        # merchant is r * r / 1000 for r uniform in 0..999: the first merchants (and so the
        # first platforms) far more often named than the last.
        cur.execute(
            """
            UPDATE complaints_order AS o SET merchant_id = m.id, platform_id = m.platform_id
            FROM complaints_merchant AS m
            WHERE m.name = '商户' || ((abs(hashtext('m' || o.id)) % 1000)
                                      * (abs(hashtext('m' || o.id)) % 1000) / 1000)
            """
        )
        cur.execute(
            """
            UPDATE complaints_order AS o SET merchant_id = NULL WHERE o.id % 5 = 0
            """
        )
        cur.execute(
            """
            UPDATE complaints_complaintcase SET
                created_at = %(now)s::timestamptz - (%(n)s - id) * %(step)s::interval,
                updated_at = %(now)s::timestamptz - (%(n)s - id) * %(step)s::interval,
                problem_type = (%(types)s::text[])[abs(hashtext('p' || id)) %% 7 + 1],
                status = CASE WHEN id %% 40 = 0 THEN 'withdrawn' ELSE status END,
                resolution_outcome = CASE WHEN id %% 40 = 0 THEN 'withdrawn' ELSE '' END,
                tier = CASE WHEN id %% 200 = 199 THEN 'legal'
                            WHEN id %% 50 = 49 THEN 'payment'
                            WHEN id %% 10 = 9 THEN 'watchdog' ELSE 'platform' END
            """,
            params,
        )
        # The platform stages: opened at filing; 70 % answered (none of the K overdue);
        # the escalated ones closed a day later; the others due in the next 1,000 hours.
        cur.execute(
            """
            UPDATE escalation_tierstage AS s SET
                opened_at = c.created_at,
                update_anchor_at = c.created_at,
                responded_at = CASE WHEN s.id > %(k)s AND s.id %% 10 < 7
                    THEN c.created_at + (s.id * 37 %% 4320) * interval '1 minute' END,
                first_response_due_at = CASE WHEN s.id <= %(k)s
                    THEN %(now)s::timestamptz - interval '1 hour' END,
                next_due_at = CASE WHEN s.id %% 10 = 9 THEN NULL
                    WHEN s.id <= %(k)s THEN %(now)s::timestamptz - interval '1 hour'
                    ELSE %(now)s::timestamptz + (1 + s.id %% 1000) * interval '1 hour' END,
                closed_at = CASE WHEN s.id %% 10 = 9 THEN c.created_at + interval '1 day' END,
                close_reason = CASE WHEN s.id %% 10 = 9 THEN 'expired' ELSE '' END
            FROM complaints_complaintcase AS c WHERE c.id = s.case_id
            """,
            params,
        )
        for tier, every, rest, after, closes in (
            ("watchdog", 10, 9, 1, "c.id %% 50 = 49"),
            ("payment", 50, 49, 2, "c.id %% 200 = 199"),
            ("legal", 200, 199, 3, "false"),
        ):
            cur.execute(
                f"""
                INSERT INTO escalation_tierstage (case_id, tier, opened_at, next_due_at, terms,
                    update_anchor_at, external_reference, close_reason, closed_at)
                SELECT c.id, %(tier)s, c.created_at + %(after)s * interval '1 day',
                       CASE WHEN {closes} THEN NULL
                            ELSE %(now)s::timestamptz + interval '100 hours' END,
                       '{{}}'::jsonb, c.created_at + %(after)s * interval '1 day', '',
                       CASE WHEN {closes} THEN 'expired' ELSE '' END,
                       CASE WHEN {closes}
                            THEN c.created_at + (%(after)s + 1) * interval '1 day' END
                FROM complaints_complaintcase AS c WHERE c.id %% {every} = {rest}
                """,
                {**params, "tier": tier, "after": after},
            )
        cur.execute(
            """
            INSERT INTO casework_overdueday (day, overdue, counted_at)
            SELECT (%(now)s::timestamptz AT TIME ZONE 'Asia/Shanghai')::date - d,
                   %(k)s * (80 + d * 7919 %% 40) / 100, %(now)s::timestamptz - d * interval '1 day'
            FROM generate_series(1, %(days)s) AS d
            """,
            {**params, "days": DAYS},
        )
    with connection.cursor() as cur:
        cur.execute("VACUUM ANALYZE")


def responses_arrive(n: int) -> None:
    """About 2,000 responses recorded now on cases filed in the last 30 days (as events:
    the refresh finds the days to recount by them)."""
    with connection.cursor() as cur:
        cur.execute(
            "SELECT coalesce(max(seq), 999) + 1 FROM complaints_caseevent WHERE seq >= 1000"
        )
        seq = cur.fetchone()[0]
        cur.execute(
            """
            INSERT INTO complaints_caseevent (case_id, seq, kind, created_at, payload,
                prev_hash, hash)
            SELECT id, %s, 'response_recorded', now(), '{}'::jsonb, '',
                   md5(id::text) || md5(%s::text)
            FROM complaints_complaintcase
            WHERE created_at > now() - interval '30 days' AND id %% 37 = 3
            """,
            [seq, seq],
        )


def measure(client: Client, url: str, params: dict[str, str]) -> dict:
    timings, counts = [], []
    for _ in range(5):
        counter = QueryCounter()
        with connection.execute_wrapper(counter):
            started = time.perf_counter()
            response = client.get(url, params)
            if response.streaming:
                b"".join(response.streaming_content)
            else:
                response.content  # noqa: B018
            timings.append(time.perf_counter() - started)
        assert response.status_code == 200, (url, params, response.status_code)
        counts.append(counter.count)
    return {"median_ms": round(statistics.median(timings) * 1000, 1), "queries": max(counts)}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--seed-only", action="store_true")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench/admin_dashboard.py needs PostgreSQL: set DATABASE_URL")
    call_command("migrate", verbosity=0)
    k = args.n // 100
    started = time.perf_counter()
    rebuild_seconds = None
    if args.reseed or not seeded(args.n):
        seed(args.n, k, 10_000)
        spread(args.n, k)
        seed_seconds = time.perf_counter() - started
        started = time.perf_counter()
        figures_refresh(now=timezone.now(), rebuild=True)
        rebuild_seconds = round(time.perf_counter() - started, 1)
    else:
        seed_seconds = 0.0
    if args.seed_only:
        print(json.dumps({"seed_seconds": round(seed_seconds, 1), "rebuild": rebuild_seconds}))
        return
    # One beat refresh, after about 2,000 responses to cases of the last 30 days: it recounts
    # those days and their months, counts today's overdue stages and lists the red flags.
    FiguresRefresh.objects.filter(pk=1).update(refreshed_at=timezone.now() - timedelta(minutes=10))
    responses_arrive(args.n)
    counter = QueryCounter()
    with connection.execute_wrapper(counter):
        started = time.perf_counter()
        refreshed = figures_refresh(now=timezone.now())
        refresh_seconds = time.perf_counter() - started
    triager_role, _ = roles_ensure()
    user = get_user_model().objects.filter(username="dashboard-triager").first()
    if user is None:
        user = StaffFactory(username="dashboard-triager")
        user.groups.add(triager_role)
    setup_test_environment()
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    url = reverse("staff-dashboard")
    today = timezone.localdate()
    ragged = {"start": str(today - timedelta(days=75)), "end": str(today - timedelta(days=15))}
    views = {
        "default_30d": {},
        "7d": {"preset": "7"},
        "90d": {"preset": "90"},
        "this_year": {"preset": "year"},
        "ragged_60d": ragged,
    }
    results = {name: measure(client, url, params) for name, params in views.items()}
    csv = {
        table: measure(client, reverse("staff-dashboard-csv", args=[table]), {"preset": "year"})
        for table in TABLES
    }
    print(
        json.dumps(
            {
                "cases": args.n,
                "seed_seconds": round(seed_seconds, 1),
                "rebuild_seconds": rebuild_seconds,
                "refresh": {
                    "seconds": round(refresh_seconds, 2),
                    "queries": counter.count,
                    "days_recounted": refreshed.days,
                    "overdue_now": refreshed.overdue,
                },
                "overdue_days_kept": OverdueDay.objects.count(),
                "load_average": [round(x, 2) for x in os.getloadavg()],
                "dashboard": results,
                "csv_this_year": csv,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
