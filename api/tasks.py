"""Beat entry point of the API: forget old idempotency keys."""

from celery import shared_task

from . import idempotency


@shared_task(name="api.idempotency_keys_purge")
def idempotency_keys_purge() -> int:
    return idempotency.idempotency_keys_purge()
