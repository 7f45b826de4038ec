"""A real Celery worker killed mid-task, a pool process first, then the main process:
the tasks come back (late acks) and each escalation and each email happens exactly once.

    .venv/bin/python bench/faults/worker_kill.py [--cases 100]

One Celery worker (prefork, 2 pool processes, ``task_acks_late`` and
``task_reject_on_worker_lost`` as configured in config/settings/base.py) on a private
Redis (6393), PostgreSQL ``kamen_faults`` (emptied first); emails to Django's filebased
backend in a temporary folder, counted by Message-ID. The script plays the beat: it
sends ``casework.sweep_overdue``, which fans out ``casework.sweep_batch`` tasks (batches
of 20). The pause points (bench/faults/hooks.py) are installed in the pool processes
by ``celery -A bench.faults.faultapp``; the portal's code has no hook.

1. Pool process killed after a batch committed (SIGKILL to that process): the worker
   sees it lost, the task goes back to the queue at once and runs again; the cases it
   had escalated are not escalated again.
2. Main process killed while a pool process is inside a batch (SIGKILL to the main
   process, then to the pool processes it leaves behind, as when the machine goes): the
   batch rolls back; a new worker takes the queue, and the lost worker's unacknowledged
   tasks come back after the broker's visibility timeout (``CELERY_VISIBILITY_TIMEOUT``,
   15 s here, an hour by default; kombu looks for them every 2 s here, every 100 s by
   default) and escalate what the killed batch had not.
3. Pool process killed after it claimed an email and before it sent it: the drain task
   runs again; the claimed email waits out its lease (5 s here) and the next beat tick
   sends it, once.

Exit 1 on any case escalated twice or not at all, any email missing, any email sent
twice other than by a retry after a kill that fell between the receiver's acceptance and
the outbox's record of it (the one window no sender can close: the message goes again
with its Message-ID, and the figure is printed), or a killed task that never came back.
"""

import argparse
import os
import signal
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.faults import harness as h
from bench.faults import hooks

