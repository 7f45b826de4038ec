"""SIGKILL a sweeping process right after a batch commit, in the middle of a batch, and at
random moments; a restarted sweep escalates every case exactly once.

    .venv/bin/python bench/faults/kill_mid_sweep.py [--cases 150] [--random-kills 8]

Sweeps run as separate processes (bench/faults/agents.py: the in-process sweep and an
outbox drain in a loop, as ``manage.py escalate_overdue`` from cron or a worker does)
against PostgreSQL (``kamen_faults`` on the shared server, emptied first). The pause
points are bench/faults/hooks.py's, wrapped around the engine in the sweeper process
only: the portal's code has no hook.

1. After commit: a sweeper stops just after its first batch committed and is killed.
   That batch must stay escalated (its events and emails committed with it); a new
   sweeper finishes the rest.
2. Mid-batch, beside a second sweeper: a sweeper stops inside its batch's transaction
   (escalations written, not committed) and is held there while the other sweeper
   takes every other due case (skip locked); then it is killed. Its batch must be rolled
   back whole, and a new sweeper escalates those cases.
3. Random kills: a sweeper (batches of 5) is started and SIGKILLed a random 0-60 ms
   after its first commit, again and again, then one runs to the end.

Each cohort of cases is checked: one ESCALATED event, one stage closed, one watchdog
stage and one escalation email per case; every email sent (short lease, so emails a
killed process had claimed are sent by the next drain), none lost. A kill between an
email's send and its record makes the next drain send it again with the same Message-ID
(delivery is at least once; receivers drop the repeat): such repeats are counted and
printed, not failed. Exit 1 on anything lost or escalated twice.
"""

import argparse
import random
import signal
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.faults import harness as h
from bench.faults import hooks


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=150, help="per scenario")
    parser.add_argument("--batch-size", type=int, default=25)
    parser.add_argument("--random-kills", type=int, default=8)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--database-url", default=h.SHARED_PG + "/kamen_faults")
    return parser.parse_args()


