"""Redis stopped while complainants file and upload: every answered filing and file is in
the database and in storage, refusals are clear (never a 500), and the emails queued
meanwhile are delivered once Redis is back.

    .venv/bin/python bench/faults/redis_outage.py [--seconds 60] [--down-at 15] [--down-for 15]

gunicorn (production settings, 2 workers x 4 threads), one Celery worker and one beat
(the sweep every 3 s; each started again when it exits, as compose's ``restart:
unless-stopped`` does, and such exits are printed), all on a private Redis (6394:
broker db 0, cache db 1) and PostgreSQL ``kamen_faults`` (emptied first); evidence in a
temporary folder, emails to the filebased backend, counted by Message-ID. Celery's Redis
transport can die on the lost connection (kombu: "Unrecoverable error: AttributeError
... 'hostname'" while a late ack meets the closing connection), which is why production
runs it under a process manager. ``--clients`` complainants, each with an
API token, file a case (order inline, Idempotency-Key), upload a picture to it and read
it back, again and again. At ``--down-at`` seconds the script stops Redis (SIGTERM; it
keeps nothing, so the broker's queue is gone) and starts it again ``--down-for``
seconds later.

Afterwards: every filing and upload answered 2xx is looked up by the id the API gave
and the marker it carried (cases) or the SHA-256 of the bytes sent (files, in the
database and in storage); every refusal must be a 4xx or a 503 with the API's error
message, never a 500 or a dropped connection; the outbox must be empty within 120 s of
the end and the sink must hold each email once. ``/healthz`` is read during the outage
(``degraded``, 200). Exit 1 on anything lost, doubled or answered 500.
"""

import argparse
import re
import sys
import threading
import time
from collections import Counter
from pathlib import Path

import requests

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.faults import clients
from bench.faults import harness as h

