"""Beat entry points: thin wrappers around the services."""

from celery import shared_task

from . import services


@shared_task(name="escalation.sweep_overdue")
def sweep_overdue() -> int:
    return services.sweep_overdue()
