"""Eight sweeps at once and two beats side by side: every overdue case escalates exactly
once per tier, with one ESCALATED event and one email per escalation, and none is lost.

    .venv/bin/python bench/faults/sweeps_and_beats.py [--seconds 120] [--cases 400]

What runs, for ``--seconds``, against PostgreSQL (``kamen_faults`` on the shared server,
emptied first) and a private Redis on 6391 (broker and cache):

* two Celery workers (prefork, 2 pool processes each, ``task_acks_late`` as configured),
  taking the beat's ``casework.sweep_overdue`` and the ``casework.sweep_batch`` tasks it
  fans out, and the outbox's drain tasks;
* four sweeper processes running the in-process sweep in a loop (bench/faults/agents.py):
  with the four pool processes, eight sweeps claim batches at the same time;
* two ``celery beat`` processes with the same schedule (the sweep every 2 s), as when a
  second beat is started by mistake: every tick is sent twice;
* a clock feeder that makes the deadlines of the stages the run opens run out, so cases
  climb platform -> watchdog -> payment -> legal -> flagged for staff within the run.

``--cases`` cases are filed through the filing action two days back (their platform
clock has run out); a quarter are due at the start, the others fall due over the first
60 % of the run. Emails go to Django's filebased backend in a temporary folder and are
counted by Message-ID. Afterwards (beats stopped, queues drained) the database and the
sink are compared with what was sent; any escalation lost or doubled, any email missing
or doubled, any stage left overdue fails the run (exit 1).
"""

import argparse
import json
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.faults import harness as h


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=120)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--batch-size", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--sweepers", type=int, default=4)
    parser.add_argument("--beats", type=int, default=2)
    parser.add_argument("--beat-every", type=int, default=2, help="seconds between sweeps")
    parser.add_argument("--redis-port", type=int, default=6391)
    parser.add_argument("--database-url", default=h.SHARED_PG + "/kamen_faults")
    return parser.parse_args()


def worker_results(text: str, task: str) -> list[dict[str, int]]:
    pattern = re.compile(re.escape(task) + r"\[[^\]]+\] succeeded in [\d.e-]+s: (\{.*\})")
    out = []
    for match in pattern.finditer(text):
        try:
            out.append(json.loads(match.group(1).replace("'", '"')))
        except ValueError:
            continue
    return out


