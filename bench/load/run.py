"""The load test: 50 complainants filing with two files each and browsing, 5 staff working
the admin case list, for 2 minutes, against gunicorn with PostgreSQL and Redis.

    .venv/bin/python bench/load/run.py [--seconds 120] [--complainants 50] [--staff 5]

What runs: gunicorn (production settings, SECRET_KEY set, DEBUG off, ``--workers`` x 4
threads) on 127.0.0.1:8792, one Celery worker (the filing and evidence receipts), a
private Redis on 6392 (cache db 1, broker db 0), PostgreSQL ``kamen_load`` on the shared
server (emptied first), evidence on the filesystem in a temporary folder. Seeded: the
complainant accounts (email confirmed, one password), the staff accounts (``triager``
role, complaints.access.roles_ensure), ``--earlier`` cases for the staff to work on.
Then ``locust --headless`` with bench/load/locustfile.py: complainants pause 3-10 s
between pages (``--wait``), staff 2-8 s (``--staff-wait``), as people reading do.

Settings the run changes, through the environment only: HTTPS redirect and secure
cookies off (plain HTTP on 127.0.0.1; production keeps them on behind its proxy), and
the rate limits that count per client address, since every simulated user comes from
127.0.0.1: ``API_THROTTLE_USER``, ``API_THROTTLE_ANON``, ``API_THROTTLE_FILING`` and
``PORTAL_LOGIN_RATE``. The code's limits and checks are untouched.

Afterwards every case and file answered 201 (locustfile.py logs them) is looked up in
the database, files by the SHA-256 of the bytes sent and in storage. Prints requests per
second and p50/p95/p99 per page twice: for the whole run from locust's stats CSV, and,
with the goal per line, for the steady state after the first ``--settle`` seconds (30;
the 55 users arrive at 10 a second, each sign-in is an Argon2 hash, and each complainant
files within seconds of it), from every request's own time. Goals: pages (GET) p95
under 300 ms, 1 MB uploads p95 under 1 s (judged for pages with 20 requests or more in
the window); 0 errors; 0 cases or files lost or doubled. Exit 1 if a goal is missed.
"""

import argparse
import csv
import json
import math
import os
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.faults import clients
from bench.faults import harness as h

