"""Delivery of what the outbox holds: thin Celery wrappers around notifications' services."""

from celery import shared_task
from django.db import DatabaseError

from . import outbox, webhooks


@shared_task(
    name="notifications.outbox_drain",
    autoretry_for=(DatabaseError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=10,
)
def outbox_drain() -> int:
    return outbox.outbox_drain()


@shared_task(name="notifications.webhooks_send_due")
def webhooks_send_due() -> int:
    return webhooks.webhooks_send_due()
