"""Beat entry points of the escalation part: thin wrappers around its services."""

from celery import shared_task
from django.utils import timezone

from .services import calendar_recheck as recheck


@shared_task(name="escalation.calendar_recheck")
def calendar_recheck() -> int:
    """Daily: a chinesecalendar upgrade may have brought a year's arrangement."""
    return recheck(now=timezone.now())
