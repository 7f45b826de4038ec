"""Beat entry points: thin wrappers around the services."""

from celery import shared_task
from django.db import DatabaseError

from . import outbox, sweep

DRAIN_ROUNDS = 20


def _drain_all() -> int:
    """Drain until nothing due is left (bounded): a kick lost while the broker was down
    leaves rows of any age, and one drain sends at most 500."""
    sent = 0
    for _ in range(DRAIN_ROUNDS):
        batch = outbox.outbox_drain()
        sent += batch
        if batch == 0:
            break
    return sent


@shared_task(name="escalation.sweep_overdue")
def sweep_overdue() -> dict[str, int]:
    """Escalate overdue stages, then send what the sweep (and anything before it) queued."""
    result = sweep.sweep_overdue()
    sent = _drain_all()
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
