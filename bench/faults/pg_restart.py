"""PostgreSQL restarted under load, cleanly and by a crash: nothing that was answered 2xx
is lost and nothing is filed twice; retries with the same Idempotency-Key file once.

    .venv/bin/python bench/faults/pg_restart.py [--seconds 40] [--clients 8]

A private PostgreSQL cluster (initdb under /tmp, port 5439, trust auth, run as the
postgres user, removed at the end) and a private Redis (6395, cache and broker);
gunicorn with production settings (2 workers x 4 threads, persistent connections with
health checks). ``--clients`` complainants file cases (order inline) and upload a
picture to each, every request with its own Idempotency-Key. A client that gets no
answer, a 5xx or a 409 "still in flight" retries the same request with the same key
(every 0.3 s, up to 60 s), as the API asks clients to do; every fifth filing's client
gives up after 10 ms, before its answer, and retries, so the first answer must be
replayed (``Idempotent-Replayed``) rather than a second case filed.

The script restarts PostgreSQL twice while they work: a fast shutdown (sessions ended,
clean stop) at ``--seconds`` / 5, and an immediate one (SIGQUIT: a crash; the start
replays the WAL) at half time, each down for ``--down-for`` seconds.

Afterwards each key is looked up (cases by the marker in their description, files by
the SHA-256 of the bytes sent, in the database and in storage): every request answered
2xx must be there exactly once, and no request, answered or not, may be there twice.
Requests while the database is down fail; how they failed is printed (503 with the
API's message is the goal, see config/security.py). Exit 1 on anything lost or doubled,
or any failure other than a 503 or a refused connection.
"""

import argparse
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.faults import clients
from bench.faults import harness as h

MARKER = re.compile(r"\[(p\d+-[0-9a-f]{16})\]")
RETRY_STATUSES = {0, 409, 500, 502, 503, 504}


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=40)
    parser.add_argument("--down-for", type=float, default=3)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--pg-port", type=int, default=5439)
    parser.add_argument("--redis-port", type=int, default=6395)
    parser.add_argument("--port", type=int, default=8795)
    return parser.parse_args()


def until_answered(call, deadline: float) -> tuple[clients.Answer, int]:  # type: ignore[no-untyped-def]
    """Retry ``call`` (same key) while it fails in a way worth retrying."""
    tries = 0
    while True:
        tries += 1
        answer = call()
        if answer.status not in RETRY_STATUSES or time.monotonic() > deadline:
            return answer, tries
        time.sleep(0.3)


