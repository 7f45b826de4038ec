"""Beat entry points of the actions layer: thin, the work is in casework's modules.

The beat task sizes the sweep and fans it out: one ``casework.sweep_batch`` task per
batch of due cases, so every worker (on every machine) takes batches, each claiming its
own cases with SKIP LOCKED. A batch task that finds nothing left returns at once; a
batch that dies is claimed again by the next sweep.
"""

import logging
import math
from datetime import datetime
from typing import Any

from celery import current_app, shared_task
from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from escalation import engine
from notifications import outbox

from . import actions, analytics, sweep
from .calendar import calendar_reminder_send

SWEEP_BATCH_TASK = "casework.sweep_batch"

logger = logging.getLogger(__name__)


def _moment(value: str | None) -> datetime:
    parsed = parse_datetime(value) if value else None
    return parsed or timezone.now()


def _drain(*, now: datetime) -> int:
    """Send one bounded batch of what is due; the outbox's own task takes the rest."""
    drained = outbox.outbox_drain_batch(now=now)
    if drained.more:
        outbox.outbox_kick()
    return drained.delivered


def _batches_send(*, count: int, now: datetime, batch_size: int, queue: str | None) -> int:
    """Enqueue ``count`` batch tasks on one broker connection; how many went out.

    One attempt, no reconnection loop: the beat must not hang on a dead broker. Eager
    (tests, ``CELERY_TASK_ALWAYS_EAGER``): each batch runs here, as a worker would.
    """
    kwargs = {"now": now.isoformat(), "batch_size": batch_size}
    if current_app.conf.task_always_eager:
        for _ in range(count):
            sweep_batch_task.apply(kwargs=kwargs)
        return count
    sent = 0
    try:
        with current_app.connection_for_write(transport_options={"max_retries": 0}) as conn:
            for _ in range(count):
                current_app.send_task(
                    SWEEP_BATCH_TASK, kwargs=kwargs, queue=queue, retry=False, connection=conn
                )
                sent += 1
    except Exception:  # the broker's errors vary by transport
        logger.warning("could not reach the broker; sweeping in-process")
    return sent


@shared_task(name="casework.sweep_overdue", bind=True)
def sweep_overdue(
    self: Any, now: str | None = None, batch_size: int | None = None
) -> dict[str, int]:
    """Count the due stages, fan out one batch task per ``batch_size`` of them, warn.

    The batches go to the queue this task came from, so whichever workers serve the
    beat serve the sweep. If the broker cannot take them, the sweep runs in-process: the
    batches that did go out and this loop split the cases by skip-locked claiming.
    """
    moment = _moment(now)
    size = batch_size or settings.ESCALATION_SWEEP_BATCH_SIZE
    passes = sweep.sweep_promises_and_reminders(now=moment, batch_size=size)
    due = engine.due_count(now=moment)
    batches = math.ceil(due / size)
    queue = (self.request.delivery_info or {}).get("routing_key")
    sent = _batches_send(count=batches, now=moment, batch_size=size, queue=queue) if due else 0
    result = sweep.SweepResult()
    if sent < batches:
        result = sweep.sweep_escalations(now=moment, batch_size=size)
    result.add(sweep.sweep_warnings(now=moment, batch_size=size))
    return {
        "due": due,
        "batches_enqueued": sent,
        "escalated_here": result.escalated,
        "flagged_here": result.flagged,
        "warned": result.warned,
        "returned": passes.returned,
        "reminded": passes.reminded,
        "sent": _drain(now=moment),
    }


@shared_task(name=SWEEP_BATCH_TASK)
def sweep_batch_task(now: str | None = None, batch_size: int | None = None) -> dict[str, int]:
    """One batch: claim (skip locked), escalate, queue the emails, then send what is due."""
    moment = _moment(now)
    result = sweep.sweep_batch(now=moment, batch_size=batch_size)
    return {
        "claimed": len(result.case_ids),
        "escalated": result.escalated,
        "flagged": result.flagged,
        "sent": _drain(now=moment) if result.batches else 0,
    }


@shared_task(name="casework.calendar_reminder")
def calendar_reminder() -> int:
    """Daily from 1 November: remind supervisors to enter next year's notice (once a year)."""
    return calendar_reminder_send(now=timezone.now())


@shared_task(name="casework.cases_close_due")
def cases_close_due() -> int:
    """Hourly: close resolved cases whose reopen window passed, and withdrawn ones."""
    return actions.cases_close_due(now=timezone.now())


@shared_task(name="casework.figures_refresh")
def figures_refresh() -> dict[str, int]:
    """Every 10 minutes: the dashboard's figures up to now (casework/analytics.py)."""
    done = analytics.figures_refresh(now=timezone.now())
    return {"days": done.days, "months": done.months, "overdue": done.overdue}
