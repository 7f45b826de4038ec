"""Beat entry points of the actions layer: thin, the work is in casework's modules."""

from celery import shared_task

from escalation import engine as sweep
from notifications import outbox


@shared_task(name="casework.sweep_overdue")
def sweep_overdue() -> dict[str, int]:
    """Escalate overdue stages, then send what the sweep (and anything before it) queued."""
    result = sweep.sweep_overdue()
    drained = outbox.outbox_drain_batch()
    if drained.more:  # the rest in the outbox's own task, batch after batch
        outbox.outbox_kick()
    sent = drained.delivered
    return {
        "escalated": result.escalated,
        "flagged": result.flagged,
        "warned": result.warned,
        "sent": sent,
    }
