"""Delivery of what the outbox holds: thin Celery wrappers around delivery.py's loop.

Each run is one bounded batch; a run that stopped at its limit with rows still due
enqueues itself again, so a backlog drains in batches and new rows wait at most one batch.
The beat (and every kick after a commit) starts a run.
"""

from celery import Task, shared_task
from django.db import DatabaseError

from . import outbox, webhooks
from .delivery import Drained


def _continue(task: Task, drained: Drained) -> None:
    if drained.more:
        task.apply_async()


@shared_task(
    bind=True,
    name=outbox.OUTBOX_DRAIN_TASK,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
)
def outbox_drain(self: Task) -> int:
    drained = outbox.outbox_drain_batch()
    _continue(self, drained)
    return drained.delivered


@shared_task(
    bind=True,
    name=webhooks.WEBHOOKS_TASK,
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
)
def webhooks_send_due(self: Task) -> int:
    drained = webhooks.webhooks_send_batch()
    _continue(self, drained)
    return drained.attempted
