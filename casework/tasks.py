"""Beat entry points of the actions layer: thin, the work is in casework's modules."""

from celery import shared_task
from django.utils import timezone

from escalation import engine as sweep
from notifications import outbox

from . import actions
from .calendar import calendar_reminder_send


@shared_task(name="casework.sweep_overdue")
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


@shared_task(name="casework.calendar_reminder")
def calendar_reminder() -> int:
    """Daily from 1 November: remind supervisors to enter next year's notice (once a year)."""
    return calendar_reminder_send(now=timezone.now())


@shared_task(name="casework.cases_close_due")
def cases_close_due() -> int:
    """Hourly: close resolved cases whose reopen window passed, and withdrawn ones."""
    return actions.cases_close_due(now=timezone.now())
