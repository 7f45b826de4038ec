"""The one way the portal sends email: a row in the caller's transaction, sent later.

``notifications_queue`` (and ``outbox_email`` for one) writes the rows; they commit or
roll back with the change they report, so a notification is never lost and never sent
for a change that did not happen. Delivery happens in a Celery task, never in the
request: kicked after commit, and run by every sweep, retrying with exponential backoff.
"""

import hashlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from complaints.bulk import db_datetime, db_json, insert_rows

from .models import OutboxEmail
from .render import notification_render

OUTBOX_DRAIN_TASK = "notifications.outbox_drain"  # notifications/tasks.py

logger = logging.getLogger(__name__)


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

    def kick() -> None:
        if current_app.conf.task_always_eager:  # tests: what a worker would do, in-process
            outbox_drain()
            return
        try:
            # One attempt, no reconnection loop: a request must not hang on a dead broker.
            with current_app.connection_for_write(transport_options={"max_retries": 0}) as conn:
                current_app.send_task(OUTBOX_DRAIN_TASK, retry=False, connection=conn)
        except Exception:  # the broker's errors vary by transport
            logger.warning("could not reach the broker; the outbox drains at the next sweep")

    transaction.on_commit(kick)


def _backoff(attempts: int) -> timedelta:
    seconds = settings.ESCALATION_OUTBOX_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.ESCALATION_OUTBOX_BACKOFF_MAX_SECONDS))


def _message_id(dedupe_key: str) -> str:
    """Stable per notification, so a receiving server can drop a resent duplicate."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    return f"<{digest}@kamen.outbox>"


def _send(row: OutboxEmail) -> None:
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


def outbox_drain(
    *, now: datetime | None = None, limit: int = 500, pks: list[int] | None = None
) -> int:
    """Send up to ``limit`` due emails; returns how many were sent.

    Each row is locked (skip locked), sent and marked sent in one transaction: two
    drains never send the same row, and a failure leaves it pending with a later
    ``next_attempt_at`` until the last attempt, after which it waits for staff.
    """
    now = now or timezone.now()
    sent = 0
    for _ in range(limit):
        with transaction.atomic():
            rows = OutboxEmail.objects.filter(
                sent_at__isnull=True, failed_at__isnull=True, next_attempt_at__lte=now
            ).order_by("next_attempt_at", "pk")
            if pks is not None:
                rows = rows.filter(pk__in=pks)
            row = rows.select_for_update(skip_locked=True).first()
            if row is None:
                break
            row.attempts += 1
            try:
                _send(row)
            except Exception as exc:  # SMTP, template and network errors alike
                row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                if row.attempts >= settings.ESCALATION_OUTBOX_MAX_ATTEMPTS:
                    row.failed_at = now
                    logger.error("outbox: gave up on %s: %s", row.dedupe_key, row.last_error)
                else:
                    row.next_attempt_at = now + _backoff(row.attempts)
            else:
                row.sent_at = now
                sent += 1
            row.save(
                update_fields=["attempts", "last_error", "failed_at", "next_attempt_at", "sent_at"]
            )
    return sent


def outbox_requeue(*, rows: Any, now: datetime | None = None) -> int:
    """Staff give failed emails another round of attempts."""
    now = now or timezone.now()
    return rows.filter(sent_at__isnull=True).update(failed_at=None, attempts=0, next_attempt_at=now)
