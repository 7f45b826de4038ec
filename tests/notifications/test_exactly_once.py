"""Emails through a real SMTP server on loopback: the server's acceptance is committed
before the email is marked sent, so a worker killed in between never sends it twice;
and a drain sends new mail first, however long the backlog."""

import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connections

from notifications import delivery
from notifications.models import OutboxEmail
from notifications.outbox import outbox_drain, outbox_drain_batch, outbox_email

SH = ZoneInfo("Asia/Shanghai")
T0 = datetime(2026, 5, 20, 9, 0, tzinfo=SH)
QUEUED = "250 2.0.0 Ok: queued as 4Fz1xK"


@dataclass
class Sink:
    """What a mail server on loopback received, one envelope per accepted message."""

    received: list[Any] = field(default_factory=list)
    refuse: set[str] = field(default_factory=set)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # type: ignore[no-untyped-def]
        if address in self.refuse:
            return "550 5.1.1 No such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 Ok"

    async def handle_DATA(self, server, session, envelope):  # type: ignore[no-untyped-def]
        self.received.append(envelope)
        return QUEUED


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def smtp(settings) -> Iterator[Sink]:  # type: ignore[no-untyped-def]
    sink = Sink()
    server = Controller(sink, hostname="127.0.0.1", port=_free_port())
    server.start()
    settings.EMAIL_BACKEND = "notifications.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield sink
    finally:
        server.stop()


def _queued(key: str = "receipt-1", to: tuple[str, ...] = ("alice@example.com",)) -> OutboxEmail:
    return outbox_email(to=list(to), subject="回执", body="已收到", dedupe_key=key, now=T0)


class WorkerKilled(BaseException):
    """The worker dies (SIGKILL, out of memory): nothing after this point runs."""


def _committed(pk: int) -> dict[str, Any]:
    """The row as another session sees it: only what was committed."""
    other = connections.create_connection("default")
    try:
        with other.cursor() as cursor:
            cursor.execute(
                "SELECT accepted_at, server_reply, sent_at FROM notifications_outboxemail "
                "WHERE id = %s",
                [pk],
            )
            accepted_at, reply, sent_at = cursor.fetchone()
    finally:
        other.close()
    return {"accepted": accepted_at is not None, "reply": reply, "sent": sent_at is not None}