def main() -> int:
    args = parse_args()
    stack = h.Stack("pgrestart")
    h.say("initdb of the private cluster ...")
    cluster = h.PrivateCluster(stack, args.pg_port)
    cluster.start()
    redis = h.PrivateRedis(stack, args.redis_port)
    redis.start()
    database_url = cluster.url("kamen_faults")
    h.database_create(database_url)
    env = h.service_env(
        database_url=database_url,
        broker_url=redis.url(0),
        cache_url=redis.url(1),
        mail_dir=stack.path("mail"),
        media_root=stack.path("media"),
        extra={
            "API_THROTTLE_FILING": "100000/day",
            "API_THROTTLE_USER": "100000/min",
            "API_THROTTLE_ANON": "100000/min",
        },
    )
    h.say("migrating ...")
    h.django_up(env)
    from django.db import connection

    from complaints.models import ComplaintCase
    from evidence.models import EvidenceItem

    report = h.Report("pg_restart")
    users = h.complainants(args.clients, prefix="pgr")
    tokens = clients.tokens_for(users)
    platform = h.platform_get().pk
    connection.close()
    web = clients.gunicorn(stack, env, port=args.port)
    base = f"http://127.0.0.1:{args.port}"
    log = clients.Log()
    stop = threading.Event()
    outcomes: list[tuple[str, str, int, int]] = []  # kind, key, final status, tries
    lock = threading.Lock()

    def complainant(index: int) -> None:
        token = tokens[index]
        n = 0
        while not stop.is_set():
            n += 1
            key = clients.new_key(f"p{index}")
            # Every fifth filing's client gives up after 10 ms, before the answer, and
            # retries: the server's first answer must come back, not a second case.
            impatient = [0.01] if n % 5 == 0 else []

            def attempt(k: str = key, hurry: list[float] = impatient) -> clients.Answer:
                return clients.case_file(
                    log, base, token, k, platform, timeout=hurry.pop() if hurry else 30
                )

            filed, tries = until_answered(attempt, time.monotonic() + 60)
            with lock:
                outcomes.append(("file", key, filed.status, tries))
            if filed.status != 201:
                continue
            case_id = filed.body["id"]
            data = clients.png(index * 100_000 + n)
            upload_key = clients.new_key(f"q{index}")
            uploaded, tries = until_answered(
                lambda k=upload_key, c=case_id, d=data, name=f"screenshot-{n}.png": (
                    clients.evidence_upload(log, base, token, c, k, d, name)
                ),
                time.monotonic() + 60,
            )
            with lock:
                outcomes.append(("upload", upload_key, uploaded.status, tries))

    threads = [
        threading.Thread(target=complainant, args=(i,), daemon=True) for i in range(args.clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    h.say(f"{args.clients} complainants filing and uploading for {args.seconds:.0f} s")
    outages: list[tuple[str, float, float]] = []
    for at, mode in ((args.seconds / 5, "fast"), (args.seconds / 2, "immediate")):
        time.sleep(max(0, at - (time.monotonic() - started)))
        down = time.monotonic()
        took = cluster.stop(mode)
        h.say(f"PostgreSQL stopped ({mode}, {took:.1f} s)")
        time.sleep(args.down_for)
        cluster.start()
        outages.append((mode, down, time.monotonic()))
        h.say(f"PostgreSQL up again after {time.monotonic() - down:.1f} s")
    time.sleep(max(0, args.seconds - (time.monotonic() - started)))
    stop.set()
    for thread in threads:
        thread.join(90)
    h.say("complainants stopped")

    # --- what was sent and what the database holds -------------------------------------
    answers = log.answers
    in_outage = [a for a in answers if any(d <= a.started <= u for _, d, u in outages)]
    failed = [a for a in answers if not 200 <= a.status < 400 and a.status not in (400, 404)]
    markers = Counter(
        match.group(1)
        for d in ComplaintCase.objects.values_list("description", flat=True)
        if (match := MARKER.search(d))
    )
    filed_ok = {key for kind, key, status, _ in outcomes if kind == "file" and status == 201}
    gave_up = [key for kind, key, status, _ in outcomes if kind == "file" and status != 201]
    lost_cases = sum(1 for key in filed_ok if markers[key] != 1)
    doubled_cases = sum(n - 1 for n in markers.values() if n > 1)
    uploads_ok = [a for a in answers if a.kind == "upload" and a.status == 201]
    lost_files, bad_files = clients.evidence_check(answers)
    sent_hashes = {a.sha256 for a in answers if a.kind == "upload"}
    items_per_hash = Counter(
        EvidenceItem.objects.filter(sha256__in=sent_hashes).values_list("sha256", flat=True)
    )
    doubled_files = sum(n - 1 for n in items_per_hash.values() if n > 1)
    retried = sum(1 for *_, tries in outcomes if tries > 1)
    replays = sum(1 for a in answers if a.replayed)
    bad_failures = [a for a in failed if a.status not in (0, 503, 409)]
    five_hundreds = len(re.findall(r"^access \S+ \S+ 500 ", web.text(), re.MULTILINE))
    report.note(
        sent=(
            f"{len(outcomes)} requests ({Counter(k for k, *_ in outcomes)}) by {args.clients} "
            f"complainants in {args.seconds:.0f} s, {len(answers)} attempts with retries"
        ),
        restarts=", ".join(f"{mode} ({u - d:.1f} s down)" for mode, d, u in outages),
        answers=(
            f"all {clients.statuses(answers)}; during the restarts {clients.statuses(in_outage)}"
        ),
        failures=(
            ", ".join(
                sorted(
                    {
                        f"{a.status} {clients.error_message(a.body) or str(a.body)[:60]}"
                        for a in failed
                    }
                )
            )
            or "none"
        ),
        retries=f"{retried} requests retried with their key, {replays} answers replayed",
        database=(
            f"{sum(markers.values())} cases for {len(filed_ok)} filings answered 201 "
            f"({len(gave_up)} given up); {len(uploads_ok) - lost_files} of {len(uploads_ok)} "
            "uploaded files"
        ),
    )
    report.check("requests during the restarts", len(in_outage), "> 0", len(in_outage) > 0)
    report.check("retries answered with the first answer", replays, "> 0", replays > 0)
    report.zero("filed cases lost", lost_cases)
    report.zero("cases filed twice", doubled_cases)
    report.zero("uploaded files lost", lost_files)
    report.zero("files stored twice", doubled_files)
    report.zero("stored files not the bytes sent", bad_files)
    report.zero("requests never answered 2xx (60 s of retries)", len(gave_up))
    report.zero("failures other than 503 or a refused connection", len(bad_failures))
    report.zero("answers 500 (gunicorn log)", five_hundreds)
    return report.print()


if __name__ == "__main__":
    sys.exit(main())