def main() -> int:
    args = parse_args()
    stack = h.Stack("sweeps")
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
        extra={"ESCALATION_SWEEP_BATCH_SIZE": str(args.batch_size), "OUTBOX_BATCH_SIZE": "50"},
    )
    h.django_up(env)
    from django.db import connection
    from django.utils import timezone

    from complaints.choices import OPEN_STATUSES, EventKind
    from complaints.models import CaseEvent, ComplaintCase
    from complaints.timeline import chain_verify
    from escalation import engine
    from escalation.models import TierStage
    from notifications.models import OutboxEmail

    report = h.Report("sweeps_and_beats")
    h.database_empty()
    h.beat_every(args.beat_every)
    stack.on_close(h.beat_restore)
    users = h.complainants(50, prefix="sweep")
    h.say(f"filing {args.cases} cases two days back ...")
    case_ids = h.cases_file(users, args.cases, filed_ago_hours=48, tag="S")
    # A quarter due now, the rest falling due over the first 60 % of the run.
    window = args.seconds * 0.6
    with connection.cursor() as cur:
        cur.execute(
            "UPDATE escalation_tierstage SET next_due_at = now() + random() * %s * interval "
            "'1 second' WHERE id IN (SELECT id FROM escalation_tierstage ORDER BY random() "
            "LIMIT %s)",
            [window, args.cases - args.cases // 4],
        )
    connection.close()

    started = time.monotonic()
    workers = [
        h.celery_worker(stack, f"worker{i}", env, concurrency=args.concurrency)
        for i in range(1, args.workers + 1)
    ]
    h.wait_until(lambda: all(h.worker_ready(w) for w in workers), timeout=60, what="workers")
    sweepers = [
        stack.spawn(
            f"sweeper{i}",
            [
                h.PY,
                "bench/faults/agents.py",
                "sweep",
                "--batch-size",
                str(args.batch_size),
                "--seconds",
                str(args.seconds),
                # A second between idle loops: the beat's tasks get their share of batches.
                "--pause",
                "1",
            ],
            env=env,
        )
        for i in range(1, args.sweepers + 1)
    ]
    feeder = stack.spawn(
        "feeder",
        [
            h.PY,
            "bench/faults/agents.py",
            "feed",
            "--seconds",
            str(args.seconds * 0.75),
            "--every",
            "1",
            "--limit",
            "30",
        ],
        env=env,
    )
    beats = [h.celery_beat(stack, f"beat{i}", env) for i in range(1, args.beats + 1)]
    h.say(
        f"running {args.workers} workers x {args.concurrency}, {args.sweepers} sweepers, "
        f"{args.beats} beats, the clock feeder, for {args.seconds:.0f} s"
    )
    deadline = started + args.seconds
    while time.monotonic() < deadline:
        time.sleep(min(10, max(0.1, deadline - time.monotonic())))
        escalated = CaseEvent.objects.filter(kind=EventKind.ESCALATED).count()
        due = engine.due_count(now=timezone.now())
        pending = OutboxEmail.objects.filter(sent_at__isnull=True).count()
        h.say(f"escalations {escalated}, due now {due}, emails waiting {pending}")
        connection.close()
    for beat in beats:
        beat.stop()
    ended = timezone.now()
    for sweeper in sweepers:
        sweeper.popen.wait(30)
    feeder.popen.wait(30)
    import redis as redis_client

    broker = redis_client.Redis(port=args.redis_port)

    def settled() -> bool:
        connection.close()
        return (
            broker.llen("celery") == 0
            and not engine.due_count(now=timezone.now())
            and not OutboxEmail.objects.filter(sent_at__isnull=True).exists()
        )

    h.wait_until(settled, timeout=90, interval=1, what="queues to drain")
    overdue_left = TierStage.objects.filter(
        closed_at__isnull=True,
        paused_at__isnull=True,
        next_due_at__lte=ended,
        case__status__in=OPEN_STATUSES,
    ).count()
    for worker in workers:
        worker.stop(timeout=30)
    seconds_run = time.monotonic() - started

    # --- what was sent ---------------------------------------------------------------
    tick = re.compile(r"Sending due task [^\n]*casework\.sweep_overdue")
    ticks = [len(tick.findall(b.text())) for b in beats]
    worker_text = "".join(w.text() for w in workers)
    batch_results = worker_results(worker_text, "casework.sweep_batch")
    sweep_results = worker_results(worker_text, "casework.sweep_overdue")
    sweeper_results = []
    for s in sweepers:
        lines = [line for line in s.text().splitlines() if line.startswith("{")]
        sweeper_results.append(json.loads(lines[-1]) if lines else {})
    fed_lines = [line for line in feeder.text().splitlines() if line.startswith("{")]
    fed = json.loads(fed_lines[-1])["fed"] if fed_lines else 0
    reported = (
        sum(r.get("escalated", 0) + r.get("flagged", 0) for r in batch_results)
        + sum(r.get("escalated_here", 0) + r.get("flagged_here", 0) for r in sweep_results)
        + sum(r.get("escalated", 0) + r.get("flagged", 0) for r in sweeper_results)
    )

    # --- what the database holds -----------------------------------------------------
    events = list(
        CaseEvent.objects.filter(kind=EventKind.ESCALATED).values_list(
            "case_id", "payload__from_tier", "payload__to_tier"
        )
    )
    exhausted = list(
        CaseEvent.objects.filter(kind=EventKind.LADDER_EXHAUSTED).values_list("case_id", flat=True)
    )
    per_tier = Counter((case, from_tier) for case, from_tier, _ in events)
    stages_per_tier = Counter(TierStage.objects.values_list("case_id", "tier"))
    expired = TierStage.objects.filter(close_reason="expired").count()
    tiers_reached = Counter(TierStage.objects.values_list("tier", flat=True))
    flagged_cases = ComplaintCase.objects.filter(needs_staff_attention=True).count()
    rows = dict(OutboxEmail.objects.values_list("dedupe_key", "sent_at"))
    escalated_keys = {k for k in rows if k.startswith("escalated:")}
    expected_keys = {f"escalated:{case}:{to_tier}" for case, _, to_tier in events}
    ladder_keys = {k for k in rows if k.startswith("ladder-end:") and k.endswith(":complainant")}
    unsent = sum(1 for sent in rows.values() if sent is None)
    sink = h.mail_ids(mail)
    ids = h.outbox_message_ids()
    missing_mail = sum(1 for mid, key in ids.items() if rows.get(key) and sink[mid] == 0)
    doubled_mail = sum(n - 1 for n in sink.values() if n > 1)
    breaks = sum(len(chain_verify(case)) for case in ComplaintCase.objects.filter(pk__in=case_ids))

    report.note(
        run=f"{seconds_run:.0f} s ({args.seconds:.0f} s of load, then the queues drained)",
        sent=(
            f"{args.cases} overdue cases filed ({args.cases // 4} due at start, the rest "
            f"over {window:.0f} s); {fed} later deadlines run out by the feeder"
        ),
        beat_ticks=f"{ticks} (sweep_overdue sent by each beat)",
        sweeps=(
            f"{len(sweep_results)} sweep_overdue and {len(batch_results)} sweep_batch tasks "
            f"run by the workers; sweepers: "
            + ", ".join(
                f"{r.get('loops', 0)} loops/{r.get('escalated', 0) + r.get('flagged', 0)}"
                for r in sweeper_results
            )
        ),
        database=(
            f"{len(events)} escalations ({dict(Counter(t for _, _, t in events))}), "
            f"{len(exhausted)} flagged at the top; stages per tier {dict(tiers_reached)}"
        ),
        outbox=f"{len(rows)} emails ({len(escalated_keys)} escalation emails), {unsent} unsent",
        sink=f"{sum(sink.values())} messages, {len(sink)} distinct Message-IDs",
    )
    report.zero("tiers escalated twice (case, tier)", sum(1 for n in per_tier.values() if n > 1))
    report.zero(
        "stages opened twice (case, tier)", sum(1 for n in stages_per_tier.values() if n > 1)
    )
    report.equal("ESCALATED events = expired stages", len(events), expired)
    report.equal("escalations reported by the sweeps", reported, len(events) + len(exhausted))
    report.zero("flagged twice", len(exhausted) - len(set(exhausted)))
    report.equal("flagged cases = LADDER_EXHAUSTED", flagged_cases, len(set(exhausted)))
    report.zero("escalations without their email", len(expected_keys - escalated_keys))
    report.zero("escalation emails without an escalation", len(escalated_keys - expected_keys))
    report.equal("top-of-ladder emails", len(ladder_keys), len(exhausted))
    report.zero("emails not sent", unsent)
    report.zero("emails missing from the sink", missing_mail)
    report.zero("emails delivered twice", doubled_mail)
    report.zero("stages left overdue", overdue_left)
    report.zero("timeline hash-chain breaks", breaks)
    report.check("cases that climbed to the top", flagged_cases, "> 0", flagged_cases > 0)
    return report.print()


if __name__ == "__main__":
    sys.exit(main())