MARKER = re.compile(r"\[(r\d+-[0-9a-f]{16})\]")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--down-at", type=float, default=15)
    parser.add_argument("--down-for", type=float, default=15)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--redis-port", type=int, default=6394)
    parser.add_argument("--port", type=int, default=8794)
    parser.add_argument("--database-url", default=h.SHARED_PG + "/kamen_faults")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    stack = h.Stack("redisoutage")
    redis = h.PrivateRedis(stack, args.redis_port)
    redis.start()
    mail = stack.path("mail")
    h.database_create(args.database_url)
    env = h.service_env(
        database_url=args.database_url,
        broker_url=redis.url(0),
        cache_url=redis.url(1),
        mail_dir=mail,
        media_root=stack.path("media"),
        extra={
            # Every complainant files from 127.0.0.1: the run's own rates, not the defaults.
            "API_THROTTLE_FILING": "100000/day",
            "API_THROTTLE_USER": "100000/min",
            "API_THROTTLE_ANON": "100000/min",
        },
    )
    h.django_up(env)
    from django.db import connection
    from django.utils import timezone

    from complaints.models import ComplaintCase
    from notifications.models import OutboxEmail

    report = h.Report("redis_outage")
    h.database_empty()
    h.beat_every(3)
    stack.on_close(h.beat_restore)
    users = h.complainants(args.clients, prefix="outage")
    tokens = clients.tokens_for(users)
    platform = h.platform_get().pk
    connection.close()
    web = clients.gunicorn(stack, env, port=args.port)
    # Under a process manager, as in production (compose: restart: unless-stopped).
    worker = h.Supervisor(
        stack, lambda n: h.celery_worker(stack, f"worker-{n}", env, concurrency=2)
    )
    beat = h.Supervisor(stack, lambda n: h.celery_beat(stack, f"beat-{n}", env))
    h.wait_until(lambda: h.worker_ready(worker.child), timeout=60, what="the worker")
    base = f"http://127.0.0.1:{args.port}"
    log = clients.Log()
    stop = threading.Event()

    def complainant(index: int) -> None:
        token = tokens[index]
        n = 0
        while not stop.is_set():
            n += 1
            filed = clients.case_file(log, base, token, clients.new_key(f"r{index}"), platform)
            if filed.status != 201:
                time.sleep(0.3)
                continue
            case_id = filed.body["id"]
            clients.evidence_upload(
                log,
                base,
                token,
                case_id,
                clients.new_key(f"u{index}"),
                clients.png(index * 100_000 + n),
                f"screenshot-{n}.png",
            )
            clients.case_read(log, base, token, case_id)

    threads = [
        threading.Thread(target=complainant, args=(i,), daemon=True) for i in range(args.clients)
    ]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    h.say(f"{args.clients} complainants filing and uploading for {args.seconds:.0f} s")
    time.sleep(args.down_at)
    redis.stop()
    down_at, down_wall = time.monotonic(), timezone.now()
    h.say("Redis stopped")
    time.sleep(min(3, args.down_for / 2))
    health = requests.get(f"{base}/healthz", timeout=10)
    h.say(f"/healthz during the outage: {health.status_code} {health.text}")
    time.sleep(max(0, args.down_for - (time.monotonic() - down_at)))
    redis.start()
    up_at, up_wall = time.monotonic(), timezone.now()
    h.say("Redis started again (empty: the queue is gone)")
    time.sleep(max(0, args.seconds - (time.monotonic() - started)))
    stop.set()
    for thread in threads:
        thread.join(60)
    h.say("complainants stopped; waiting for the outbox")

    def sent_all() -> bool:
        connection.close()
        return not OutboxEmail.objects.filter(sent_at__isnull=True).exists()

    h.wait_until(sent_all, timeout=120, interval=1, what="every email to be sent")
    drained_after = time.monotonic() - up_at

    # --- what was sent and what the database holds -------------------------------------
    answers = log.answers
    during = [a for a in answers if down_at <= a.started <= up_at]
    refused = [a for a in answers if not 200 <= a.status < 300]
    filed = [a for a in answers if a.kind == "file" and a.status == 201]
    markers = Counter(
        match.group(1)
        for d in ComplaintCase.objects.values_list("description", flat=True)
        if (match := MARKER.search(d))
    )
    ids_held = set(
        ComplaintCase.objects.filter(pk__in=[a.body["id"] for a in filed]).values_list(
            "pk", flat=True
        )
    )
    lost_cases = sum(1 for a in filed if a.body["id"] not in ids_held or a.key not in markers)
    doubled_cases = sum(n - 1 for n in markers.values() if n > 1)
    lost_files, bad_files = clients.evidence_check(answers)
    outage_rows = OutboxEmail.objects.count()
    queued_down = OutboxEmail.objects.filter(created_at__range=(down_wall, up_wall))
    queued_down_sent_after = queued_down.filter(sent_at__gte=up_wall).count()
    unsent = OutboxEmail.objects.filter(sent_at__isnull=True).count()
    sink = h.mail_ids(mail)
    ids = h.outbox_message_ids()
    web_log = web.text()
    five_hundreds = len(re.findall(r"^access \S+ \S+ 500 ", web_log, re.MULTILINE))
    report.note(
        sent=(
            f"{len(answers)} requests in {args.seconds:.0f} s by {args.clients} complainants: "
            f"{Counter(a.kind for a in answers)}; {len(during)} while Redis was down "
            f"({args.down_for:.0f} s)"
        ),
        answers=f"all {clients.statuses(answers)}; during the outage {clients.statuses(during)}",
        slowest_during_outage=f"{max((a.seconds for a in during), default=0):.2f} s",
        refusals=(
            ", ".join(sorted({f"{a.status} {clients.error_message(a.body)}" for a in refused}))
            or "none"
        ),
        health_during_outage=f"{health.status_code} {health.text.strip()}",
        database=(
            f"{len(ids_held)} of {len(filed)} filed cases, "
            f"{sum(1 for a in answers if a.kind == 'upload' and a.status == 201) - lost_files}"
            " uploaded files found"
        ),
        outbox=(
            f"{outage_rows} emails, {unsent} unsent; {queued_down.count()} queued while Redis was "
            f"down, {queued_down_sent_after} of them sent after it came back; all sent "
            f"{drained_after:.0f} s after it came back"
        ),
        sink=f"{sum(sink.values())} messages, {len(sink)} distinct Message-IDs",
        restarts=(
            "; ".join(
                f"{kind} exited: {why[-160:]}"
                for kind, why in [("worker", e) for e in worker.exits]
                + [("beat", e) for e in beat.exits]
            )
            or "none: the worker and the beat reconnected by themselves"
        ),
    )
    restarts = worker.exits + beat.exits
    report.check(
        "worker or beat exits, restarted by the process manager", len(restarts), "counted", True
    )
    report.check("requests while Redis was down", len(during), "> 0", len(during) > 0)
    report.zero("answers 500 (gunicorn log)", five_hundreds)
    report.zero("dropped connections", sum(1 for a in answers if a.status == 0))
    report.zero(
        "refusals without an error message",
        sum(1 for a in refused if not clients.error_message(a.body)),
    )
    report.zero(
        "refusals not 4xx/503",
        sum(1 for a in refused if not (400 <= a.status < 500 or a.status == 503)),
    )
    report.zero("filed cases lost", lost_cases)
    report.zero("cases filed twice", doubled_cases)
    report.zero("uploaded files lost", lost_files)
    report.zero("stored files not the bytes sent", bad_files)
    report.check("/healthz during the outage", health.status_code, "200", health.status_code == 200)
    report.check(
        "emails queued while Redis was down", queued_down.count(), "> 0", queued_down.exists()
    )
    report.zero("emails not sent after Redis came back", unsent)
    report.zero("emails missing from the sink", sum(1 for mid in ids if sink[mid] == 0))
    report.zero("emails delivered twice", sum(n - 1 for n in sink.values() if n > 1))
    return report.print()


if __name__ == "__main__":
    sys.exit(main())