VISIBILITY_TIMEOUT = 15
LEASE = 5


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=100, help="per phase")
    parser.add_argument("--redis-port", type=int, default=6393)
    parser.add_argument("--database-url", default=h.SHARED_PG + "/kamen_faults")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    stack = h.Stack("workerkill")
    redis = h.PrivateRedis(stack, args.redis_port)
    redis.start()
    faults = stack.path("faults")
    mail = stack.path("mail")
    h.database_create(args.database_url)
    env = h.service_env(
        database_url=args.database_url,
        broker_url=redis.url(0),
        cache_url=redis.url(1),
        mail_dir=mail,
        media_root=stack.path("media"),
        extra={
            "FAULT_DIR": str(faults),
            "ESCALATION_SWEEP_BATCH_SIZE": "20",
            "OUTBOX_LEASE_SECONDS": str(LEASE),
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY_TIMEOUT),
            "FAULT_RESTORE_EVERY": "2",
        },
    )
    h.django_up(env)
    from celery import current_app
    from django.db import connection
    from django.utils import timezone

    from complaints.choices import EventKind
    from complaints.models import CaseEvent
    from escalation import engine
    from escalation.models import TierStage
    from notifications.models import OutboxEmail

    report = h.Report("worker_kill")
    h.database_empty()
    users = h.complainants(30, prefix="wk")
    h.say(f"filing 3 x {args.cases} cases ...")
    cohorts = {
        "pool-kill": h.cases_file(users, args.cases, filed_ago_hours=48, tag="W1"),
        "main-kill": h.cases_file(users, args.cases, filed_ago_hours=1, tag="W2"),
        "email-kill": h.cases_file(users, args.cases, filed_ago_hours=1, tag="W3"),
    }

    def escalated(name: str) -> int:
        connection.close()
        return CaseEvent.objects.filter(kind=EventKind.ESCALATED, case_id__in=cohorts[name]).count()

    def tick() -> None:
        """What the beat sends every minute."""
        current_app.send_task("casework.sweep_overdue")

    def received(child: h.Child, task_id: str) -> int:
        return child.text().count(f"[{task_id}] received")

    def all_sent() -> bool:
        connection.close()
        return not OutboxEmail.objects.filter(sent_at__isnull=True).exists()

    worker = h.celery_worker(stack, "worker-a", env, concurrency=2)
    h.wait_until(lambda: h.worker_ready(worker), timeout=60, what="the worker")
    h.wait_until(all_sent, timeout=120, what="the filing receipts")

    # 1. a pool process killed after its batch committed --------------------------------
    hooks.arm(faults, "sweep_after_commit")
    tick()
    h.wait_until(lambda: hooks.fired(faults, "sweep_after_commit"), timeout=60, what="hook")
    info1 = hooks.fired(faults, "sweep_after_commit") or {}
    is_pool = info1.get("pid") in h.pool_children(worker)
    committed = escalated("pool-kill")
    os.kill(int(info1["pid"]), signal.SIGKILL)
    hooks.arm(faults)
    h.wait_until(lambda: escalated("pool-kill") == args.cases, timeout=90, what="phase 1 to finish")
    h.wait_until(
        lambda: f"[{info1.get('task')}] succeeded" in worker.text(),
        timeout=60,
        what="the killed task to run again",
    )
    h.say(
        f"1. killed pool process {info1['pid']} after it committed "
        f"{len(info1.get('case_ids', []))} cases (task {info1.get('task')})"
    )
    report.check("1. the killed process was a pool process", is_pool, "yes", is_pool)
    report.check(
        "1. its batch was committed before the kill",
        committed,
        f">= {len(info1.get('case_ids', []))}",
        committed >= len(info1.get("case_ids", [])),
    )
    again1 = received(worker, info1.get("task", "?"))
    report.check("1. its task delivered again", again1, ">= 2", again1 >= 2)
    lost_line = "WorkerLostError" in worker.text() or "signal 9" in worker.text()
    report.check("1. the worker saw the process lost", lost_line, "yes", lost_line)

    # 2. the main process killed while a pool process is inside a batch -----------------
    h.stages_make_due(cohorts["main-kill"])
    hooks.arm(faults, "sweep_mid_batch")
    tick()
    h.wait_until(lambda: hooks.fired(faults, "sweep_mid_batch"), timeout=60, what="hook")
    info2 = hooks.fired(faults, "sweep_mid_batch") or {}
    killed = {int(info1["pid"]), worker.pid, *h.pool_children(worker)}
    worker.send(signal.SIGKILL)
    worker.popen.wait(10)
    time.sleep(1)
    orphans = h.pool_children(worker)
    worker.kill_group(signal.SIGKILL)  # the machine went down with it
    killed_at = time.monotonic()
    held = info2.get("case_ids", [])
    connection.close()
    rolled_back = CaseEvent.objects.filter(kind=EventKind.ESCALATED, case_id__in=held).count()
    hooks.arm(faults)
    worker2 = h.celery_worker(stack, "worker-b", env, concurrency=2)
    h.wait_until(lambda: h.worker_ready(worker2), timeout=60, what="the new worker")
    # The lost worker's unacknowledged tasks come back once the visibility timeout has
    # passed (kombu looks every 10 s); the queue's other tasks go to the new worker at once.
    h.wait_until(
        lambda: f"[{info2.get('task')}] succeeded" in worker2.text(),
        timeout=VISIBILITY_TIMEOUT + 60,
        what="the lost worker's task to come back",
    )
    back_after = time.monotonic() - killed_at
    h.wait_until(lambda: escalated("main-kill") == args.cases, timeout=60, what="phase 2")
    again2 = received(worker2, info2.get("task", "?"))
    h.say(
        f"2. killed the main process {worker.pid} while pool process {info2.get('pid')} was "
        f"inside a batch of {len(held)}; {len(orphans)} pool processes outlived it; its task "
        f"came back to the new worker {back_after:.0f} s after the kill"
    )
    report.zero("2. escalations of the killed batch left", rolled_back)
    report.check("2. its task delivered to the new worker", again2, ">= 1", again2 >= 1)

    # 3. a pool process killed after claiming an email, before sending it --------------
    h.stages_make_due(cohorts["email-kill"])
    hooks.arm(faults, "outbox_before_send")
    tick()
    h.wait_until(lambda: hooks.fired(faults, "outbox_before_send"), timeout=60, what="hook")
    info3 = hooks.fired(faults, "outbox_before_send") or {}
    os.kill(int(info3["pid"]), signal.SIGKILL)
    killed.add(int(info3["pid"]))
    hooks.arm(faults)
    h.wait_until(lambda: escalated("email-kill") == args.cases, timeout=60, what="phase 3 sweep")
    time.sleep(LEASE + 1)
    tick()  # the next beat: its sweep drains what is due again
    h.wait_until(all_sent, timeout=60, what="every email sent")
    h.wait_until(
        lambda: f"[{info3.get('task')}] succeeded" in worker2.text(),
        timeout=60,
        what="the killed drain task to run again",
    )
    row = OutboxEmail.objects.get(pk=info3["row"])
    h.say(
        f"3. killed pool process {info3['pid']} holding email {row.dedupe_key}; sent on "
        f"attempt {row.attempts}"
    )
    report.check(
        "3. the claimed email sent after its lease",
        row.sent_at is not None,
        "yes",
        row.sent_at is not None,
    )
    again3 = received(worker2, info3.get("task", "?"))
    report.check("3. its drain task delivered again", again3, ">= 2", again3 >= 2)
    worker2.stop(timeout=30)

    # --- exactly once ---------------------------------------------------------------------
    connection.close()
    for name, case_ids in cohorts.items():
        events = Counter(
            CaseEvent.objects.filter(kind=EventKind.ESCALATED, case_id__in=case_ids).values_list(
                "case_id", flat=True
            )
        )
        keys = {f"escalated:{c}:watchdog" for c in case_ids}
        queued = OutboxEmail.objects.filter(dedupe_key__in=keys).count()
        report.equal(f"{name}: cases escalated", len(events), len(case_ids))
        report.zero(f"{name}: escalated twice", sum(1 for n in events.values() if n > 1))
        report.equal(
            f"{name}: watchdog stages",
            TierStage.objects.filter(case_id__in=case_ids, tier="watchdog").count(),
            len(case_ids),
        )
        report.equal(f"{name}: escalation emails queued", queued, len(case_ids))
    sink = h.mail_ids(mail)
    ids = h.outbox_message_ids()
    rows = OutboxEmail.objects.count()
    unsent = OutboxEmail.objects.filter(sent_at__isnull=True).count()
    report.zero("emails not sent", unsent)
    report.zero("emails missing from the sink", sum(1 for mid in ids if sink[mid] == 0))
    after_kill, otherwise = h.repeats(sink, faults, killed)
    for line in otherwise:
        h.say(f"sent twice, no kill to explain it: {line}")
    report.zero("emails sent twice, no kill to explain it", len(otherwise))
    report.zero("stages left overdue", engine.due_count(now=timezone.now()))
    report.note(
        sent=(
            f"3 cohorts of {args.cases} overdue cases, one beat tick each (+1 after the "
            "lease); batches of 20"
        ),
        kills=(
            f"pool process {info1.get('pid')} after a commit; main process {worker.pid} "
            f"mid-batch ({len(orphans)} pool processes left, then killed); pool process "
            f"{info3.get('pid')} holding an email"
        ),
        database=(
            f"{CaseEvent.objects.filter(kind=EventKind.ESCALATED).count()} ESCALATED events; "
            f"{rows} emails, {unsent} unsent"
        ),
        sink=(
            f"{sum(sink.values())} messages, {len(sink)} distinct Message-IDs; "
            f"{after_kill} sent again after a kill between the receiver's acceptance and "
            "its record (the same Message-ID, which the receiver drops)"
        ),
    )
    return report.print()


if __name__ == "__main__":
    sys.exit(main())
