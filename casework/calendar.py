"""The yearly reminder to supervisors to enter next year's holiday notice (an action:
it decides a notification from the escalation calendar's state)."""

from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _

from escalation.calendar import calendar_reminder_text, calendar_reminder_year, supervisors
from notifications.models import OutboxEmail
from notifications.outbox import outbox_email


def calendar_reminder_send(*, now: datetime) -> int:
    """Queue the yearly reminder to each supervisor; once per person and year."""
    year = calendar_reminder_year(now=now)
    if year is None:
        return 0
    queued = 0
    with translation.override(settings.LANGUAGE_CODE), transaction.atomic():
        subject = _("Enter the %(year)s holiday arrangement") % {"year": year}
        body = calendar_reminder_text(year)
        for user in supervisors():
            key = f"calendar-reminder:{year}:{user.pk}"
            if OutboxEmail.objects.filter(dedupe_key=key).exists():
                continue
            outbox_email(to=user.email, subject=subject, body=body, dedupe_key=key, now=now)
            queued += 1
    return queued
