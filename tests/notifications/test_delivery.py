"""One outbox design: queued with the change, delivered by one loop, never under a lock."""

import json
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.db import connection, connections

from casework.actions import case_message
from casework.sweep import sweep_overdue
from complaints.choices import EventKind
from notifications import delivery, tasks, webhooks
from notifications.models import DeliveryStatus, OutboxEmail, WebhookDelivery
from notifications.outbox import outbox_drain, outbox_drain_batch
from tests import webhook_transport
from tests.factories import OrderFactory, PlatformFactory, case_filed

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 20, 9, 0, tzinfo=SH)

pytestmark = pytest.mark.django_db


@pytest.fixture
def platform():  # type: ignore[no-untyped-def]
    return PlatformFactory(name="星辰卡盟")


@pytest.fixture
def endpoint(platform, supervisor):  # type: ignore[no-untyped-def]
    return webhooks.webhook_endpoint_create(
        actor=supervisor, url="https://hooks.example.cn/kamen", platform=platform
    )


@pytest.fixture(autouse=True)
def _no_calls_before() -> None:
    webhook_transport.calls.clear()


def _row_seen_from_another_connection(table: str, pk: int) -> dict[str, Any]:
    """What a second session sees of the row; on PostgreSQL, whether it could lock it."""
    seen: dict[str, Any] = {"in_transaction": connection.in_atomic_block}
    if connection.vendor != "postgresql":
        return seen
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            # raises LockNotAvailable if the drain still held the row
            cursor.execute(f"SELECT attempts FROM {table} WHERE id = %s FOR UPDATE NOWAIT", [pk])  # noqa: S608
            seen["attempts"] = cursor.fetchone()[0]
    finally:
        other.close()
    return seen


# (a) queued with the change


def test_the_action_writes_the_delivery_in_its_own_transaction(
    endpoint, platform, complainant
) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(
        complainant=complainant, order=OrderFactory(owner=complainant, platform=platform)
    )
    case_message(case=case, actor=complainant, text="还没有回复")

    # no fan-out, no task: the rows were written by the actions themselves
    kinds = [json.loads(d.body)["type"] for d in WebhookDelivery.objects.order_by("event__seq")]
    assert kinds == ["case.filed", "case.message"]
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"pending"}
    assert webhook_transport.calls == []


@pytest.mark.django_db(transaction=True)
def test_a_delivery_row_exists_as_soon_as_the_action_commits_and_the_kick_sends_it(
    endpoint, platform, complainant
) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(
        complainant=complainant, order=OrderFactory(owner=complainant, platform=platform)
    )

    delivery = WebhookDelivery.objects.get(event__case=case)
    # the commit kicked the task, which Celery (eager in tests) ran in-process
    assert delivery.status == DeliveryStatus.DELIVERED
    assert [c["url"] for c in webhook_transport.calls] == ["https://hooks.example.cn/kamen"]


def test_an_action_that_fails_owes_no_webhook(endpoint, platform, complainant) -> None:  # type: ignore[no-untyped-def]
    case = case_filed(
        complainant=complainant, order=OrderFactory(owner=complainant, platform=platform)
    )
    with pytest.raises(Exception):  # noqa: B017 - the action's own validation error
        case_message(case=case, actor=complainant, text="   ")
    assert WebhookDelivery.objects.count() == 1  # the filing only


# (b) a failed send: pending, backed off, and no lock held while sending


class LockCheckingBackend(BaseEmailBackend):
    """An SMTP server that is down, and that looks at the row while the drain waits on it."""

    seen: list[dict[str, Any]] = []
    pk = 0

    def send_messages(self, email_messages: Any) -> int:
        self.seen.append(_row_seen_from_another_connection(OutboxEmail._meta.db_table, self.pk))
        raise ConnectionRefusedError("SMTP server unreachable")


@pytest.mark.django_db(transaction=True)
def test_a_failed_email_stays_pending_with_backoff_and_no_lock_is_held_while_sending(
    settings,
) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery.LockCheckingBackend"
    row = OutboxEmail.objects.create(
        dedupe_key="lock-1", to=["alice@example.com"], subject="s", body="b", next_attempt_at=T0
    )
    LockCheckingBackend.pk, LockCheckingBackend.seen = row.pk, []

    assert outbox_drain(now=T0) == 0

    expected: dict[str, Any] = {"in_transaction": False}
    if connection.vendor == "postgresql":
        expected["attempts"] = 1  # the claim was committed before the send
    assert LockCheckingBackend.seen == [expected]
    row.refresh_from_db()
    assert row.sent_at is None and row.failed_at is None
    assert row.attempts == 1 and "SMTP server unreachable" in row.last_error
    assert row.next_attempt_at == T0 + timedelta(seconds=settings.ESCALATION_OUTBOX_BACKOFF_SECONDS)