def test_the_servers_acceptance_is_recorded_with_its_reply(db, smtp) -> None:  # type: ignore[no-untyped-def]
    row = _queued()
    assert outbox_drain(now=T0) == 1
    row.refresh_from_db()

    assert len(smtp.received) == 1
    assert smtp.received[0].rcpt_tos == ["alice@example.com"]
    assert row.accepted_at == T0 and row.sent_at == T0
    assert row.server_reply == QUEUED
    assert row.refused == {}
    assert b"@kamen.outbox>" in smtp.received[0].content  # the fixed Message-ID


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_after_acceptance_never_sends_it_again(smtp, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The server said 250, the acceptance was written, then the worker died before the
    write that marks the email sent. The retry after the lease must not send it again."""
    monkeypatch.setattr(delivery, "kick", lambda *args: None)  # drains run by hand here
    row = _queued()
    record = delivery._record
    calls = {"n": 0}

    def killed_on_first(*args: Any, **kwargs: Any) -> None:
        calls["n"] += 1
        if calls["n"] == 1:
            raise WorkerKilled
        record(*args, **kwargs)

    monkeypatch.setattr(delivery, "_record", killed_on_first)

    with time_machine.travel(T0, tick=False), pytest.raises(WorkerKilled):
        outbox_drain(now=T0)
    assert len(smtp.received) == 1
    assert _committed(row.pk) == {"accepted": True, "reply": QUEUED, "sent": False}

    # the claim's lease runs out; the next drain takes the row again
    retry_at = T0 + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1)
    with time_machine.travel(retry_at, tick=False):
        assert outbox_drain(now=retry_at) == 1

    assert len(smtp.received) == 1  # one message, not two
    row.refresh_from_db()
    assert row.attempts == 2
    assert row.sent_at == row.accepted_at == T0  # sent when the server accepted it


@pytest.mark.django_db(transaction=True)
def test_without_the_acceptance_a_retry_sends_again(smtp, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """For contrast: a worker killed *before* the server answered leaves nothing accepted,
    and the retry sends (the one window left, covered by the fixed Message-ID)."""
    monkeypatch.setattr(delivery, "kick", lambda *args: None)
    row = _queued()
    send = delivery._attempt
    calls = {"n": 0}

    def killed_before_sending(*args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == 1:
            raise WorkerKilled
        return send(*args, **kwargs)

    monkeypatch.setattr(delivery, "_attempt", killed_before_sending)
    with time_machine.travel(T0, tick=False), pytest.raises(WorkerKilled):
        outbox_drain(now=T0)
    assert smtp.received == []
    assert _committed(row.pk)["accepted"] is False

    retry_at = T0 + timedelta(seconds=settings.OUTBOX_LEASE_SECONDS + 1)
    with time_machine.travel(retry_at, tick=False):
        assert outbox_drain(now=retry_at) == 1
    assert len(smtp.received) == 1


def test_recipients_refused_while_others_accept_are_kept_and_not_retried(db, smtp) -> None:  # type: ignore[no-untyped-def]
    smtp.refuse = {"gone@example.com"}
    row = _queued(to=("alice@example.com", "gone@example.com"))
    assert outbox_drain(now=T0) == 1
    row.refresh_from_db()

    assert [e.rcpt_tos for e in smtp.received] == [["alice@example.com"]]
    assert row.sent_at is not None
    assert row.refused == {"gone@example.com": "550 5.1.1 No such mailbox"}


def test_a_backend_that_reports_no_reply_still_records_the_acceptance(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox.clear()
    row = _queued()
    assert outbox_drain(now=T0) == 1
    row.refresh_from_db()

    assert len(mail.outbox) == 1
    assert row.accepted_at == T0 and row.server_reply == "" and row.sent_at == T0


def test_smtp_urls_select_the_backend_that_keeps_the_reply() -> None:
    import environ

    config = environ.Env.email_url_config("smtp+tls://user:secret@smtp.example.cn:587")
    assert config["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    from django.conf import settings

    assert settings.EMAIL_TIMEOUT is not None  # a hung server cannot outlive the lease


# Drain order: 1000 old emails do not hold a new one back


def test_a_new_email_is_sent_in_the_first_pass_behind_a_backlog_of_1000(db, settings) -> None:  # type: ignore[no-untyped-def]
    settings.OUTBOX_BATCH_SIZE = 100
    old = T0 - timedelta(days=1)
    OutboxEmail.objects.bulk_create(
        OutboxEmail(
            dedupe_key=f"old-{i}",
            to=["bob@example.com"],
            subject=f"old {i}",
            created_at=old + timedelta(seconds=i),
            next_attempt_at=old + timedelta(seconds=i),
        )
        for i in range(1000)
    )
    OutboxEmail.objects.create(
        dedupe_key="new", to=["alice@example.com"], subject="回执", next_attempt_at=T0
    )
    mail.outbox.clear()

    first = outbox_drain_batch(now=T0)  # one pass, as one run of the Celery task

    assert (first.attempted, first.more) == (100, True)
    assert "回执" in [m.subject for m in mail.outbox]
    assert mail.outbox[0].subject == "回执"  # the first claim of the pass
    # ... and the backlog was not starved: half the pass went to its oldest rows
    sent_old = set(
        OutboxEmail.objects.filter(sent_at__isnull=False).values_list("subject", flat=True)
    )
    assert {f"old {i}" for i in range(50)} <= sent_old


def test_mail_queued_during_a_pass_waits_at_most_one_claim(db, settings, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """A receipt queued while a drain is half-way through a backlog is the next-but-one
    thing it sends, not the thousandth."""
    settings.OUTBOX_BATCH_SIZE = 20
    old = T0 - timedelta(days=1)
    OutboxEmail.objects.bulk_create(
        OutboxEmail(
            dedupe_key=f"old-{i}",
            to=["bob@example.com"],
            subject=f"old {i}",
            next_attempt_at=old + timedelta(seconds=i),
        )
        for i in range(200)
    )
    mail.outbox.clear()
    real_send = EmailMultiAlternatives.send
    sent: list[str] = []

    def send_and_queue(message, *args, **kwargs):  # type: ignore[no-untyped-def]
        sent.append(message.subject)
        if len(sent) == 5:  # the filing of a new case commits mid-pass
            OutboxEmail.objects.create(
                dedupe_key="new", to=["alice@example.com"], subject="回执", next_attempt_at=T0
            )
        return real_send(message, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", send_and_queue)
    outbox_drain_batch(now=T0)

    # claims alternate newest, oldest: queued during the 5th send, it is the 7th
    assert sent.index("回执") == 6
