"""The one way the portal sends email: a row in the caller's transaction, sent later.

``outbox_email`` writes the row; it commits or rolls back with the change it reports, so
a notification is never lost and never sent for a change that did not happen. After the
commit the email is tried at once (``ESCALATION_OUTBOX_SEND_ON_COMMIT``); whatever is
still pending is sent by a Celery task (kicked after commit, and run by every sweep),
each row under its row lock, retrying with exponential backoff.
"""

import hashlib
import logging
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.utils import timezone

from .models import OutboxEmail

logger = logging.getLogger(__name__)


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
    """Queue an email; a second call with the same ``dedupe_key`` returns the first row."""
    now = now or timezone.now()
    recipients = [to] if isinstance(to, str) else list(to)
    row, created = OutboxEmail.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "to": recipients,
            "subject": subject,
            "body": body,
            "html": html or "",
            "case": case,
            "created_at": now,
            "next_attempt_at": now,
        },
    )
    if created:
        transaction.on_commit(lambda: _send_after_commit(row.pk))
    return row


def _send_after_commit(pk: int) -> None:
    """Try the email at once; if that fails it stays queued for the task's retries."""
    if settings.ESCALATION_OUTBOX_SEND_ON_COMMIT:
        try:
            if outbox_drain(pks=[pk]):
                return
        except Exception:  # a database hiccup here must not break the request
            logger.warning("outbox: immediate send of %s failed; queued for retry", pk)
    outbox_kick()


def outbox_kick() -> None:
    """Ask a worker to drain the outbox once the current transaction commits.

    A failed publish is retried a few times with a short doubling pause
    (``ESCALATION_OUTBOX_KICK_ATTEMPTS``; a blip in the broker is the common case); if the
    broker stays down the kick is dropped with a warning: the rows are safe in the
    database and the next sweep (beat or ``manage.py escalate_overdue``) drains every row
    that is due, however old.
    """

    def kick() -> None:
        import time

        from celery import current_app

        from .tasks import outbox_drain

        attempts = max(settings.ESCALATION_OUTBOX_KICK_ATTEMPTS, 1)
        pause = settings.ESCALATION_OUTBOX_KICK_PAUSE_SECONDS
        for attempt in range(1, attempts + 1):
            try:
                # No reconnection loop of kombu's own: the retries here are bounded.
                with current_app.connection_for_write(transport_options={"max_retries": 0}) as conn:
                    outbox_drain.apply_async(retry=False, connection=conn)
                return
            except Exception:  # the broker's errors vary by transport
                if attempt == attempts:
                    logger.warning(
                        "could not reach the broker after %s attempts; the outbox drains at "
                        "the next sweep",
                        attempts,
                    )
                    return
                time.sleep(pause * 2 ** (attempt - 1))

    transaction.on_commit(kick)


def _backoff(attempts: int) -> timedelta:
    seconds = settings.ESCALATION_OUTBOX_BACKOFF_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, settings.ESCALATION_OUTBOX_BACKOFF_MAX_SECONDS))


def _message_id(dedupe_key: str) -> str:
    """Stable per notification, so a receiving server can drop a resent duplicate."""
    digest = hashlib.sha256(dedupe_key.encode()).hexdigest()[:32]
    return f"<{digest}@kamen.outbox>"


def _send(row: OutboxEmail) -> None:
    from .notifications import notification_render

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