def main() -> int:
    args = parse_args()
    rng = random.Random(args.seed)
    stack = h.Stack("killsweep")
    faults = stack.path("faults")
    mail = stack.path("mail")
    h.database_create(args.database_url)
    env = h.service_env(
        database_url=args.database_url,
        broker_url="memory://",
        mail_dir=mail,
        media_root=stack.path("media"),
        extra={"FAULT_DIR": str(faults), "OUTBOX_LEASE_SECONDS": "2"},
    )
    h.django_up(env)

    from complaints.choices import EventKind
    from complaints.models import CaseEvent
    from escalation.models import TierStage
    from notifications.models import OutboxEmail
    from notifications.outbox import outbox_drain

    report = h.Report("kill_mid_sweep")
    h.database_empty()
    users = h.complainants(30, prefix="kill")
    h.say(f"filing 3 x {args.cases} cases (the first cohort overdue) ...")
    cohorts = {
        "after-commit": h.cases_file(users, args.cases, filed_ago_hours=48, tag="K1"),
        "mid-batch": h.cases_file(users, args.cases, filed_ago_hours=1, tag="K2"),
        "random": h.cases_file(users, args.cases, filed_ago_hours=1, tag="K3"),
    }

    def escalated(ids: list[int]) -> int:
        return CaseEvent.objects.filter(kind=EventKind.ESCALATED, case_id__in=ids).count()

    def sweeper(name: str, *extra: str) -> h.Child:
        return stack.spawn(
            name,
            [
                h.PY,
                "bench/faults/agents.py",
                "sweep",
                "--batch-size",
                str(args.batch_size),
                "--until-idle",
                "1.5",
                "--seconds",
                "120",
                *extra,
            ],
            env=env,
        )

    def finish(name: str) -> h.Child:
        child = sweeper(name)
        child.popen.wait(180)
        return child

    # 1. after commit ----------------------------------------------------------------
    hooks.arm(faults, "sweep_after_commit")
    first = sweeper("sweeper-1")
    h.wait_until(lambda: hooks.fired(faults, "sweep_after_commit"), timeout=60, what="hook")
    info = hooks.fired(faults, "sweep_after_commit") or {}
    first.kill_group(signal.SIGKILL)
    first.popen.wait(10)
    batch = info.get("case_ids", [])
    kept = escalated(batch)
    queued = OutboxEmail.objects.filter(
        dedupe_key__in=[f"escalated:{c}:watchdog" for c in batch]
    ).count()
    h.say(f"1. killed pid {info.get('pid')} after it committed a batch of {len(batch)}")
    hooks.arm(faults)
    finish("sweeper-1b")
    report.equal("1. committed batch kept after SIGKILL", kept, len(batch))
    report.equal("1. its emails queued with it", queued, len(batch))

    # 2. mid-batch, beside another sweeper --------------------------------------------
    h.stages_make_due(cohorts["mid-batch"])
    hooks.arm(faults, "sweep_mid_batch")
    pair = [sweeper("sweeper-2a"), sweeper("sweeper-2b")]
    h.wait_until(lambda: hooks.fired(faults, "sweep_mid_batch"), timeout=60, what="hook")
    info = hooks.fired(faults, "sweep_mid_batch") or {}
    held = [c for c in pair if c.pid == info.get("pid")]
    other = [c for c in pair if c.pid != info.get("pid")]
    for child in other:
        child.popen.wait(120)  # takes every due case it can lock; the held batch is skipped
    batch = info.get("case_ids", [])
    rest = [c for c in cohorts["mid-batch"] if c not in set(batch)]
    taken_beside = escalated(rest)
    for child in held:
        child.kill_group(signal.SIGKILL)
        child.popen.wait(10)
    time.sleep(0.5)  # the server notices the closed connection and rolls back
    rolled_back = escalated(batch)
    h.say(
        f"2. killed pid {info.get('pid')} inside a batch of {len(batch)}; the other sweeper "
        f"took {taken_beside} of the other {len(rest)}"
    )
    hooks.arm(faults)
    finish("sweeper-2c")
    report.zero("2. escalations of the killed batch left", rolled_back)
    report.equal("2. the other sweeper took the rest", taken_beside, len(rest))

    # 3. random kills ------------------------------------------------------------------
    h.stages_make_due(cohorts["random"])
    progress = []
    for i in range(args.random_kills):
        before = escalated(cohorts["random"])
        if before == len(cohorts["random"]):
            break
        child = sweeper(f"sweeper-3-{i}", "--batch-size", "5")
        # Killed a random 0-60 ms after its first commit: mid-batch, between batches,
        # while draining the outbox, wherever that falls.
        h.wait_until(
            lambda b=before, c=child: escalated(cohorts["random"]) > b or not c.alive(),
            timeout=60,
            interval=0.02,
        )
        time.sleep(rng.uniform(0, 0.06))
        child.kill_group(signal.SIGKILL)
        child.popen.wait(10)
        progress.append(escalated(cohorts["random"]))
    h.say(f"3. {len(progress)} kills; escalated after each: {progress}")
    finish("sweeper-3-end")

    # the beat's drain picks up what killed processes had claimed (lease 2 s) ----------
    time.sleep(2.5)
    outbox_drain(limit=100_000)

    # --- checks per cohort ---------------------------------------------------------------
    sink = h.mail_ids(mail)
    ids = h.outbox_message_ids()
    rows = dict(OutboxEmail.objects.values_list("dedupe_key", "sent_at"))
    for name, case_ids in cohorts.items():
        events = Counter(
            CaseEvent.objects.filter(kind=EventKind.ESCALATED, case_id__in=case_ids).values_list(
                "case_id", flat=True
            )
        )
        closed = TierStage.objects.filter(case_id__in=case_ids, close_reason="expired").count()
        watchdog = TierStage.objects.filter(case_id__in=case_ids, tier="watchdog").count()
        keys = {f"escalated:{c}:watchdog" for c in case_ids}
        report.equal(f"{name}: cases escalated", len(events), len(case_ids))
        report.zero(f"{name}: escalated twice", sum(1 for n in events.values() if n > 1))
        report.equal(f"{name}: platform stages closed", closed, len(case_ids))
        report.equal(f"{name}: watchdog stages", watchdog, len(case_ids))
        report.equal(f"{name}: escalation emails", len(keys & rows.keys()), len(case_ids))
    unsent = sum(1 for sent in rows.values() if sent is None)
    lost = sum(1 for mid, key in ids.items() if sink[mid] == 0)
    repeats = sum(n - 1 for n in sink.values() if n > 1)
    report.zero("emails not sent", unsent)
    report.zero("emails lost (not in the sink)", lost)
    report.check("emails resent with the same Message-ID", repeats, "counted", True)
    report.note(
        sent=f"3 cohorts of {args.cases} overdue cases; batches of {args.batch_size}",
        kills=(
            f"after a commit (1), mid-batch (1), {len(progress)} at random; then a "
            "sweeper to the end each time"
        ),
        database=(
            f"{CaseEvent.objects.filter(kind=EventKind.ESCALATED).count()} ESCALATED events, "
            f"{len(rows)} emails queued, {unsent} unsent"
        ),
        sink=f"{sum(sink.values())} messages, {len(sink)} distinct Message-IDs",
    )
    return report.print()


if __name__ == "__main__":
    sys.exit(main())
