"""Benchmark: the admin case list as a triager, over 1,000,000 cases (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kamen_bench_triage \
        python bench/admin_triage.py [--n 1000000] [--reseed]

Seeds with bench/escalation.py's ``seed`` (INSERT ... SELECT generate_series), then gives
a share of the cases payment references and an owner, and migrates first. Measures with
the Django test client, signed in as a triager: the default list, the "overdue" filter,
"mine", and searches by reference, order number and payment reference. Prints JSON: the
median of 5 timings and the query count of each. The database is emptied: a scratch one.
"""

import argparse
import json
import os
import statistics
import sys
import time
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

from bench.escalation import QueryCounter, seed
from complaints.access import roles_ensure
from complaints.models import ComplaintCase
from tests.factories import StaffFactory


def seeded(n: int) -> bool:
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM complaints_complaintcase")
        return cur.fetchone()[0] == n


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--reseed", action="store_true")
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    if args.reseed or not seeded(args.n):
        seed(args.n, args.n // 100, 10_000)
        with connection.cursor() as cur:
            cur.execute("UPDATE complaints_order SET payment_reference = 'P' || (id * 7)")
            cur.execute("VACUUM ANALYZE")
    seed_seconds = time.perf_counter() - started
    triager_role, _ = roles_ensure()
    user = get_user_model().objects.filter(username="bench-triager").first()
    if user is None:
        user = StaffFactory(username="bench-triager")
        user.groups.add(triager_role)
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE complaints_complaintcase SET assigned_to_id = %s WHERE id %% 1000 = 7",
            [user.pk],
        )
    setup_test_environment()  # response.context, as in the tests
    client = Client(HTTP_HOST="localhost")
    client.force_login(user)
    url = reverse("admin:complaints_complaintcase_changelist")
    middle = ComplaintCase.objects.filter(pk=args.n // 2).values_list(
        "reference", "order__order_number", "order__payment_reference"
    )[0]
    views = {
        "default": {},
        "overdue": {"deadline": "overdue"},
        "mine": {"assigned": "mine"},
        "search_reference": {"q": middle[0]},
        "search_order_number": {"q": middle[1]},
        "search_payment_reference": {"q": middle[2]},
    }
    results = {}
    for name, params in views.items():
        timings, counts = [], []
        for _ in range(5):
            counter = QueryCounter()
            with connection.execute_wrapper(counter):
                t = time.perf_counter()
                response = client.get(url, params)
                timings.append(time.perf_counter() - t)
            assert response.status_code == 200, (name, response.status_code)
            counts.append(counter.count)
        results[name] = {
            "median_ms": round(statistics.median(timings) * 1000, 1),
            "queries": max(counts),
            "rows_on_page": len(response.context["cl"].result_list),
        }
    print(
        json.dumps(
            {
                "cases": args.n,
                "seed_seconds": round(seed_seconds, 1),
                "load_average": os.getloadavg(),
                "views": results,
            }
        )
    )


if __name__ == "__main__":
    main()