@pytest.mark.django_db(transaction=True)
def test_a_failed_webhook_stays_pending_with_backoff_and_no_lock_is_held_while_sending(
    platform, supervisor, complainant, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.WEBHOOK_RETRY_BASE_SECONDS = 60
    case = case_filed(
        complainant=complainant, order=OrderFactory(owner=complainant, platform=platform), now=T0
    )
    endpoint = webhooks.webhook_endpoint_create(
        actor=supervisor, url="https://down.example.cn/", platform=platform, now=T0
    )
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint, event=case.events.get(), body="{}", next_attempt_at=T0
    )
    seen: list[dict[str, Any]] = []

    def down(url: str, body: bytes, headers: dict[str, str], timeout: float) -> int:
        seen.append(_row_seen_from_another_connection(WebhookDelivery._meta.db_table, delivery.pk))
        raise ConnectionRefusedError("receiver down")

    assert webhooks.webhooks_send_due(now=T0, transport=down) == 1

    assert seen and seen[0]["in_transaction"] is False
    if connection.vendor == "postgresql":
        assert seen[0]["attempts"] == 1
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert delivery.attempts == 1 and "receiver down" in delivery.last_error
    assert delivery.next_attempt_at == T0 + timedelta(seconds=60)


# (c) bounded drains that re-enqueue themselves


class StuckRecipientBackend(BaseEmailBackend):
    """Refuses mail to stuck@example.com (a backlog of retries), delivers the rest."""

    def send_messages(self, email_messages: Any) -> int:
        for message in email_messages:
            if "stuck@example.com" in message.to:
                raise ConnectionRefusedError("mailbox unavailable")
            mail.outbox.append(message)
        return len(email_messages)


def test_a_drain_is_bounded_and_says_when_work_remains(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OUTBOX_BATCH_SIZE = 2
    for i in range(3):
        OutboxEmail.objects.create(
            dedupe_key=f"b-{i}", to=["alice@example.com"], subject=str(i), next_attempt_at=T0
        )

    first = outbox_drain_batch(now=T0)
    second = outbox_drain_batch(now=T0)

    assert (first.attempted, first.more) == (2, True)
    assert (second.attempted, second.more) == (1, False)


class SlowBackend(BaseEmailBackend):
    """A mail server that takes longer than a claim's lease to answer each message; while
    it answers the second one, another worker's drain starts."""

    clock: Any = None
    lease = 0
    sent: list[str] = []
    second_drain: list[int] = []

    def send_messages(self, email_messages: Any) -> int:
        self.sent += [m.subject for m in email_messages]
        if len(self.sent) == 2:
            self.second_drain.append(outbox_drain())
        self.clock.shift(timedelta(seconds=self.lease + 1))  # slower than a lease
        return len(email_messages)


@pytest.mark.parametrize("late", [timedelta(0), timedelta(hours=1)])
def test_a_claim_holds_its_whole_lease_however_old_the_drains_now(
    settings, monkeypatch, late
) -> None:  # type: ignore[no-untyped-def]
    """A drain's ``now`` is its start, or a sweep's moment carried by a task that waited
    in the queue (``late``); a lease counted from it would have run out for every row
    claimed after the first slow send, and the second drain would send them again."""
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery.SlowBackend"
    monkeypatch.setattr(delivery, "kick", lambda *args: None)
    SlowBackend.sent, SlowBackend.second_drain = [], []
    SlowBackend.lease = settings.OUTBOX_LEASE_SECONDS
    for i in range(3):
        OutboxEmail.objects.create(
            dedupe_key=f"slow-{i}", to=["alice@example.com"], subject=str(i), next_attempt_at=T0
        )

    with time_machine.travel(T0 + late, tick=False) as clock:
        SlowBackend.clock = clock
        first = outbox_drain(now=T0)

    # the other drain took the one row nobody had claimed, not the one being sent
    assert (first, SlowBackend.second_drain) == (2, [1])
    assert sorted(SlowBackend.sent) == ["0", "1", "2"]  # each email once
    assert OutboxEmail.objects.filter(sent_at__isnull=True).count() == 0


def test_a_drain_that_hits_its_limit_re_enqueues_itself_so_new_mail_is_not_starved(
    db, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.OUTBOX_BATCH_SIZE = 2
    settings.EMAIL_BACKEND = "tests.notifications.test_delivery.StuckRecipientBackend"
    now = datetime.now(tz=SH)
    for i in range(4):  # older retries, due first
        OutboxEmail.objects.create(
            dedupe_key=f"stuck-{i}",
            to=["stuck@example.com"],
            subject=f"old {i}",
            next_attempt_at=now - timedelta(hours=1, minutes=i),
        )
    OutboxEmail.objects.create(
        dedupe_key="new", to=["alice@example.com"], subject="回执", next_attempt_at=now
    )

    # one start of the task, as the beat or a kick gives it; Celery is eager in tests
    result = tasks.outbox_drain.apply()

    assert result.get() == 1  # the first batch took the new mail first, then the oldest
    assert [m.subject for m in mail.outbox] == ["回执"]
    # ... and its re-enqueued runs tried the rest of the backlog
    assert OutboxEmail.objects.filter(to=["stuck@example.com"], attempts=1).count() == 4


def test_the_sweep_queues_the_webhooks_of_the_events_it_writes(
    platform, complainant, supervisor
) -> None:  # type: ignore[no-untyped-def]
    endpoint = webhooks.webhook_endpoint_create(  # registered before the case's events
        actor=supervisor, url="https://hooks.example.cn/k", platform=platform, now=T0
    )
    case = case_filed(
        complainant=complainant, order=OrderFactory(owner=complainant, platform=platform), now=T0
    )
    result = sweep_overdue(now=T0 + timedelta(hours=24))
    assert result.escalated == 1
    [delivery] = WebhookDelivery.objects.filter(event__case=case, event__kind=EventKind.ESCALATED)
    assert delivery.endpoint == endpoint
