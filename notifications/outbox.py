"""The one way the portal sends email: a row in the caller's transaction, sent later.

``notifications_queue`` (and ``outbox_email`` for one) writes the rows; they commit or
roll back with the change they report, so a notification is never lost and never sent
for a change that did not happen. Delivery is delivery.py's loop, shared with webhooks
(claim with a lease, send outside any transaction, record conditionally, back off), run
in a Celery task, never in the request: kicked after commit, and run by every sweep.

Exactly once where the receiver allows it: each email has a Message-ID fixed by its
dedupe key, and the server's acceptance is committed on the row (``accepted_at``, the
reply to DATA) before the row is marked sent, so a worker killed in between leaves a row
that the next attempt marks sent without sending it again.
"""

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.utils import timezone

from complaints.bulk import db_datetime, db_json, insert_rows

from . import delivery
from .models import OutboxEmail
from .render import notification_render

OUTBOX_DRAIN_TASK = "notifications.outbox_drain"  # notifications/tasks.py


@dataclass(frozen=True)
class Notification:
    """One email owed to someone, as the action that decided it describes it.

    ``template`` names a notification rendered from the case when it is sent (in the
    recipient's language, see render.py); otherwise ``subject`` and ``body`` are sent as
    they are. ``dedupe_key`` is unique: the same notification is queued once, however
    often the action that decides it runs.
    """

    dedupe_key: str
    to: tuple[str, ...]
    case_id: int | None = None
    template: str = ""
    context: Mapping[str, Any] = field(default_factory=dict)
    subject: str = ""
    body: str = ""
    html: str = ""


_COLUMNS = (
    "dedupe_key",
    "case_id",
    "to",
    "subject",
    "body",
    "html",
    "template",
    "context",
    "created_at",
    "next_attempt_at",
    "attempts",
    "last_error",
    "server_reply",
    "refused",
)


def notifications_queue(items: Iterable[Notification], *, now: datetime | None = None) -> int:
    """Write ``items`` to the outbox in the caller's transaction; delivered after commit.

    One multi-row insert whatever the number of items (the sweep queues thousands); an
    item whose ``dedupe_key`` is already queued is dropped. Returns how many were given.
    """
    now = now or timezone.now()
    at = db_datetime(now)
    rows = [
        (
            item.dedupe_key,
            item.case_id,
            db_json(list(item.to)),
            item.subject,
            item.body,
            item.html,
            item.template,
            db_json(dict(item.context)),
            at,
            at,
            0,
            "",
            "",
            db_json({}),
        )
        for item in items
        if item.to
    ]
    insert_rows(OutboxEmail._meta.db_table, _COLUMNS, rows, ignore_conflicts_on="dedupe_key")
    if rows:
        outbox_kick()
    return len(rows)


def outbox_email(
    *,
    to: str | list[str],
    subject: str,
    body: str,
    dedupe_key: str,
    case: Any = None,
    html: str | None = None,
    now: datetime | None = None,
) -> OutboxEmail:
    """Queue one email; a second call with the same ``dedupe_key`` returns the first row."""
    recipients = (to,) if isinstance(to, str) else tuple(to)
    notifications_queue(
        [
            Notification(
                dedupe_key=dedupe_key,
                to=recipients,
                case_id=getattr(case, "pk", None),
                subject=subject,
                body=body,
                html=html or "",
            )
        ],
        now=now,
    )
    return OutboxEmail.objects.get(dedupe_key=dedupe_key)


def outbox_kick() -> None:
    """Ask a worker to drain the outbox once the current transaction commits.

    If the broker is down the kick is dropped with a warning: the rows are safe in the
    database and the next sweep (beat or ``manage.py escalate_overdue``) drains them.
    """
    delivery.kick(OUTBOX_DRAIN_TASK, outbox_drain_batch)


def _message_id(dedupe_key: str) -> str:
    """Stable per notification, so a receiving server can drop a resent duplicate."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    return f"<{digest}@kamen.outbox>"


def _accepted_record(row: OutboxEmail, message: EmailMultiAlternatives, now: datetime) -> None:
    """Record that the server accepted ``row``, committed at once (the drain runs outside
    any transaction), before the drain marks the row sent in a second write.

    With notifications.smtp.EmailBackend the server's reply to DATA and the recipients it
    refused are kept; other backends report neither, and the acceptance is the moment
    ``send()`` returned without an error. Only a crash between the server's reply and
    this write can still cause a second send, and that one carries the same Message-ID.
    """
    report = getattr(message, "smtp_accepted", None)
    OutboxEmail.objects.filter(pk=row.pk, accepted_at__isnull=True).update(
        accepted_at=now,
        server_reply=(report.reply if report else "")[:500],
        refused=report.refused if report else {},
    )


def _send(row: OutboxEmail, now: datetime) -> delivery.Attempt:
    if row.accepted_at is not None:
        # Accepted on an earlier attempt whose worker died before marking it sent: the
        # server has it, so sending again would only deliver it twice.
        return delivery.Attempt(ok=True, fields={"sent_at": row.accepted_at})
    subject, body = row.subject, row.body
    if row.template:
        subject, body = notification_render(template=row.template, context=row.context)
    message = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=row.to,
        headers={"Message-ID": _message_id(row.dedupe_key)},
    )
    if row.html:
        message.attach_alternative(row.html, "text/html")
    message.send()
    _accepted_record(row, message, now)
    return delivery.Attempt(ok=True)


EMAIL = delivery.Channel(
    name="outbox",
    model=OutboxEmail,
    pending=Q(sent_at__isnull=True, failed_at__isnull=True),
    send=_send,
    done=lambda now: {"sent_at": now},
    given_up=lambda now: {"failed_at": now},
    max_attempts=lambda: settings.ESCALATION_OUTBOX_MAX_ATTEMPTS,
    backoff=lambda attempts: delivery.backoff_doubling(
        attempts,
        base_seconds=settings.ESCALATION_OUTBOX_BACKOFF_SECONDS,
        max_seconds=settings.ESCALATION_OUTBOX_BACKOFF_MAX_SECONDS,
    ),
    lease=lambda: timedelta(seconds=settings.OUTBOX_LEASE_SECONDS),
)


def outbox_drain_batch(
    *, now: datetime | None = None, limit: int | None = None, pks: list[int] | None = None
) -> delivery.Drained:
    """One bounded drain of due emails (``OUTBOX_BATCH_SIZE`` unless ``limit``)."""
    return delivery.drain(EMAIL, now=now, limit=limit, pks=pks)


def outbox_drain(
    *, now: datetime | None = None, limit: int | None = None, pks: list[int] | None = None
) -> int:
    """Send up to ``limit`` due emails, oldest due first; returns how many were sent.

    Two drains never send the same row (claimed under SKIP LOCKED, then leased); a
    failure leaves it pending with a later ``next_attempt_at`` until the last attempt,
    after which it waits for staff. No lock or transaction is held while SMTP talks.
    """
    return outbox_drain_batch(now=now, limit=limit, pks=pks).delivered


def outbox_requeue(*, rows: Any, now: datetime | None = None) -> int:
    """Staff give failed emails another round of attempts."""
    now = now or timezone.now()
    count = rows.filter(sent_at__isnull=True).update(
        failed_at=None, attempts=0, next_attempt_at=now
    )
    if count:
        outbox_kick()
    return count
