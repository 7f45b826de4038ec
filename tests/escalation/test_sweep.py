"""The sweep as operators see it: warnings, emails, the command, concurrency, broker down."""

import threading
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.db import connection

from casework import actions
from casework.sweep import sweep_batch, sweep_overdue
from complaints.choices import EventKind, Urgency
from complaints.models import ComplaintCase
from complaints.tiers import Tier
from complaints.timeline import chain_verify
from escalation.models import TierStage
from notifications.models import OutboxEmail
from notifications.outbox import outbox_drain, outbox_email
from tests.factories import OrderFactory, UserFactory, case_filed

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 20, 9, 0, tzinfo=SH)
SECOND = timedelta(seconds=1)


def test_warning_two_hours_before_to_complainant_and_assigned_staff(complainant, triager) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0)
    actions.case_assign(case=case, assignee=triager, actor=triager, now=T0)
    warn = T0 + timedelta(hours=22)
    assert sweep_overdue(now=warn - SECOND).warned == 0
    assert sweep_overdue(now=warn).warned == 1
    assert sweep_overdue(now=warn + SECOND).warned == 0
    assert case.events.filter(kind=EventKind.DEADLINE_WARNING).count() == 1
    assert outbox_drain(now=warn) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@example.com", "tina@example.com"]
    assert all(case.reference in m.subject for m in mail.outbox)


def test_warning_lead_is_a_setting(complainant, settings) -> None:  # type: ignore[no-untyped-def]
    settings.ESCALATION_WARNING_LEAD_HOURS = 5
    case_filed(complainant=complainant, now=T0)
    assert sweep_overdue(now=T0 + timedelta(hours=19) - SECOND).warned == 0
    assert sweep_overdue(now=T0 + timedelta(hours=19)).warned == 1


def test_escalation_email_carries_the_new_tiers_document_and_what_to_do(complainant) -> None:  # type: ignore[no-untyped-def]
    order = OrderFactory(owner=complainant, order_number="20240521001")
    case = case_filed(complainant=complainant, order=order, now=T0)
    sweep_overdue(now=T0 + timedelta(hours=24))
    assert outbox_drain(now=T0 + timedelta(hours=24)) == 1
    [message] = mail.outbox
    assert message.to == ["alice@example.com"]
    assert case.reference in message.subject and "2" in message.subject
    assert "12315" in message.body and "www.12315.cn" in message.body  # what to do
    assert "订单号:20240521001" in message.body  # the 12315 filing text itself
    assert "黑猫投诉公开文本" in message.body
    assert outbox_drain(now=T0 + timedelta(hours=25)) == 0  # never twice
    assert len(mail.outbox) == 1


def test_the_last_tier_flags_the_case_and_reminds_the_complainant(complainant, triager) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0)
    actions.case_assign(case=case, assignee=triager, actor=triager, now=T0)
    now = T0
    while case.tier != Tier.LEGAL:
        if case.tier == Tier.WATCHDOG:  # 12315's clock waits for the recorded filing
            actions.case_record_external_reference(
                case=case, actor=complainant, reference="12315-1", now=now
            )
        now = TierStage.objects.get(case=case, closed_at__isnull=True).next_due_at
        sweep_overdue(now=now)
        case.refresh_from_db()
    mail.outbox.clear()
    OutboxEmail.objects.update(sent_at=now)
    check_in = TierStage.objects.get(case=case, tier=Tier.LEGAL).next_due_at
    assert sweep_overdue(now=check_in).flagged == 1
    outbox_drain(now=check_in)
    by_recipient = {m.to[0]: m for m in mail.outbox}
    assert set(by_recipient) == {"alice@example.com", "tina@example.com"}
    assert case.reference in by_recipient["tina@example.com"].subject


