"""Beat entry point for webhooks: thin, the work is in complaints.api.webhooks."""

from celery import shared_task

from . import idempotency, webhooks


@shared_task(name="api.webhooks_send_due")
def webhooks_send_due() -> int:
    return webhooks.webhooks_send_due()


@shared_task(name="api.idempotency_keys_purge")
def idempotency_keys_purge() -> int:
    return idempotency.idempotency_keys_purge()