PASSWORD = "load-test-pass-2026"  # seeded accounts of a scratch database
PAGE_GOAL_MS = 300
UPLOAD_GOAL_MS = 1000
# A p95 of fewer requests is their slowest one or two: printed, not judged (--quick).
MIN_SAMPLES = 20
MARKER = re.compile(r"\[(load-[0-9a-f]{32})\]")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=int, default=120)
    parser.add_argument("--complainants", type=int, default=50)
    parser.add_argument("--staff", type=int, default=5)
    parser.add_argument("--spawn-rate", type=float, default=10)
    parser.add_argument(
        "--wait", default="3,10", help="a complainant's pause between pages, seconds (low,high)"
    )
    parser.add_argument("--staff-wait", default="2,8", help="a staff member's pause")
    parser.add_argument(
        "--settle", type=int, default=30, help="seconds of arrivals left out of the goals"
    )
    parser.add_argument(
        "--no-latency-goals",
        action="store_true",
        help="print the percentiles without judging them (a run too short to)",
    )
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--earlier", type=int, default=100, help="cases seeded for the staff")
    parser.add_argument("--redis-port", type=int, default=6392)
    parser.add_argument("--port", type=int, default=8792)
    parser.add_argument("--database-url", default=h.SHARED_PG + "/kamen_load")
    return parser.parse_args()


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile of sorted ``values`` (0 when empty)."""
    if not values:
        return 0.0
    return values[max(0, math.ceil(q * len(values)) - 1)]


def goal_for(name: str) -> tuple[str, float | None]:
    if "(1 MB)" in name:
        return "p95 < 1 s", UPLOAD_GOAL_MS
    if name.startswith("GET") and "sign-in" not in name:
        return f"p95 < {PAGE_GOAL_MS} ms", PAGE_GOAL_MS
    return "-", None


def warm_up(base: str, email: str, token: str, staff: str) -> None:
    """Each page a few times before the clock starts, so that every gunicorn process has
    imported its views and compiled its templates, as a server in service has."""
    import requests

    def signed_in(path: str, fields: dict[str, str]) -> requests.Session:
        session = requests.Session()
        page = session.get(base + path, timeout=30)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        fields["csrfmiddlewaretoken"] = match.group(1) if match else ""
        session.post(base + path, data=fields, timeout=30, headers={"Referer": base + path})
        return session

    portal = signed_in("/accounts/login/", {"login": email, "password": PASSWORD})
    admin = signed_in("/admin/login/?next=/admin/", {"username": staff, "password": PASSWORD})
    api = {"Authorization": f"Token {token}"}
    cases = requests.get(f"{base}/api/v1/cases/", headers=api, timeout=30).json()["results"]
    admin_list = admin.get(f"{base}/admin/complaints/complaintcase/", timeout=30).text
    admin_case = re.search(r"/admin/complaints/complaintcase/\d+/change/", admin_list)
    for _ in range(12):
        portal.get(f"{base}/cases/", timeout=30)
        requests.get(f"{base}/api/v1/cases/", headers=api, timeout=30)
        admin.get(f"{base}/admin/complaints/complaintcase/?deadline=overdue", timeout=30)
        if cases:
            portal.get(f"{base}/cases/{cases[0]['reference']}/", timeout=30)
        if admin_case:
            admin.get(base + admin_case.group(0), timeout=30)


def main() -> int:
    args = parse_args()
    stack = h.Stack("load")
    redis = h.PrivateRedis(stack, args.redis_port)
    redis.start()
    h.database_create(args.database_url)
    media = stack.path("media")
    env = h.service_env(
        database_url=args.database_url,
        broker_url=redis.url(0),
        cache_url=redis.url(1),
        mail_dir=stack.path("mail"),
        media_root=media,
        extra={
            "API_THROTTLE_USER": "100000/min",
            "API_THROTTLE_ANON": "100000/min",
            "API_THROTTLE_FILING": "100000/day",
            "PORTAL_LOGIN_RATE": "100000/m/ip",
            "LOG_LEVEL": "WARNING",
        },
    )
    h.django_up(env)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import connection

    from complaints.access import roles_ensure
    from complaints.models import ComplaintCase
    from evidence.models import EvidenceItem

    h.database_empty()
    people = h.complainants(args.complainants, prefix="load", password=PASSWORD, verified=True)
    tokens = clients.tokens_for(people)
    triager, _ = roles_ensure()
    User = get_user_model()
    staff = User.objects.bulk_create(
        [
            User(
                username=f"staff{i}",
                email=f"staff{i}@example.com",
                is_staff=True,
                password=make_password(PASSWORD),
            )
            for i in range(1, args.staff + 1)
        ]
    )
    for member in staff:
        member.groups.add(triager)
    h.say(f"seeding {args.earlier} earlier cases for the staff ...")
    others = h.complainants(20, prefix="earlier", password=PASSWORD, verified=True)
    h.cases_file(others, args.earlier, filed_ago_hours=30, tag="E")
    [warm_token] = clients.tokens_for(others[:1])
    accounts = stack.root / "accounts.json"
    accounts.write_text(
        json.dumps(
            {
                "complainants": [
                    {"email": u.email, "password": PASSWORD, "token": t}
                    for u, t in zip(people, tokens, strict=True)
                ],
                "staff": [{"username": s.username, "password": PASSWORD} for s in staff],
            }
        )
    )
    sent_path = stack.root / "sent.jsonl"
    sent_path.touch()
    connection.close()

    web = clients.gunicorn(stack, env, port=args.port, workers=args.workers, threads=4)
    worker = h.celery_worker(stack, "worker", env, concurrency=1)
    h.wait_until(lambda: h.worker_ready(worker), timeout=60, what="the worker")
    warm_up(f"http://127.0.0.1:{args.port}", others[0].email, warm_token, staff[0].username)
    prefix = stack.root / "locust"
    timings_path = stack.root / "timings.json"
    locust_env = {
        **env,
        "LOAD_ACCOUNTS": str(accounts),
        "LOAD_SENT": str(sent_path),
        "LOAD_COMPLAINANTS": str(args.complainants),
        "LOAD_STAFF": str(args.staff),
        "LOAD_TIMINGS": str(timings_path),
        "LOAD_WAIT": args.wait,
        "LOAD_STAFF_WAIT": args.staff_wait,
    }
    users = args.complainants + args.staff
    h.say(
        f"locust: {args.complainants} complainants + {args.staff} staff, {args.seconds} s, "
        f"gunicorn {args.workers} workers x 4 threads"
    )
    started = time.monotonic()
    runner = stack.spawn(
        "locust",
        [
            str(h.BIN / "locust"),
            "-f",
            "bench/load/locustfile.py",
            "--headless",
            "-u",
            str(users),
            "-r",
            str(args.spawn_rate),
            "-t",
            f"{args.seconds}s",
            "--host",
            f"http://127.0.0.1:{args.port}",
            "--csv",
            str(prefix),
            "--only-summary",
            "--stop-timeout",
            "30",
        ],
        env=locust_env,
    )
    runner.popen.wait(args.seconds + 180)
    wall = time.monotonic() - started

    # --- what locust measured ----------------------------------------------------------
    with open(f"{prefix}_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    with open(f"{prefix}_failures.csv", encoding="utf-8") as handle:
        failures = list(csv.DictReader(handle))
    report = h.Report("load")
    total = next(r for r in rows if r["Name"] == "Aggregated")
    print("\n  The whole run, users arriving included (locust's stats CSV):")
    print(f"  {'page':58} {'reqs':>6} {'fail':>5} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6}")
    for r in rows:
        name = "all" if r["Name"] == "Aggregated" else r["Name"]
        print(
            f"  {name[:58]:58} {r['Request Count']:>6} {r['Failure Count']:>5} "
            f"{float(r['Requests/s']):6.2f} {r['50%']:>6} {r['95%']:>6} {r['99%']:>6}"
        )
    timings = json.loads(timings_path.read_text()) if timings_path.exists() else []
    first = min((t for t, *_ in timings), default=0.0)
    last = max((t + ms / 1000 for t, _, ms, _ in timings), default=0.0)
    settle = args.settle if args.seconds > 2 * args.settle else 0
    steady = [x for x in timings if x[0] >= first + settle]
    window = max(last - first - settle, 1e-9)
    by_name: dict[str, list[float]] = {}
    for _, name, ms, _ in steady:
        by_name.setdefault(name, []).append(ms)
    label = (
        f"after the first {settle} s (all users arrived and signed in)"
        if settle
        else ("the whole run")
    )
    print(f"\n  Goals, {label}: exact percentiles of each request's time")
    print(f"  {'page':58} {'reqs':>6} {'req/s':>6} {'p50':>6} {'p95':>6} {'p99':>6}  goal")
    for name in sorted(by_name):
        values = sorted(by_name[name])
        p50, p95, p99 = (percentile(values, q) for q in (0.50, 0.95, 0.99))
        goal, limit = goal_for(name)
        if limit is not None and args.no_latency_goals:
            goal, limit = f"{goal}: not judged (--no-latency-goals)", None
        elif limit is not None and len(values) < MIN_SAMPLES:
            goal, limit = f"{goal}: too few to judge", None
        mark = "" if limit is None else ("pass" if p95 < limit else "FAIL")
        print(
            f"  {name[:58]:58} {len(values):>6} {len(values) / window:6.2f} {p50:6.0f} "
            f"{p95:6.0f} {p99:6.0f}  {goal} {mark}"
        )
        if limit is not None:
            report.check(f"p95 {name[:60]} (ms)", round(p95), goal.replace("p95 ", ""), p95 < limit)
    every = sorted(ms for _, _, ms, _ in steady)
    print(
        f"  {'all':58} {len(every):>6} {len(every) / window:6.2f} "
        f"{percentile(every, 0.5):6.0f} {percentile(every, 0.95):6.0f} "
        f"{percentile(every, 0.99):6.0f}"
    )
    for f in failures:
        print(f"  failure: {f['Method']} {f['Name']}: {f['Error'][:160]} x{f['Occurrences']}")

    # --- what the database holds against what was sent ---------------------------------
    records = [json.loads(line) for line in sent_path.read_text().splitlines() if line.strip()]
    case_records = [r for r in records if r["kind"] == "case"]
    file_records = [r for r in records if r["kind"] == "file"]
    markers = Counter(
        match.group(1)
        for d in ComplaintCase.objects.values_list("description", flat=True)
        if (match := MARKER.search(d))
    )
    held = set(
        ComplaintCase.objects.filter(pk__in=[r["id"] for r in case_records]).values_list(
            "pk", flat=True
        )
    )
    lost_cases = sum(1 for r in case_records if r["id"] not in held or markers[r["key"]] != 1)
    doubled_cases = sum(n - 1 for n in markers.values() if n > 1)
    items = {i.pk: i for i in EvidenceItem.objects.filter(pk__in=[r["id"] for r in file_records])}
    lost_files = bad_files = 0
    for r in file_records:
        item = items.get(r["id"])
        if item is None or item.bundle.case_id != r["case"]:
            lost_files += 1
        elif item.sha256 != r["sha256"] or not item.file.storage.exists(item.file.name):
            bad_files += 1
    per_hash = Counter(
        EvidenceItem.objects.filter(sha256__in=[r["sha256"] for r in file_records]).values_list(
            "sha256", flat=True
        )
    )
    five_hundreds = len(re.findall(r"^access \S+ \S+ 5\d\d ", web.text(), re.MULTILINE))
    report.note(
        run=(
            f"{args.complainants} complainants + {args.staff} staff for {args.seconds} s, "
            f"pauses {args.wait} s (staff {args.staff_wait} s) between pages "
            f"(locust {wall:.0f} s with ramp-up and stop); gunicorn {args.workers} workers x 4 "
            "threads, 1 Celery worker, PostgreSQL, Redis; machine load "
            f"{', '.join(f'{x:.1f}' for x in os.getloadavg())}"
        ),
        requests=(
            f"{total['Request Count']} ({float(total['Requests/s']):.1f}/s), "
            f"{total['Failure Count']} failed"
        ),
        sent=f"{len(case_records)} cases and {len(file_records)} files answered 201",
        database=(
            f"{len(held)} of those cases, {len(file_records) - lost_files} of those files; "
            f"{sum(markers.values())} cases carry a marker of the run"
        ),
    )
    report.zero("errors (locust failures)", int(total["Failure Count"]))
    report.zero("5xx answers (gunicorn log)", five_hundreds)
    report.check("cases filed", len(case_records), "> 0", len(case_records) > 0)
    report.zero("cases lost", lost_cases)
    report.zero("cases doubled", doubled_cases)
    report.zero("files lost", lost_files)
    report.zero("files stored wrong", bad_files)
    report.zero("files doubled", sum(n - 1 for n in per_hash.values() if n > 1))
    return report.print()


if __name__ == "__main__":
    sys.exit(main())