def test_outbox_retries_with_backoff_and_sends_once(complainant, settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "tests.escalation.failing_email.EmailBackend"
    row = outbox_email(to="alice@example.com", subject="s", body="b", dedupe_key="k1", now=T0)
    assert outbox_email(to="x@example.com", subject="t", body="c", dedupe_key="k1").pk == row.pk
    assert outbox_drain(now=T0) == 0
    row.refresh_from_db()
    assert row.attempts == 1 and "SMTP server unreachable" in row.last_error
    assert row.next_attempt_at == T0 + timedelta(seconds=60)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert outbox_drain(now=T0 + timedelta(seconds=59)) == 0
    assert outbox_drain(now=T0 + timedelta(seconds=60)) == 1
    assert outbox_drain(now=T0 + timedelta(hours=1)) == 0
    assert [m.to for m in mail.outbox] == [["alice@example.com"]]


def test_outbox_gives_up_after_the_last_attempt_and_keeps_the_row(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "tests.escalation.failing_email.EmailBackend"
    settings.ESCALATION_OUTBOX_MAX_ATTEMPTS = 2
    outbox_email(to="alice@example.com", subject="s", body="b", dedupe_key="k2", now=T0)
    outbox_drain(now=T0)
    outbox_drain(now=T0 + timedelta(hours=1))
    row = OutboxEmail.objects.get(dedupe_key="k2")
    assert row.failed_at == T0 + timedelta(hours=1) and row.sent_at is None


def test_dry_run_lists_and_changes_nothing(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0, urgency=Urgency.URGENT)
    events_before = case.events.count()
    out = StringIO()
    as_of = (T0 + timedelta(hours=2)).isoformat()
    call_command("escalate_overdue", "--dry-run", "--as-of", as_of, stdout=out)
    assert f"{case.reference}\tplatform -> watchdog" in out.getvalue()
    assert "1 would move" in out.getvalue()
    case.refresh_from_db()
    assert case.tier == Tier.PLATFORM and case.events.count() == events_before
    assert not OutboxEmail.objects.filter(dedupe_key__startswith="escalated:").exists()


def test_as_of_evaluates_the_deadlines_at_that_moment(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0, urgency=Urgency.URGENT)
    out = StringIO()
    call_command("escalate_overdue", "--as-of", "2026-05-20T10:59:59+08:00", stdout=out)
    case.refresh_from_db()
    assert case.tier == Tier.PLATFORM and "escalated 0" in out.getvalue()
    call_command("escalate_overdue", "--as-of", "2026-05-20T11:00:00", stdout=out)
    case.refresh_from_db()
    assert case.tier == Tier.WATCHDOG and "escalated 1" in out.getvalue()


def test_without_as_of_the_command_uses_the_clock(complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(complainant=complainant, now=T0, urgency=Urgency.URGENT)
    with time_machine.travel(T0 + timedelta(hours=2) - SECOND, tick=False):
        call_command("escalate_overdue", stdout=StringIO())
    case.refresh_from_db()
    assert case.tier == Tier.PLATFORM
    with time_machine.travel(T0 + timedelta(hours=2), tick=False):
        call_command("escalate_overdue", stdout=StringIO())
    case.refresh_from_db()
    assert case.tier == Tier.WATCHDOG


def test_as_of_rejects_garbage(db: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("escalate_overdue", "--as-of", "yesterday", stdout=StringIO())


def _file_overdue(count: int) -> list[ComplaintCase]:
    cases = []
    for _ in range(count):
        user = UserFactory()
        cases.append(case_filed(complainant=user, now=T0, order=OrderFactory(owner=user)))
    return cases


@pytest.mark.django_db(transaction=True)
def test_concurrent_sweeps_escalate_each_stage_exactly_once(postgres: None) -> None:
    cases = _file_overdue(40)
    workers = 6
    barrier = threading.Barrier(workers)
    results: list[int] = []
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            results.append(sweep_overdue(now=T0 + timedelta(hours=24), batch_size=5).escalated)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sum(results) == len(cases)
    assert sum(1 for r in results if r) > 1  # the work really was shared
    for case in cases:
        assert case.events.filter(kind=EventKind.ESCALATED).count() == 1
        assert TierStage.objects.filter(case=case).count() == 2
        assert chain_verify(case) == []
    assert OutboxEmail.objects.filter(dedupe_key__startswith="escalated:").count() == len(cases)
    assert set(ComplaintCase.objects.values_list("tier", flat=True)) == {Tier.WATCHDOG}


@pytest.mark.django_db(transaction=True)
def test_batches_in_separate_processes_escalate_each_stage_exactly_once(postgres: None) -> None:
    """Two Celery workers each running batch tasks: skip-locked claiming splits the cases."""
    cases = _file_overdue(40)
    workers = 4
    barrier = threading.Barrier(workers)
    claimed: list[list[int]] = []
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait()
            while True:
                part = sweep_batch(now=T0 + timedelta(hours=24), batch_size=3)
                if not part.batches:
                    break
                claimed.append(part.case_ids)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    every = [pk for batch in claimed for pk in batch]
    assert sorted(every) == sorted(case.pk for case in cases)  # each case in one batch
    for case in cases:
        assert case.events.filter(kind=EventKind.ESCALATED).count() == 1
        assert TierStage.objects.filter(case=case).count() == 2
        assert chain_verify(case) == []
    assert OutboxEmail.objects.filter(dedupe_key__startswith="escalated:").count() == len(cases)


@pytest.mark.django_db(transaction=True)
def test_a_sweep_never_escalates_a_case_a_service_is_changing(postgres: None) -> None:
    """The sweep skips a case whose row is locked, and takes it at the next sweep."""
    [case] = _file_overdue(1)
    other = ComplaintCase.objects.get(pk=case.pk)
    locked = threading.Event()
    release = threading.Event()

    def hold_lock() -> None:
        from django.db import transaction

        try:
            with transaction.atomic():
                ComplaintCase.objects.select_for_update().get(pk=other.pk)
                locked.set()
                release.wait(timeout=30)
        finally:
            connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    locked.wait(timeout=30)
    try:
        assert sweep_overdue(now=T0 + timedelta(hours=24)).escalated == 0
    finally:
        release.set()
        holder.join()
    assert sweep_overdue(now=T0 + timedelta(hours=24)).escalated == 1


@pytest.mark.django_db(transaction=True)
def test_broker_down_cases_still_escalate_and_no_email_is_lost_or_doubled(  # type: ignore[no-untyped-def]
    postgres: None, caplog
) -> None:
    from config.celery import app

    [case] = _file_overdue(1)

    def use_broker(url: str | None) -> None:
        app.conf.broker_write_url = url
        app.conf.task_always_eager = url is None  # a real kick through the (dead) broker
        app._pool = None
        app.amqp._producer_pool = None

    use_broker("redis://127.0.0.1:1/0")  # a real connection attempt: nothing listens there
    try:
        result = sweep_overdue(now=T0 + timedelta(hours=24))
    finally:
        use_broker(None)
    assert result.escalated == 1
    assert "could not reach the broker" in caplog.text
    case.refresh_from_db()
    assert case.tier == Tier.WATCHDOG
    row = OutboxEmail.objects.get(case=case, dedupe_key__startswith="escalated:")
    assert row.sent_at is None  # committed with the escalation, waiting
    # The next sweep (beat or cron) drains it; a second drain finds nothing to send.
    assert outbox_drain(now=T0 + timedelta(hours=25)) == 1
    assert outbox_drain(now=T0 + timedelta(hours=26)) == 0
    row.refresh_from_db()
    assert row.sent_at == T0 + timedelta(hours=25) and row.attempts == 1
    assert len([m for m in mail.outbox if case.reference in m.subject and "升级" in m.subject]) == 1


def test_a_failed_batch_leaves_no_case_half_escalated(complainant, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A worker dying mid-batch: the transaction rolls back whole, the next sweep redoes it."""
    case = case_filed(complainant=complainant, now=T0)

    from casework import sweep as casework_sweep

    def die_at_the_outbox(*args, **kwargs):  # type: ignore[no-untyped-def]
        raise SystemExit("worker killed")  # stage, case and event already written

    monkeypatch.setattr(casework_sweep, "notifications_queue", die_at_the_outbox)
    with pytest.raises(SystemExit):
        sweep_overdue(now=T0 + timedelta(hours=24))
    monkeypatch.undo()
    case.refresh_from_db()
    assert case.tier == Tier.PLATFORM
    assert TierStage.objects.filter(case=case).count() == 1
    escalation_mail = OutboxEmail.objects.filter(case=case, dedupe_key__startswith="escalated:")
    assert not escalation_mail.exists()
    assert not case.events.filter(kind=EventKind.ESCALATED).exists()
    assert sweep_overdue(now=T0 + timedelta(hours=24)).escalated == 1


@pytest.mark.django_db(transaction=True)
def test_a_single_email_is_tried_right_after_commit_and_kept_if_it_fails(settings) -> None:  # type: ignore[no-untyped-def]
    from django.db import transaction

    with transaction.atomic():
        outbox_email(to="alice@example.com", subject="回执", body="b", dedupe_key="now-1")
        assert mail.outbox == []  # nothing leaves before the commit
    assert [m.subject for m in mail.outbox] == ["回执"]
    assert OutboxEmail.objects.get(dedupe_key="now-1").sent_at is not None

    settings.EMAIL_BACKEND = "tests.escalation.failing_email.EmailBackend"
    with transaction.atomic():
        outbox_email(to="alice@example.com", subject="x", body="b", dedupe_key="now-2")
    row = OutboxEmail.objects.get(dedupe_key="now-2")
    assert row.sent_at is None and row.attempts == 1  # waits for the task's retry

    with transaction.atomic():
        outbox_email(to="alice@example.com", subject="y", body="b", dedupe_key="now-3")
        transaction.set_rollback(True)
    assert not OutboxEmail.objects.filter(dedupe_key="now-3").exists()
