"""Beat entry points: thin wrappers around the services."""

from celery import shared_task
from django.db import DatabaseError

from . import outbox, sweep


@shared_task(name="escalation.sweep_overdue")
def sweep_overdue() -> dict[str, int]:
    """Escalate overdue stages, then send what the sweep (and anything before it) queued."""
    result = sweep.sweep_overdue()
    sent = outbox.outbox_drain()
    return {
        "escalated": result.escalated,
        "flagged": result.flagged,
        "warned": result.warned,
        "sent": sent,
    }


@shared_task(
    name="escalation.outbox_drain",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
)
def outbox_drain() -> int:
    return outbox.outbox_drain()


@shared_task(name="escalation.calendar_recheck")
def calendar_recheck() -> int:
    """Daily: a chinesecalendar upgrade may have brought a year's arrangement."""
    from django.utils import timezone

    from .calendar import calendar_recheck as recheck

    return recheck(now=timezone.now())


@shared_task(name="escalation.calendar_reminder")
def calendar_reminder() -> int:
    """Daily from 1 November: remind supervisors to enter next year's notice (once a year)."""
    from django.utils import timezone

    from .calendar import calendar_reminder_send

    return calendar_reminder_send(now=timezone.now())
